"""The partner API read through a FHIR client written elsewhere (fhirpy), against the real
server (``fhircare serve``) with real tokens: search a patient by NHS number, read the care
plan with its care team included, page through results with the server's next links, ETags,
Patient/$everything, $validate, /metadata; a refusal looks exactly like "not found"; no
personal data reaches the server's log."""

from __future__ import annotations

import re

import httpx
import pytest
from fhirpy import SyncFHIRClient

from tests.integration.api_support import NHS_NUMBER, Api, api_server  # noqa: F401 (the api fixture)


def _client(api: Api, name: str) -> SyncFHIRClient:
    return SyncFHIRClient(api.base, authorization=f"Bearer {api.token(name)}")


def _registered_patient(api: Api) -> tuple[str, str]:
    """(patient id, NHS number) of a service user registered with the GP partner."""
    found = api.get("Patient", api.token("gp"), params={"_count": "1"}).json()
    patient = found["entry"][0]["resource"]
    nhs = next(i["value"] for i in patient["identifier"] if i["system"] == NHS_NUMBER)
    return patient["id"], nhs


def test_a_gp_finds_its_patient_by_nhs_number_and_reads_the_care_plan_with_its_care_team(api: Api) -> None:
    client = _client(api, "gp")
    patient_id, nhs = _registered_patient(api)
    patients = client.resources("Patient").search(identifier=f"{NHS_NUMBER}|{nhs}").fetch()
    assert [p["id"] for p in patients] == [patient_id]
    bundle = (
        client.resources("CarePlan")
        .search(patient=f"Patient/{patient_id}")
        .include("CarePlan", "care-team")
        .fetch_raw()
    )
    plans = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    teams = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert plans and all(p["resourceType"] == "CarePlan" for p in plans)
    assert {t["resourceType"] for t in teams} == {"CareTeam"}
    assert {f"CareTeam/{t['id']}" for t in teams} <= {c["reference"] for p in plans for c in p.get("careTeam", ())}
    plan = client.reference("CarePlan", plans[0]["id"]).to_resource()
    assert plan["id"] == plans[0]["id"] and plan["meta"]["versionId"] == "1"


def test_paging_follows_next_links_that_keep_every_parameter(api: Api) -> None:
    client = _client(api, "trust")
    total = api.get("CarePlan", api.token("trust"), params={"status": "active", "_summary": "count"}).json()["total"]
    assert total > 3
    first = api.get("CarePlan", api.token("trust"), params={"status": "active", "_count": "2"}).json()
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert "status=active" in following and "_count=2" in following and "_page=" in following
    every = client.resources("CarePlan").search(status="active").limit(2).fetch_all()
    assert len(every) == total == len({p["id"] for p in every})
    assert all(p["status"] == "active" for p in every)


