"""SMART Backend Services against the real server: tokens and client assertions that are
expired, forged, replayed, for the wrong audience or with too few scopes are refused (401
or 403), and every refusal is audited (AuditEvents an administrator finds)."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fhircare.store import partners
from fhircare.store.db import open_store_engine
from tests.integration.api_support import Api, audit_count, fhircare
from tests.integration.api_support import api_server as api_server  # the api fixture


def _signing_key(api: Api) -> str:
    engine = open_store_engine(f"sqlite:///{api.store}")
    with engine.connect() as conn:
        return partners.token_key(conn)


def _access_token(api: Api, key: str, **changes: object) -> str:
    now = int(time.time())
    claims = {
        "iss": api.base,
        "aud": api.base,
        "sub": api.partners["trust"].client_id,
        "iat": now,
        "exp": now + 60,
        "jti": "t",
        "scope": "system/*.read",
    }
    claims.update(changes)
    return jwt.encode(claims, key, algorithm="HS256")


def _other_key() -> bytes:
    return ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_a_real_token_reads(api: Api) -> None:
    response = api.get("Patient", api.token("trust"), params={"_count": "1"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "case",
    ["expired", "forged", "wrong audience", "wrong issuer", "not a jwt", "none algorithm", "missing"],
)
def test_unusable_access_tokens_are_refused_with_401_and_audited(api: Api, case: str) -> None:
    key = _signing_key(api)
    token = {
        "expired": _access_token(api, key, exp=int(time.time()) - 10),
        "forged": _access_token(api, "not the server's key" * 3),
        "wrong audience": _access_token(api, key, aud="https://elsewhere.example/fhir"),
        "wrong issuer": _access_token(api, key, iss="https://elsewhere.example"),
        "not a jwt": "abc.def",
        "none algorithm": jwt.encode({"sub": "x", "aud": api.base}, None, algorithm="none"),
        "missing": None,
    }[case]
    before = audit_count(api, outcome="4", subtype="read")
    response = api.get("Patient/anything", token)
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert audit_count(api, outcome="4", subtype="read") == before + 1


def test_too_few_scopes_are_refused_with_403_and_audited(api: Api) -> None:
    token = api.token("patients-only")
    assert api.get("Patient", token, params={"_count": "1"}).status_code == 200
    before = audit_count(api, outcome="4", agent=api.partners["patients-only"].client_id)
    response = api.get("CarePlan", token)
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"
    assert api.get("AuditEvent", api.token("trust")).status_code == 403  # no wildcard reaches the audit
    assert audit_count(api, outcome="4", agent=api.partners["patients-only"].client_id) == before + 1


def test_scopes_not_registered_are_not_granted(api: Api) -> None:
    partner = api.partners["patients-only"]
    granted = api.token_response(api.assertion(partner), "system/Patient.rs system/CarePlan.rs").json()
    assert granted["scope"] == "system/Patient.rs"
    refused = api.token_response(api.assertion(partner), "system/CarePlan.rs")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "case",
    [
        "replayed",
        "expired",
        "expires after five minutes",
        "wrong audience",
        "forged signature",
        "symmetric algorithm",
        "no jti",
        "unknown client",
        "sub is not iss",
    ],
)
def test_bad_client_assertions_are_refused_with_401_and_audited(api: Api, case: str) -> None:
    partner = api.partners["gp"]
    now = int(time.time())
    assertion = {
        "replayed": api.assertion(partner),
        "expired": api.assertion(partner, iat=now - 600, exp=now - 300),
        "expires after five minutes": api.assertion(partner, exp=now + 900),
        "wrong audience": api.assertion(partner, aud=f"{api.base}/other/token"),
        "forged signature": api.assertion(partner, _key=_other_key()),
        "symmetric algorithm": api.assertion(partner, _key=b"a shared secret, long enough" * 2, _alg="HS384"),
        "no jti": api.assertion(partner, jti=None),
        "unknown client": api.assertion(partner, iss="someone-else", sub="someone-else"),
        "sub is not iss": api.assertion(partner, sub="someone-else"),
    }[case]
    if case == "replayed":
        assert api.token_response(assertion, partner.scopes).status_code == 200
    before = audit_count(api, outcome="4", subtype="110122")
    response = api.token_response(assertion, partner.scopes)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()
    assert audit_count(api, outcome="4", subtype="110122") == before + 1


def test_a_token_request_without_an_assertion_is_refused(api: Api) -> None:
    response = httpx.post(api.token_url, data={"grant_type": "client_credentials", "client_id": "x"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert httpx.post(api.token_url, data={"grant_type": "password"}).json()["error"] == "unsupported_grant_type"


def test_a_removed_partner_gets_no_token_and_its_tokens_stop_working(api: Api, tmp_path: object) -> None:
    fhircare("partners", "keygen", "--out", f"{tmp_path}/k.pem", "--jwks", f"{tmp_path}/k.json", env=api.env)
    out = fhircare(
        "partners",
        "add",
        "--name",
        "Leaving",
        "--ods",
        "ZZ9999",
        "--type",
        "gp",
        "--jwks",
        f"{tmp_path}/k.json",
        "--scopes",
        "system/*.rs",
        "--format",
        "json",
        env=api.env,
    )
    import json
    from pathlib import Path

    from tests.integration.api_support import Partner

    client_id = json.loads(out)["client_id"]
    kid = json.loads(Path(f"{tmp_path}/k.json").read_text())["keys"][0]["kid"]
    leaving = Partner("leaving", client_id, Path(f"{tmp_path}/k.pem"), kid, "system/*.rs")
    token = api.token_response(api.assertion(leaving), "system/*.rs").json()["access_token"]
    assert api.get("Patient", token).status_code == 200
    fhircare("partners", "remove", client_id, env=api.env)
    assert api.get("Patient", token).status_code == 401
    assert api.token_response(api.assertion(leaving), "system/*.rs").status_code == 401
    listed = json.loads(fhircare("partners", "list", "--format", "json", env=api.env))["partners"]
    assert client_id not in {p["client_id"] for p in listed}


def test_every_request_is_audited_with_who_what_and_which_patient(api: Api) -> None:
    token = api.token("trust")
    patient = api.get("Patient", token, params={"_count": "1"}).json()["entry"][0]["resource"]
    read = api.get(f"Patient/{patient['id']}", token)
    admin = api.token("admin")
    events = api.get(
        "AuditEvent", admin, params={"patient": f"Patient/{patient['id']}", "subtype": "read", "_count": "50"}
    ).json()["entry"]
    event = events[-1]["resource"]
    assert event["outcome"] == "0" and event["action"] == "R"
    assert event["agent"][0]["who"]["identifier"]["value"] == api.partners["trust"].client_id
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == "TREAT"
    refs = {e["what"]["reference"] for e in event["entity"] if "what" in e}
    assert f"Patient/{patient['id']}" in refs
    # matched to the response (and the server's log line) by the request id
    assert f"request {read.headers['x-request-id']}" in event["outcomeDesc"]
    one = api.get(f"AuditEvent/{events[-1]['resource']['id']}", admin)
    assert one.status_code == 200 and one.json()["id"] == event["id"]
