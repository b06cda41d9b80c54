"""The API's routes: for every served type read, vread, history, search (GET, and POST
``_search``) and ``$validate``; ``Patient/$everything``; ``/metadata``; the SMART
configuration and the token endpoint.

Requests are routed by a handful of generic routes (``/{type}/{id}``, ...): a route per
type and interaction would be a hundred routes, which the router tries one by one on every
request. The OpenAPI document (``/openapi.json``) still describes each type with its own
search parameters: it is generated from declarations per type (``openapi.py``) whose paths
these routes serve.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import orjson
from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fhircare.api import audit_search, bundles, paging
from fhircare.api.audit import AuditInfo
from fhircare.api.auth import OAuthError
from fhircare.api.capability import SERVED_TYPES, capability_statement, smart_configuration
from fhircare.api.scopes import AUDIT_EVENT
from fhircare.api.service import FhirService
from fhircare.errors import NotAcceptableError, NotFoundError, NotSupportedError, UnsupportedMediaTypeError, UsageError

ID_PATTERN = r"^[A-Za-z0-9\-\.]{1,64}$"
_ID = re.compile(ID_PATTERN)
_VID = re.compile(r"^[0-9]{1,9}$")
_FORMAT_PARAMS = frozenset({"_format", "_pretty"})
_JSON = ("json", "application/json", "application/fhir+json")
_SERVED = frozenset(SERVED_TYPES)


def _info(request: Request) -> AuditInfo:
    found = request.scope.get("state", {}).get("audit")
    assert isinstance(found, AuditInfo)
    return found


def _accepts_json(request: Request) -> None:
    accept = request.headers.get("accept", "")
    if accept and "json" not in accept and "*/*" not in accept:
        raise NotAcceptableError(f"Accept: {accept}: only FHIR JSON is served")


def _checked(request: Request, allowed: frozenset[str] = _FORMAT_PARAMS) -> bool:
    """Refuse parameters an interaction does not support and formats other than JSON; True
    when ``_pretty=true``."""
    _accepts_json(request)
    if not request.scope.get("query_string"):
        return False
    for key, value in request.query_params.multi_items():
        if key not in allowed:
            raise NotSupportedError(f"{key}: not supported by this interaction")
        if key == "_format" and value not in _JSON:
            raise NotAcceptableError(f"_format={value}: only FHIR JSON is served")
    return request.query_params.get("_pretty") == "true"


def _type(request: Request, *, audit_events: bool = True) -> str:
    rtype = str(request.path_params["rtype"])
    if rtype not in _SERVED or (rtype == AUDIT_EVENT and not audit_events):
        _info(request).resource_type = None
        raise NotFoundError(f"{rtype} is not a resource type this server serves")
    return rtype


def _id(request: Request, name: str = "rid", pattern: re.Pattern[str] = _ID) -> str:
    value = str(request.path_params[name])
    if not pattern.match(value):
        raise UsageError(f"{value!r} is not a valid FHIR {'version ' if name == 'vid' else ''}id")
    return value


def add_routes(app: FastAPI, service: FhirService, profiles: dict[str, list[str]], published: str) -> None:
    base = service.base_url

    async def metadata(request: Request) -> Response:
        _info(request).interaction = "capabilities"
        pretty = _checked(request, _FORMAT_PARAMS | {"mode"})
        return bundles.fhir_response(capability_statement(base, profiles, published), pretty=pretty)

    async def smart(request: Request) -> Response:
        _info(request).interaction = "capabilities"
        return JSONResponse(smart_configuration(base))

    async def token(request: Request) -> Response:
        info = _info(request)
        info.interaction = "token"
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        try:
            body, client_id = await run_in_threadpool(service.tokens.issue, form)
        except OAuthError as exc:
            assertion = form.get("client_assertion", "")
            info.client_id = exc.client_id or (service.tokens.unverified_client(assertion) if assertion else None)
            info.refusal = f"{exc.error}: {exc.description}"
            return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        info.client_id, info.client_verified = client_id, True
        return JSONResponse(body, headers=headers)

    async def read(request: Request) -> Response:
        info = _info(request)
        info.interaction = "read"
        rtype, rid = _type(request), _id(request)
        info.resource_type, info.requested = rtype, f"{rtype}/{rid}"
        pretty = _checked(request)
        who = service.caller(request.headers.get("authorization"), info)
        if rtype == AUDIT_EVENT:
            stored, event = audit_search.read(service, service.engine, who, rid, info)
            sent = orjson.dumps(bundles.served(stored, event))
        else:
            stored, sent = service.read(who, rtype, rid, info)
        headers = bundles.resource_headers(stored, sent)
        if bundles.matches_etag(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)
        return bundles.fhir_response(sent, headers=headers, pretty=pretty)

    async def vread(request: Request) -> Response:
        info = _info(request)
        info.interaction = "vread"
        rtype, rid, vid = _type(request, audit_events=False), _id(request), _id(request, "vid", _VID)
        info.resource_type, info.requested = rtype, f"{rtype}/{rid}"
        pretty = _checked(request)
        who = service.caller(request.headers.get("authorization"), info)
        stored, sent = service.vread(who, rtype, rid, vid, info)
        return bundles.fhir_response(sent, headers=bundles.resource_headers(stored, sent), pretty=pretty)

    async def history(request: Request) -> Response:
        info = _info(request)
        info.interaction = "history-instance"
        rtype, rid = _type(request, audit_events=False), _id(request)
        info.resource_type, info.requested = rtype, f"{rtype}/{rid}"
        pretty = _checked(request)
        who = service.caller(request.headers.get("authorization"), info)
        return bundles.fhir_response(service.history(who, rtype, rid, info), pretty=pretty)

    async def search(request: Request) -> Response:
        return await _search(request, list(request.query_params.multi_items()), posted=False)

    async def search_post(request: Request) -> Response:
        # FHIR posts a search as a form: a body in any other form (JSON, a file) would be
        # read as no parameters at all, and the search would answer for everyone
        body = await request.body()
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if body and media_type != "application/x-www-form-urlencoded":
            raise UnsupportedMediaTypeError(
                f"_search takes its parameters as application/x-www-form-urlencoded, not {media_type or 'no type'}"
            )
        form = await request.form()
        params = [*request.query_params.multi_items(), *((k, v) for k, v in form.multi_items() if isinstance(v, str))]
        return await _search(request, params, posted=True)

    async def _search(request: Request, params: list[tuple[str, str]], *, posted: bool) -> Response:
        info = _info(request)
        info.interaction = "search-type"
        rtype = _type(request)
        info.resource_type = rtype
        # every parameter, from the URL and a posted form alike: the audit says what was asked
        info.query = urlencode(params) or None
        _accepts_json(request)
        who = service.caller(request.headers.get("authorization"), info)
        if paging.is_sealed(params):
            # the next page of a posted search: what it searches for, from its sealed link
            params = service.pages.open(params, who.token.client_id, rtype)
            info.query, posted = urlencode(params), True
        # a posted search kept its parameters out of URLs: its next link must not bring them back
        sealed_for = who.token.client_id if posted else None
        pretty = any(k == "_pretty" and v == "true" for k, v in params)
        # a count however written ("_count=00" is one): it decides every match
        counting = any(
            (k == "_summary" and v == "count") or (k == "_count" and v.isdigit() and int(v) == 0) for k, v in params
        )
        if rtype == AUDIT_EVENT:
            bundle = await run_in_threadpool(
                audit_search.search, service, service.engine, who, params, info, sealed_for=sealed_for
            )
        elif counting:  # a count decides every match: off the event loop
            bundle = await run_in_threadpool(service.search, who, rtype, params, info, sealed_for=sealed_for)
        else:
            # on the event loop, like a read: a page of results costs a few milliseconds,
            # and threads would contend for the GIL
            bundle = service.search(who, rtype, params, info, sealed_for=sealed_for)
        return bundles.fhir_response(bundle, pretty=pretty)

    async def validate(request: Request) -> Response:
        info = _info(request)
        rtype = _type(request, audit_events=False)
        info.interaction, info.resource_type = "operation", rtype
        profile = request.query_params.get("profile")
        _checked(request, _FORMAT_PARAMS | {"profile"})
        who = service.caller(request.headers.get("authorization"), info)
        # validating is reading's kin: a client with no scope for the type (an auditor) may not
        service.require(who, rtype, "read", info)
        body = await request.body()
        if not body:
            raise UsageError("$validate needs the resource in the body")
        return bundles.fhir_response(await run_in_threadpool(service.validate, rtype, body, profile))

    async def everything(request: Request) -> Response:
        info = _info(request)
        info.interaction, info.resource_type = "operation", "Patient"
        rid = _id(request)
        info.requested = f"Patient/{rid}"
        pretty = _checked(request)
        who = service.caller(request.headers.get("authorization"), info)
        bundle = await run_in_threadpool(service.everything, who, rid, info)
        return bundles.fhir_response(bundle, pretty=pretty)

    routes = [
        Route("/metadata", metadata, methods=["GET"]),
        Route("/.well-known/smart-configuration", smart, methods=["GET"]),
        Route("/auth/token", token, methods=["POST"]),
        Route("/Patient/{rid}/$everything", everything, methods=["GET"]),
        Route("/{rtype}/$validate", validate, methods=["POST"]),
        Route("/{rtype}/_search", search_post, methods=["POST"]),
        Route("/{rtype}/{rid}/_history/{vid}", vread, methods=["GET"]),
        Route("/{rtype}/{rid}/_history", history, methods=["GET"]),
        Route("/{rtype}/{rid}", read, methods=["GET"]),
        Route("/{rtype}", search, methods=["GET"]),
    ]
    app.router.routes.extend(routes)