def test_etag_and_if_none_match(api: Api) -> None:
    token = api.token("trust")
    patient_id, _ = _registered_patient(api)
    first = api.get(f"Patient/{patient_id}", token)
    assert first.status_code == 200 and first.headers["etag"] == 'W/"1"'
    again = api.get(f"Patient/{patient_id}", token, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    history = api.get(f"Patient/{patient_id}/_history", token).json()
    assert history["type"] == "history" and history["total"] == 1
    assert api.get(f"Patient/{patient_id}/_history/1", token).json()["id"] == patient_id


def test_no_answer_may_be_reused_without_asking_the_api_again(api: Api) -> None:
    # H12, H22: answers carried Last-Modified and no Cache-Control, so an HTTP cache in the
    # partner's client (a browser, a caching HTTP library) could reuse them for hours or
    # days on its own heuristic without asking again: a plan went on being shown after the
    # consent that allowed it was withdrawn, and those reads left no AuditEvent (found by
    # the API review, 2026-12-07). Every answer must be asked for again (the API decides
    # and audits each time; If-None-Match still saves the body) and kept by no shared cache
    token = api.token("trust")
    patient_id, _ = _registered_patient(api)
    first = api.get(f"Patient/{patient_id}", token)
    answers = [
        first,
        api.get(f"Patient/{patient_id}", token, headers={"If-None-Match": first.headers["etag"]}),
        api.get(f"Patient/{patient_id}/_history", token),
        api.get(f"Patient/{patient_id}/_history/1", token),
        api.get("Patient", token, params={"_count": "1"}),
        api.get(f"Patient/{patient_id}/$everything", token),
        api.get("Patient/no-such-patient", token),
        api.get("AuditEvent", api.token("admin"), params={"_count": "1"}),
    ]
    assert [a.status_code for a in answers] == [200, 304, 200, 200, 200, 200, 404, 200]
    for answer in answers:
        directives = {d.strip() for d in answer.headers.get("cache-control", "").split(",")}
        assert {"private", "no-cache"} <= directives, (answer.request.url, answer.headers)


def test_everything_is_what_the_caller_may_see(api: Api) -> None:
    # a service user registered with the GP partner who has a DIALOG rating on record (the
    # GP must not see it; the trust must)
    db = api.db()
    rated = {
        str(value).rsplit("/", 1)[-1]
        for (value,) in db.execute(
            "SELECT value FROM search_index WHERE resource_type='QuestionnaireResponse' AND param='patient'"
        )
    }
    registered = api.get("Patient", api.token("gp"), params={"_count": "100"}).json()["entry"]
    gp_patients = [p["resource"]["id"] for p in registered]
    patient_id = next(p for p in gp_patients if p in rated)
    by_gp = api.get(f"Patient/{patient_id}/$everything", api.token("gp")).json()
    by_trust = api.get(f"Patient/{patient_id}/$everything", api.token("trust")).json()
    gp_types = {e["resource"]["resourceType"] for e in by_gp["entry"]}
    trust_types = {e["resource"]["resourceType"] for e in by_trust["entry"]}
    assert "Patient" in gp_types and "CarePlan" in gp_types
    assert "Consent" not in gp_types and "QuestionnaireResponse" not in gp_types  # not the GP's to see
    assert {"Consent", "QuestionnaireResponse"} <= trust_types
    assert by_gp["total"] < by_trust["total"]


def test_a_refusal_is_answered_exactly_as_not_found(api: Api) -> None:
    """The GP reads a care plan of a service user registered elsewhere: the answer is the one
    for an id that does not exist, byte for byte (the id aside)."""
    token = api.token("gp")
    db = api.db()
    registered = {
        r[0]
        for r in db.execute(
            "SELECT value FROM search_index WHERE resource_type='Patient' AND param='general-practitioner'"
        )
    }
    gp_patients = {p["resource"]["id"] for p in api.get("Patient", token, params={"_count": "100"}).json()["entry"]}
    other = db.execute(
        "SELECT s.resource_id FROM search_index s WHERE s.resource_type='CarePlan' AND s.param='patient'"
        f" AND s.value NOT IN ({','.join('?' * len(gp_patients))}) LIMIT 1",
        [f"Patient/{p}" for p in gp_patients],
    ).fetchone()[0]
    assert len(registered) > 1
    refused = api.get(f"CarePlan/{other}", token)
    missing = api.get("CarePlan/00000000-0000-5000-8000-000000000000", token)
    assert refused.status_code == missing.status_code == 404
    assert refused.content.replace(other.encode(), b"X") == missing.content.replace(
        b"00000000-0000-5000-8000-000000000000", b"X"
    )
    assert set(refused.headers) - {"x-request-id", "date"} == set(missing.headers) - {"x-request-id", "date"}
    searched = api.get("CarePlan", token, params={"_id": other}).json()
    assert "entry" not in searched


def test_what_is_not_supported_is_refused_with_an_operation_outcome(api: Api) -> None:
    token = api.token("trust")
    for params in ({"name": "x"}, {"patient.identifier": "x"}, {"status:not": "active"}, {"_sort": "date"}):
        response = api.get("CarePlan", token, params=params)
        assert response.status_code == 400, params
        assert response.json()["resourceType"] == "OperationOutcome"
    assert api.get("CarePlan", token, params={"_format": "xml"}).status_code == 406
    assert api.get("Basic", token).status_code == 404
    assert api.get("Basic", token).json()["resourceType"] == "OperationOutcome"


def test_metadata_and_smart_configuration(api: Api) -> None:
    statement = api.get("metadata", None).json()
    rest = statement["rest"][0]
    types = {r["type"] for r in rest["resource"]}
    assert {"CarePlan", "CareTeam", "Patient", "AuditEvent", "Flag", "DocumentReference"} <= types
    plan = next(r for r in rest["resource"] if r["type"] == "CarePlan")
    assert {"patient", "identifier", "status", "category", "date", "_lastUpdated"} <= {
        p["name"] for p in plan["searchParam"]
    }
    assert "CarePlan:care-team" in plan["searchInclude"]
    assert any("fhircare-care-plan" in p for p in plan["supportedProfile"])
    smart = api.get(".well-known/smart-configuration", None).json()
    assert smart["token_endpoint"] == api.token_url
    assert smart["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]


def test_validate_uses_the_project_validator(api: Api) -> None:
    token = api.token("trust")
    bad = {
        "resourceType": "CarePlan",
        "status": "not-a-status",
        "intent": "plan",
        "subject": {"reference": "Patient/x"},
    }
    answer = httpx.post(
        f"{api.base}/CarePlan/$validate", json=bad, headers={"Authorization": f"Bearer {token}"}, timeout=120
    )
    assert answer.status_code == 200
    issues = answer.json()["issue"]
    assert any(i["severity"] == "error" and "status" in str(i) for i in issues)


@pytest.mark.parametrize("kind", ["gp", "trust"])
def test_no_personal_data_in_the_server_log(api: Api, kind: str) -> None:
    token = api.token(kind)
    patient_id, nhs = _registered_patient(api)
    patient = api.get(f"Patient/{patient_id}", token).json()
    api.get("Patient", token, params={"identifier": f"{NHS_NUMBER}|{nhs}"})
    assert api.log is not None
    text = api.log.read_text()
    assert "request" in text  # the server does log each request (FHIRCARE_LOG_LEVEL=INFO)
    assert nhs not in text
    for name in patient.get("name", ()):
        for part in [name.get("family", ""), *name.get("given", ())]:
            assert not re.search(rf"\b{re.escape(part)}\b", text), "a name reached the log"
