"""What the API says about itself: the CapabilityStatement (``/metadata``), generated from
what is registered (the types and search parameters of the registry, the includes they
allow, the profiles of fhircare's package, the operations and the security), and the
SMART configuration (``/.well-known/smart-configuration``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

import fhircare
from fhircare.api.scopes import AUDIT_EVENT
from fhircare.api.search import CONTROL
from fhircare.store.search_index import REGISTRY

#: the resource types the API serves: the registry's, and AuditEvent (administrator only)
SERVED_TYPES: tuple[str, ...] = (*REGISTRY, AUDIT_EVENT)
AUDIT_PARAMS = {
    "date": ("date", "When the request was answered"),
    "patient": ("reference", "A patient the request concerned; several values: any of them"),
    "agent": ("token", "The client id of the partner that asked; several values: any of them"),
    "outcome": ("token", "0 success, 4 refused or not found, 8 failed"),
    "subtype": ("token", "The interaction (read, search-type, ...) or 110122 for a token request"),
    "policy": (
        "uri",
        "What the request's disclosures relied on (agent.policy): a Consent (Consent/<id>), or a ground of the"
        " access policy (https://fhir.fhircare.nhs.uk/access-policy/direct-care, ...); several values: any of them",
    ),
}
_PARAM_DEFINITION = "http://hl7.org/fhir/SearchParameter/"


def profiles_by_type(package: Path | None) -> dict[str, list[str]]:
    """The profiles of fhircare's package, per resource type they constrain."""
    found: dict[str, list[str]] = {}
    if package is None or not package.is_dir():
        return found
    for path in sorted(package.glob("StructureDefinition-*.json")):
        definition = orjson.loads(path.read_bytes())
        if definition.get("kind") == "resource" and definition.get("derivation") == "constraint":
            found.setdefault(definition["type"], []).append(definition["url"])
    return found


def _resource(rtype: str, profiles: dict[str, list[str]]) -> dict[str, Any]:
    common = [
        {"name": "_id", "type": "token", "documentation": "The resource id"},
        {"name": "_lastUpdated", "type": "date", "documentation": "When the resource last changed"},
    ]
    if rtype == AUDIT_EVENT:
        params = [{"name": n, "type": k, "documentation": d} for n, (k, d) in AUDIT_PARAMS.items()]
        return {
            "type": rtype,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [common[0], *params],
            "documentation": "Requires an administrator client (system/AuditEvent.rs).",
        }
    registered = REGISTRY[rtype]
    includes = [f"{rtype}:{p.name}" for p in registered if p.kind == "reference"]
    revincludes = sorted(
        f"{source}:{p.name}"
        for source, ps in REGISTRY.items()
        for p in ps
        if p.kind == "reference" and rtype in p.targets
    )
    out: dict[str, Any] = {
        "type": rtype,
        "interaction": [{"code": c} for c in ("read", "vread", "history-instance", "search-type")],
        "versioning": "versioned",
        "readHistory": True,
        "conditionalRead": "not-match",
        "searchInclude": includes,
        "searchRevInclude": revincludes,
        "searchParam": [
            *common,
            *(
                {
                    "name": p.name,
                    "definition": f"{_PARAM_DEFINITION}{rtype}-{p.name}",
                    "type": p.kind,
                    "documentation": p.description,
                }
                for p in registered
            ),
        ],
        "operation": [{"name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}],
    }
    if profiles.get(rtype):
        out["supportedProfile"] = profiles[rtype]
    if rtype == "Patient":
        out["operation"].append(
            {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}
        )
    return out


def capability_statement(base_url: str, profiles: dict[str, list[str]], published: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "fhircare",
        "kind": "instance",
        "software": {"name": "fhircare", "version": fhircare.__version__},
        "implementation": {"description": "fhircare partner FHIR API (read-only)", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Partners see what the service user's consent and their organisation's role allow, nothing"
                    " else; a resource they may not see is answered exactly as one that does not exist. Every"
                    " request is audited. Unsupported search parameters are refused. Search parameters besides"
                    f" each type's own: {', '.join(sorted(CONTROL))}."
                ),
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": f"{base_url}/auth/token"}],
                        }
                    ],
                    "description": "SMART Backend Services: client_credentials with a private_key_jwt client"
                    " assertion (RS384 or ES384); SMART v1 and v2 system scopes, read and search only.",
                },
                "resource": [_resource(t, profiles) for t in SERVED_TYPES],
                "interaction": [],
                "operation": [
                    {"name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}
                ],
            }
        ],
    }


def smart_configuration(base_url: str) -> dict[str, Any]:
    return {
        "issuer": base_url,
        "token_endpoint": f"{base_url}/auth/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": ["system/*.read", "system/*.rs", *(f"system/{t}.rs" for t in SERVED_TYPES)],
        "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
    }
