"""What an AuditEvent names, against the real server (``fhircare serve``) with real tokens
(hazard log H22; found by a privacy review):

- the patients whose data the response disclosed, not every candidate the access policy
  looked at (a GP's search of its 8 patients named all 40 in the store, so a "who accessed
  my record" report listed searches that never showed the patient anything); a count names
  no one; a refused read of one resource still names whose it was, for the administrator;
- every resource a page returned: a page whose includes would take it past what one page
  returns (``service.MAX_PAGE_RESOURCES``) is refused with ``too-costly``, never cut short,
  and nothing it would have returned is left unnamed."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from fhircare.api import service as service_module
from fhircare.api.app import create_app
from fhircare.settings import Settings
from fhircare.store.db import open_store_engine
from tests.integration.api_support import NHS_NUMBER, Api, api_server, audit_count  # noqa: F401 (the api fixture)

_REVINCLUDES = [("_revinclude", f"{t}:patient") for t in ("Observation", "CarePlan", "Goal", "Consent")]


def _events(api: Api, partner: str, subtype: str) -> list[dict[str, Any]]:
    """The AuditEvents of a partner's requests of one interaction, oldest first."""
    params = {"agent": api.partners[partner].client_id, "subtype": subtype, "_count": "1000"}
    found = api.get("AuditEvent", api.token("admin"), params=params)
    assert found.status_code == 200, found.text
    return [e["resource"] for e in found.json().get("entry", ())]


def _query(event: dict[str, Any]) -> str:
    return next((base64.b64decode(e["query"]).decode() for e in event.get("entity", ()) if e.get("query")), "")


def _named(event: dict[str, Any], code: str) -> list[str]:
    """References an AuditEvent names with this entity type (1: a patient, 2: a resource)."""
    return [e["what"]["reference"] for e in event.get("entity", ()) if "what" in e and e["type"]["code"] == code]


def _all_patients(api: Api) -> set[str]:
    rows = api.db().execute("SELECT resource_id FROM resources WHERE resource_type='Patient'")
    return {f"Patient/{r[0]}" for r in rows}


def test_a_search_names_the_patients_it_returned_not_those_the_policy_withheld(api: Api) -> None:
    gp = api.token("gp")
    answer = api.get("Patient", gp, params={"_count": "99"})
    assert answer.status_code == 200
    returned = {f"Patient/{e['resource']['id']}" for e in answer.json()["entry"]}
    withheld = _all_patients(api) - returned
    assert returned and withheld  # the GP sees some of the store's service users, not all
    event = next(e for e in reversed(_events(api, "gp", "search-type")) if "_count=99" in _query(e))
    assert set(_named(event, "1")) == returned
    assert set(_named(event, "2")) == returned
    # the administrator's "who accessed this record" finds no search by the GP
    other = sorted(withheld)[0]
    gp_client = api.partners["gp"].client_id
    assert audit_count(api, patient=other, agent=gp_client, subtype="search-type") == 0
    # a refused read of one resource still names whose it was (a 404 to the GP)
    plan = (
        api.db()
        .execute(
            "SELECT resource_id FROM search_index WHERE resource_type='CarePlan' AND param='patient' AND value=?",
            (other,),
        )
        .fetchone()[0]
    )
    before = audit_count(api, patient=other, agent=gp_client, subtype="read")
    assert api.get(f"CarePlan/{plan}", gp).status_code == 404
    assert audit_count(api, patient=other, agent=gp_client, subtype="read") == before + 1


def test_a_count_names_no_one(api: Api) -> None:
    answer = api.get("Patient", api.token("trust"), params={"_summary": "count"})
    assert answer.status_code == 200 and answer.json()["total"] > 0
    event = next(e for e in reversed(_events(api, "trust", "search-type")) if "_summary=count" in _query(e))
    assert event["outcome"] == "0"
    assert _named(event, "1") == [] and _named(event, "2") == []


