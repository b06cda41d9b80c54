"""The partner FHIR API application: settings and store in, an ASGI app out.

Every request passes through :class:`AuditedRequests` (the outermost layer): it gives the
request an id, holds the response until the request's AuditEvent is committed, turns any
unexpected failure into an OperationOutcome that carries the request id (never the
exception's text), and logs one line per request without personal data (no query
strings: they can hold an NHS number).
"""

from __future__ import annotations

import itertools
import secrets
import time
import traceback
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhircare.api.audit import AuditInfo, AuditWriter
from fhircare.api.auth import KeySets, TokenService
from fhircare.api.bundles import fhir_response, outcome
from fhircare.api.capability import profiles_by_type
from fhircare.api.openapi import openapi_document
from fhircare.api.routes import add_routes
from fhircare.api.service import FhirService
from fhircare.errors import FhircareError
from fhircare.settings import Settings
from fhircare.store import partners
from fhircare.store.db import writer

_log = structlog.get_logger("fhircare.api")
#: request ids: a random part per process and a sequence (no OS randomness per request)
_PROCESS = secrets.token_hex(6)
_REQUESTS = itertools.count(1)


class AuditedRequests:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, audit: AuditWriter, claimed: Callable[[str], str | None]) -> None:
        self.app = app
        self.audit = audit
        #: who a bearer token says it is, unverified (``TokenService.unverified_client``)
        self.claimed = claimed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = f"{_PROCESS}{next(_REQUESTS):012x}"
        client = scope.get("client")
        info = AuditInfo(request_id, scope["method"], scope["path"], address=client[0] if client else None)
        scope.setdefault("state", {})["audit"] = info
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        except Exception as exc:
            _log.error("request failed", request_id=request_id, error=type(exc).__name__, at=_where(exc))
            held = _failure(request_id)
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        if info.client_id is None:
            # refused before its token was checked (an unknown type, a bad id, XML asked
            # for): audited under the client the token claims, marked unverified (decoded
            # only then: a request whose token was checked knows its client)
            authorization = dict(scope.get("headers", ())).get(b"authorization", b"").decode("latin-1")
            if authorization[:7].lower() == "bearer ":
                info.client_id = self.claimed(authorization[7:].strip())
        try:
            await self.audit.record(info, status)
        except Exception as exc:
            _log.error("request not audited", request_id=request_id, error=type(exc).__name__)
            held, status = _failure(request_id), 500
        for message in held:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)
        _log.info(
            "request",
            request_id=request_id,
            method=scope["method"],
            interaction=info.interaction,
            type=info.resource_type,
            status=status,
            client_id=info.client_id,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame (code location only: no values)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"


def _failure(request_id: str) -> list[Message]:
    body = fhir_response(outcome("error", "exception", f"Internal error; request id {request_id}"), 500)
    return [
        {"type": "http.response.start", "status": 500, "headers": body.raw_headers},
        {"type": "http.response.body", "body": body.body, "more_body": False},
    ]


def _audit_info(request: Request) -> AuditInfo:
    found = request.scope.get("state", {}).get("audit")
    assert isinstance(found, AuditInfo)
    return found


def _error_handlers(app: FastAPI) -> None:
    async def fhircare_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FhircareError)
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.http_status == 401 else None
        info = _audit_info(request)
        if exc.http_status < 500 and info.refusal is None:
            info.refusal = exc.message
        return fhir_response(exc.to_operation_outcome(), exc.http_status, headers=headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            text, code = "The partner API reads only: this method is not allowed here", "not-supported"
        elif exc.status_code == 404:
            text, code = "No such resource type or interaction", "not-found"
        else:
            text, code = "The request cannot be served", "processing"
        return fhir_response(outcome("error", code, text), exc.status_code)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) if exc.errors() else "request"
        return fhir_response(outcome("error", "invalid", f"invalid {where}"), 400)

    app.add_exception_handler(FhircareError, fhircare_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    base_url: str,
    validator_factory: Callable[[], Any] | None = None,
    key_sets: KeySets | None = None,
    today: Callable[[], date] | None = None,
) -> ASGIApp:
    """The API over one record store (its schema current, its search index built)."""
    with writer(engine).begin() as conn:
        key = settings.api_token_key or partners.token_key(conn)
    tokens = TokenService(
        engine,
        base_url=base_url,
        signing_key=key,
        lifetime_seconds=settings.api_token_lifetime_seconds,
        partner_cache_seconds=settings.api_partner_cache_seconds,
        key_sets=key_sets,
    )

    def default_validator() -> Any:
        from fhircare.validation.api import Validator

        return Validator.create(settings=settings)

    service = FhirService(
        engine,
        tokens,
        base_url=base_url,
        page_size=settings.api_page_size,
        max_page_size=settings.api_max_page_size,
        partner_cache_seconds=settings.api_partner_cache_seconds,
        validator_factory=validator_factory or default_validator,
        **({"today": today} if today is not None else {}),
    )
    audit = AuditWriter(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        audit.start()
        try:
            yield
        finally:
            audit.stop()

    title = "fhircare partner FHIR API"
    description = (
        "Read-only FHIR R4 API over the fhircare record store. SMART Backend Services; every request"
        " audited; a resource a partner may not see is answered as not found."
    )
    app = FastAPI(title=title, docs_url=None, redoc_url=None, lifespan=lifespan)
    _error_handlers(app)
    published = datetime.now(UTC).date().isoformat()
    add_routes(app, service, profiles_by_type(settings.profiles_package), published)
    document = openapi_document(title, description)
    app.openapi = lambda: document  # type: ignore[method-assign]
    return AuditedRequests(app, audit, tokens.unverified_client)
