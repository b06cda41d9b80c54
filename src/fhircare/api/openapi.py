"""The OpenAPI document of the API (``/openapi.json``): every path the generic routes of
``routes.py`` serve, spelled out per resource type with that type's search parameters, so
that a partner's developer (and schemathesis) sees each type as it is.

Generated from declarations: one FastAPI app whose routes are never served, only described.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import FastAPI, Path
from starlette.responses import Response

from fhircare.api.capability import AUDIT_PARAMS, SERVED_TYPES
from fhircare.api.routes import ID_PATTERN
from fhircare.api.scopes import AUDIT_EVENT
from fhircare.api.search import CONTROL
from fhircare.store.search_index import REGISTRY

Id = Annotated[str, Path(pattern=ID_PATTERN, description="The resource id")]
Vid = Annotated[str, Path(pattern=r"^[0-9]{1,9}$", description="The version id")]
_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_FHIR_JSON = {"content": {"application/fhir+json": {"schema": {"type": "object"}}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    "200": {"description": "FHIR JSON", **_FHIR_JSON},
    "400": {"description": "OperationOutcome: the request cannot be honoured", **_FHIR_JSON},
    "401": {"description": "OperationOutcome: no valid access token", **_FHIR_JSON},
    "403": {"description": "OperationOutcome: the token's scopes do not allow it", **_FHIR_JSON},
    "404": {"description": "OperationOutcome: not found (or not visible to the caller: the same)", **_FHIR_JSON},
}


def _search_parameters(rtype: str) -> list[dict[str, Any]]:
    names = [(p.name, p.description) for p in REGISTRY.get(rtype, ())]
    if rtype == AUDIT_EVENT:
        names = [(n, d) for n, (_k, d) in AUDIT_PARAMS.items()]
    else:
        names.append(("_lastUpdated", "When the resource last changed (prefix + date)"))
    names += [("_id", "Resource ids"), *((c, "See the CapabilityStatement") for c in sorted(CONTROL))]
    return [
        {"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
        for n, d in dict.fromkeys(names)
    ]


async def _described(rid: Id) -> Response:  # never called: only its signature is read
    raise NotImplementedError


async def _described_version(rid: Id, vid: Vid) -> Response:  # never called
    raise NotImplementedError


async def _described_plain() -> Response:  # never called
    raise NotImplementedError


def openapi_document(title: str, description: str) -> dict[str, Any]:
    docs = FastAPI(title=title, version="R4 (4.0.1)", description=description, docs_url=None, redoc_url=None)
    extra = {"security": _SECURITY}
    plain: dict[str, Any] = {"responses": _RESPONSES}
    docs.add_api_route(
        "/metadata",
        _described_plain,
        methods=["GET"],
        tags=["server"],
        summary="CapabilityStatement",
        openapi_extra=plain,
    )
    docs.add_api_route(
        "/.well-known/smart-configuration",
        _described_plain,
        methods=["GET"],
        tags=["server"],
        summary="SMART configuration",
    )
    docs.add_api_route(
        "/auth/token",
        _described_plain,
        methods=["POST"],
        tags=["server"],
        summary="SMART Backend Services token endpoint (client_credentials, private_key_jwt)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type", "client_assertion_type", "client_assertion", "scope"],
                            "properties": {
                                k: {"type": "string"}
                                for k in ("grant_type", "client_assertion_type", "client_assertion", "scope")
                            },
                        }
                    }
                },
            }
        },
    )
    for rtype in SERVED_TYPES:
        tags: list[str | Enum] = [rtype]
        docs.add_api_route(
            f"/{rtype}/{{rid}}",
            _described,
            methods=["GET"],
            tags=tags,
            summary=f"Read a {rtype}",
            openapi_extra={**extra, **plain},
        )
        docs.add_api_route(
            f"/{rtype}",
            _described_plain,
            methods=["GET"],
            tags=tags,
            summary=f"Search {rtype}",
            openapi_extra={**extra, **plain, "parameters": _search_parameters(rtype)},
        )
        docs.add_api_route(
            f"/{rtype}/_search",
            _described_plain,
            methods=["POST"],
            tags=tags,
            summary=f"Search {rtype} (parameters as a form)",
            openapi_extra={
                **extra,
                **plain,
                "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
            },
        )
        if rtype == AUDIT_EVENT:
            continue
        docs.add_api_route(
            f"/{rtype}/{{rid}}/_history/{{vid}}",
            _described_version,
            methods=["GET"],
            tags=tags,
            summary=f"Read a version of a {rtype}",
            openapi_extra={**extra, **plain},
        )
        docs.add_api_route(
            f"/{rtype}/{{rid}}/_history",
            _described,
            methods=["GET"],
            tags=tags,
            summary=f"History of a {rtype}",
            openapi_extra={**extra, **plain},
        )
        docs.add_api_route(
            f"/{rtype}/$validate",
            _described_plain,
            methods=["POST"],
            tags=tags,
            summary=f"Validate a {rtype} against the base specification and fhircare's profiles",
            openapi_extra={**extra, **plain, "requestBody": {"required": True, **_FHIR_JSON}},
        )
    docs.add_api_route(
        "/Patient/{rid}/$everything",
        _described,
        methods=["GET"],
        tags=["Patient"],
        summary="Everything the caller may see about one patient",
        openapi_extra={**extra, **plain},
    )
    schema = docs.openapi()
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    return schema