def test_a_count_of_a_named_patient_names_them(api: Api) -> None:
    # "is NHS number N known here?" answered 1 or 0 and left no trace on the patient's
    # audit (found by a review of the change that made counts name no one)
    patient = api.get("Patient", api.token("trust"), params={"_count": "1"}).json()["entry"][0]["resource"]
    nhs = next(i["value"] for i in patient["identifier"] if i["system"] == NHS_NUMBER)
    params = {"identifier": f"{NHS_NUMBER}|{nhs}", "_summary": "count"}
    assert api.get("Patient", api.token("trust"), params=params).json()["total"] == 1
    event = next(e for e in reversed(_events(api, "trust", "search-type")) if nhs in _query(e))
    assert _named(event, "1") == [f"Patient/{patient['id']}"] and _named(event, "2") == []


def _call(app: Any, path: str, token: str, params: list[tuple[str, str]]) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            return await client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    return asyncio.run(go())


def test_a_page_whose_includes_would_pass_the_limit_is_refused_not_cut_short(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit is 1,000 resources, more than this store's 24 service users make: the same
    server code runs in process over the same store with a limit this store reaches."""
    trust = api.token("trust")
    params = [("_count", "5"), *_REVINCLUDES]
    whole = api.get("Patient", trust, params=params).json()["entry"]
    assert len(whole) > 5  # five matches and what refers to them
    app = create_app(
        Settings(), open_store_engine(f"sqlite:///{api.store}"), base_url=api.base, validator_factory=lambda: None
    )
    monkeypatch.setattr(service_module, "MAX_PAGE_RESOURCES", len(whole), raising=False)
    at_limit = _call(app, "/Patient", trust, params)
    assert at_limit.status_code == 200 and len(at_limit.json()["entry"]) == len(whole)
    monkeypatch.setattr(service_module, "MAX_PAGE_RESOURCES", len(whole) - 1, raising=False)
    refused = _call(app, "/Patient", trust, params)
    assert refused.status_code == 400, f"{len(refused.json().get('entry', ()))} entries"
    issue = refused.json()["issue"][0]
    assert refused.json()["resourceType"] == "OperationOutcome" and issue["code"] == "too-costly"
    assert "_count" in issue["details"]["text"] and "_revinclude" in issue["details"]["text"]
    # its AuditEvent: refused, nothing returned, no one named
    event = _events(api, "trust", "search-type")[-1]
    assert event["outcome"] == "4" and "_revinclude" in _query(event)
    assert _named(event, "1") == [] and _named(event, "2") == []
    # fewer includes or a smaller page is answered
    fewer = _call(app, "/Patient", trust, [("_count", "5"), ("_revinclude", "Goal:patient")])
    assert fewer.status_code == 200 and fewer.json()["entry"]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("Banana/1", {}),  # no such type
        ("Patient/not%20an%20id", {}),  # a bad id
        ("Patient", {"Accept": "application/fhir+xml"}),  # a format not served
    ],
)
def test_a_request_refused_before_its_token_is_checked_is_audited_under_the_client_it_claims(
    api: Api, path: str, headers: dict[str, str]
) -> None:
    # it was audited as "unknown": an administrator could not tell who probed the API
    admin, gp, client = api.token("admin"), api.token("gp"), api.partners["gp"].client_id
    seen = {e["resource"]["id"] for e in api.get("AuditEvent", admin, params={"_count": "1000"}).json()["entry"]}
    answer = api.get(path, gp, headers=headers)
    assert answer.status_code in (400, 404, 406)
    new = [
        e["resource"]
        for e in api.get("AuditEvent", admin, params={"_count": "1000"}).json()["entry"]
        if e["resource"]["id"] not in seen and e["resource"]["agent"][0]["who"]["identifier"]["value"] != "unknown"
    ]
    claimed = [e for e in new if e["agent"][0]["who"]["identifier"]["value"] == client]
    assert claimed, [e["agent"][0]["who"] for e in new]
    assert "not verified" in claimed[0]["outcomeDesc"]


def test_every_disclosure_names_the_consent_or_duty_that_allowed_it(api: Api) -> None:
    """EC-48 ("audit each override") and EC-49 ("record which policy authorised each
    share"): each resource an AuditEvent names as returned says on what ground it was
    disclosed, and the event's ``agent.policy`` names every Consent relied on (by reference)
    and every other ground of the access policy. A VCSE partner reads plans only on the
    service user's consent; a GP reads its registered patients for direct care."""
    vcse = api.token("vcse")
    answer = api.get("CarePlan", vcse, params={"_count": "100"})
    assert answer.status_code == 200 and answer.json().get("entry")
    event = next(e for e in reversed(_events(api, "vcse", "search-type")) if "_count=100" in _query(e))
    returned = [e for e in event["entity"] if e["type"]["code"] == "2" and "what" in e]
    assert returned
    consents = {
        f"Consent/{r[0]}" for r in api.db().execute("SELECT resource_id FROM resources WHERE resource_type='Consent'")
    }
    relied_on: set[str] = set()
    for entity in returned:
        grounds = [d["valueString"] for d in entity["detail"] if d["type"] == "disclosed on"]
        assert grounds, entity["what"]
        for ground in grounds:
            # a VCSE partner has no direct-care ground: every plan it reads, it reads on a Consent
            named = {part.split(" ", 1)[1] for part in ground.split(", ")}
            assert named <= consents, ground
            relied_on |= named
    policies = event["agent"][0]["policy"]
    assert relied_on and relied_on <= set(policies)
    # an administrator reviewing one Consent (an override for risk, a consent found
    # invalid) finds the disclosures it allowed, by reference or by full URL
    consent = sorted(relied_on)[0]
    for spelt in (consent, f"{api.base}/{consent}"):
        found = api.get("AuditEvent", api.token("admin"), params={"policy": spelt, "_count": "1000"})
        assert found.status_code == 200, found.text
        ids = [e["resource"]["id"] for e in found.json()["entry"]]
        assert event["id"] in ids
        assert all(consent in e["resource"]["agent"][0]["policy"] for e in found.json()["entry"])
    assert audit_count(api, policy="Consent/no-such-consent") == 0
    # several values are any of them; the parameter twice must be met twice
    assert audit_count(api, policy=f"Consent/no-such-consent,{consent}") >= 1
    both = api.get(
        "AuditEvent",
        api.token("admin"),
        params=[("policy", consent), ("policy", "Consent/no-such-consent"), ("_summary", "count")],
    )
    assert both.status_code == 200 and both.json()["total"] == 0

    gp = api.token("gp")
    patient = api.get("Patient", gp, params={"_count": "1"}).json()["entry"][0]["resource"]
    assert api.get(f"Patient/{patient['id']}", gp).status_code == 200
    read = _events(api, "gp", "read")[-1]
    (entity,) = [
        e
        for e in read["entity"]
        if e.get("what", {}).get("reference") == f"Patient/{patient['id']}" and e["type"]["code"] == "2"
    ]
    assert [d["valueString"] for d in entity["detail"]] == ["direct-care registered"]
    assert read["agent"][0]["policy"] == ["https://fhir.fhircare.nhs.uk/access-policy/direct-care"]
    assert (
        audit_count(
            api, policy="https://fhir.fhircare.nhs.uk/access-policy/direct-care", agent=api.partners["gp"].client_id
        )
        >= 1
    )
    assert (
        audit_count(
            api,
            policy="https://fhir.fhircare.nhs.uk/access-policy/direct-care",
            agent=api.partners["vcse"].client_id,
        )
        == 0
    )
    # the AuditEvent, with what it now records, is still a valid R4 AuditEvent
    from fhircare.validation.api import validate

    outcome = validate(read)
    assert not [i for i in outcome.issue if i.severity in ("error", "fatal")], outcome
