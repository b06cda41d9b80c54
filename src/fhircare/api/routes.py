"""The API's routes: for every served type read, vread, history, search (GET, and POST
``_search``) and ``$validate``; ``Patient/$everything``; ``/metadata``; the SMART
configuration and the token endpoint. Every route is declared with its parameters, so the
OpenAPI document (``/openapi.json``) describes each type's search parameters."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from fhircare.api import audit_search, bundles
from fhircare.api.audit import AuditInfo
from fhircare.api.auth import OAuthError
from fhircare.api.capability import AUDIT_PARAMS, SERVED_TYPES, capability_statement, smart_configuration
from fhircare.api.scopes import AUDIT_EVENT
from fhircare.api.search import CONTROL
from fhircare.api.service import FhirService
from fhircare.errors import NotAcceptableError, NotSupportedError, UsageError
from fhircare.store.search_index import REGISTRY

ID_PATTERN = r"^[A-Za-z0-9\-\.]{1,64}$"
Id = Annotated[str, Path(pattern=ID_PATTERN, description="The resource id")]
Vid = Annotated[str, Path(pattern=r"^[0-9]{1,9}$", description="The version id")]
_FORMAT_PARAMS = frozenset({"_format", "_pretty"})
_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _info(request: Request) -> AuditInfo:
    found = request.scope.get("state", {}).get("audit")
    assert isinstance(found, AuditInfo)
    return found


def _checked(request: Request, allowed: frozenset[str] = _FORMAT_PARAMS) -> bool:
    """Refuse parameters an interaction does not support and formats other than JSON; True
    when ``_pretty=true``."""
    accept = request.headers.get("accept", "")
    if accept and "json" not in accept and "*/*" not in accept:
        raise NotAcceptableError(f"Accept: {accept}: only FHIR JSON is served")
    for key, value in request.query_params.multi_items():
        if key not in allowed:
            raise NotSupportedError(f"{key}: not supported by this interaction")
        if key == "_format" and value not in ("json", "application/json", "application/fhir+json"):
            raise NotAcceptableError(f"_format={value}: only FHIR JSON is served")
    return request.query_params.get("_pretty") == "true"


def _query(request: Request) -> str | None:
    return request.url.query or None


def _search_parameters(rtype: str) -> list[dict[str, Any]]:
    names = [(p.name, p.description) for p in REGISTRY.get(rtype, ())]
    if rtype == AUDIT_EVENT:
        names = [(n, d) for n, (_k, d) in AUDIT_PARAMS.items()]
    names += [("_id", "Resource ids"), ("_lastUpdated", "When the resource last changed (prefix + date)")]
    names += [(c, "See the CapabilityStatement") for c in sorted(CONTROL)]
    return [
        {"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
        for n, d in dict.fromkeys(names)
        if not (rtype == AUDIT_EVENT and n == "_lastUpdated")
    ]


def add_routes(app: FastAPI, service: FhirService, profiles: dict[str, list[str]], published: str) -> None:
    base = service.base_url

    @app.get("/metadata", tags=["server"], summary="CapabilityStatement")
    async def metadata(request: Request) -> Response:
        _info(request).interaction = "capabilities"
        pretty = _checked(request, _FORMAT_PARAMS | {"mode"})
        return bundles.fhir_response(capability_statement(base, profiles, published), pretty=pretty)

    @app.get("/.well-known/smart-configuration", tags=["server"], summary="SMART configuration")
    async def smart(request: Request) -> Response:
        _info(request).interaction = "capabilities"
        return JSONResponse(smart_configuration(base))

    @app.post("/auth/token", tags=["server"], summary="SMART Backend Services token endpoint")
    async def token(request: Request) -> Response:
        info = _info(request)
        info.interaction = "token"
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        try:
            body, client_id = await run_in_threadpool(service.tokens.issue, form)
        except OAuthError as exc:
            info.client_id = exc.client_id or _claimed(form.get("client_assertion", ""), service)
            info.refusal = f"{exc.error}: {exc.description}"
            return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        info.client_id, info.client_verified = client_id, True
        return JSONResponse(body, headers=headers)

    for rtype in SERVED_TYPES:
        _type_routes(app, service, rtype)

    @app.get(
        "/Patient/{rid}/$everything",
        tags=["Patient"],
        summary="Everything the caller may see about one patient",
        openapi_extra={"security": _SECURITY},
    )
    async def everything(request: Request, rid: Id) -> Response:
        info = _info(request)
        pretty = _checked(request)
        caller = service.caller(request.headers.get("authorization"), info)
        bundle = await run_in_threadpool(service.everything, caller, rid, info)
        return bundles.fhir_response(bundle, pretty=pretty)


def _claimed(assertion: str, service: FhirService) -> str | None:
    return service.tokens.unverified_client(assertion) if assertion else None


def _type_routes(app: FastAPI, service: FhirService, rtype: str) -> None:
    audit_events = rtype == AUDIT_EVENT
    extra = {"security": _SECURITY}

    async def read(request: Request, rid: Id) -> Response:
        info = _info(request)
        pretty = _checked(request)
        caller = service.caller(request.headers.get("authorization"), info)
        if audit_events:
            stored, visible = audit_search.read(service, service.engine, caller, rid, info)
        else:
            stored, visible = service.read(caller, rtype, rid, info)
        headers = bundles.resource_headers(stored)
        if bundles.matches_etag(request.headers.get("if-none-match"), stored.version):
            return Response(status_code=304, headers=headers)
        return bundles.fhir_response(bundles.served(stored, visible), headers=headers, pretty=pretty)

    async def vread(request: Request, rid: Id, vid: Vid) -> Response:
        info = _info(request)
        pretty = _checked(request)
        caller = service.caller(request.headers.get("authorization"), info)
        stored, visible = service.vread(caller, rtype, rid, vid, info)
        headers = bundles.resource_headers(stored)
        return bundles.fhir_response(bundles.served(stored, visible), headers=headers, pretty=pretty)

    async def history(request: Request, rid: Id) -> Response:
        info = _info(request)
        pretty = _checked(request)
        caller = service.caller(request.headers.get("authorization"), info)
        return bundles.fhir_response(service.history(caller, rtype, rid, info), pretty=pretty)

    async def search(request: Request) -> Response:
        return await _search(request, list(request.query_params.multi_items()))

    async def search_post(request: Request) -> Response:
        form = await request.form()
        params = [*request.query_params.multi_items(), *((k, v) for k, v in form.multi_items() if isinstance(v, str))]
        return await _search(request, params)

    async def _search(request: Request, params: list[tuple[str, str]]) -> Response:
        info = _info(request)
        info.query = _query(request) or "&".join(f"{k}={v}" for k, v in params) or None
        accept = request.headers.get("accept", "")
        if accept and "json" not in accept and "*/*" not in accept:
            raise NotAcceptableError(f"Accept: {accept}: only FHIR JSON is served")
        caller = service.caller(request.headers.get("authorization"), info)
        pretty = any(k == "_pretty" and v == "true" for k, v in params)
        if audit_events:
            bundle = await run_in_threadpool(audit_search.search, service, service.engine, caller, params, info)
        else:
            bundle = await run_in_threadpool(service.search, caller, rtype, params, info)
        return bundles.fhir_response(bundle, pretty=pretty)

    async def validate(request: Request) -> Response:
        info = _info(request)
        info.interaction, info.resource_type = "operation", rtype
        profile = request.query_params.get("profile")
        _checked(request, _FORMAT_PARAMS | {"profile"})
        service.caller(request.headers.get("authorization"), info)
        body = await request.body()
        if not body:
            raise UsageError("$validate needs the resource in the body")
        result = await run_in_threadpool(service.validate, rtype, body, profile)
        return bundles.fhir_response(result)

    tags: list[str | Enum] = [rtype]
    app.add_api_route(
        f"/{rtype}/{{rid}}", read, methods=["GET"], tags=tags, summary=f"Read a {rtype}", openapi_extra=extra
    )
    app.add_api_route(
        f"/{rtype}",
        search,
        methods=["GET"],
        tags=tags,
        summary=f"Search {rtype}",
        openapi_extra={**extra, "parameters": _search_parameters(rtype)},
    )
    app.add_api_route(
        f"/{rtype}/_search",
        search_post,
        methods=["POST"],
        tags=tags,
        summary=f"Search {rtype} (form)",
        openapi_extra=extra,
    )
    if audit_events:
        return
    app.add_api_route(
        f"/{rtype}/{{rid}}/_history/{{vid}}",
        vread,
        methods=["GET"],
        tags=tags,
        summary=f"Read a version of a {rtype}",
        openapi_extra=extra,
    )
    app.add_api_route(
        f"/{rtype}/{{rid}}/_history",
        history,
        methods=["GET"],
        tags=tags,
        summary=f"History of a {rtype}",
        openapi_extra=extra,
    )
    app.add_api_route(
        f"/{rtype}/$validate",
        validate,
        methods=["POST"],
        tags=tags,
        summary=f"Validate a {rtype} against the base specification and fhircare's profiles",
        openapi_extra={
            **extra,
            "requestBody": {
                "required": True,
                "content": {"application/fhir+json": {"schema": {"type": "object"}}},
            },
        },
    )


def openapi_bearer(app: FastAPI) -> None:
    """Declare the bearer scheme the routes' ``security`` names."""
    schema = app.openapi()
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
