"""Disclosure controls of the partner API that a review found open (hazard log H27), each
tried against the real server (``fhircare serve``) with real tokens:

- urgent care must name the patient: a system-only identifier (``nhs-number|``) names
  everyone, and a directory search's reverse includes (everyone's plans that name a team)
  name no one: both refused;
- a search posted as JSON is refused (415), not read as a search for everything;
- a posted search is audited with every parameter it carried;
- ``$validate`` needs a scope for the type (an auditor has none);
- dates at the ends of time are searched, not failed (500)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.integration.api_support import NHS_NUMBER, Api, api_server  # noqa: F401 (the api fixture)

CARE_PLAN_IDENTIFIER = "https://fhir.fhircare.nhs.uk/Id/synthetic-valley-trust/care-plan"


def _post(api: Api, path: str, token: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{api.base}/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs)  # type: ignore[arg-type]


def _audited_search_queries(api: Api) -> list[str]:
    """The queries of the last 100 searches' AuditEvents (as the administrator reads them)."""
    events = api.get("AuditEvent", api.token("admin"), params={"subtype": "search-type", "_count": "100"}).json()
    return [
        base64.b64decode(entity["query"]).decode()
        for event in events["entry"]
        for entity in event["resource"].get("entity", ())
        if entity.get("query")
    ]


def _some_patient(api: Api) -> tuple[str, str]:
    patient = api.get("Patient", api.token("trust"), params={"_count": "1"}).json()["entry"][0]["resource"]
    return patient["id"], next(i["value"] for i in patient["identifier"] if i["system"] == NHS_NUMBER)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("Patient", {"identifier": f"{NHS_NUMBER}|"}),
        ("Patient", {"identifier": f"{NHS_NUMBER}|", "_summary": "count"}),
        ("CarePlan", {"identifier": f"{CARE_PLAN_IDENTIFIER}|", "_count": "100"}),
        ("HealthcareService", {"_revinclude": "CarePlan:performer", "_count": "100"}),
        ("Organization", {"_revinclude": "Patient:general-practitioner"}),
        ("PractitionerRole", {"_revinclude": "CareTeam:participant"}),
    ],
)
def test_urgent_care_cannot_list_service_users_without_naming_one(api: Api, path: str, params: dict[str, str]) -> None:
    answer = api.get(path, api.token("urgent"), params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["resourceType"] == "OperationOutcome"


def test_urgent_care_still_finds_the_patient_it_names(api: Api) -> None:
    patient_id, nhs = _some_patient(api)
    token = api.token("urgent")
    found = api.get("Patient", token, params={"identifier": f"{NHS_NUMBER}|{nhs}"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [patient_id]
    # and the directory itself, without what refers to it
    assert api.get("HealthcareService", token).status_code == 200


def test_a_gp_may_still_reverse_include_from_the_directory_within_its_own_patients(api: Api) -> None:
    answer = api.get("Organization", api.token("gp"), params={"_revinclude": "Patient:general-practitioner"})
    assert answer.status_code == 200


def test_a_search_posted_as_json_is_refused_not_read_as_a_search_for_everything(api: Api) -> None:
    patient_id, _ = _some_patient(api)
    answer = _post(api, "CarePlan/_search", api.token("gp"), json={"patient": f"Patient/{patient_id}"})
    assert answer.status_code == 415
    assert answer.json()["issue"][0]["code"] == "not-supported"


def test_a_posted_search_is_audited_with_every_parameter(api: Api) -> None:
    # a service user no other test here searches for: the audit can only have the number
    # from the posted form (it kept the URL's query string alone)
    second = api.get("Patient", api.token("trust"), params={"_count": "2"}).json()["entry"][1]["resource"]
    nhs = next(i["value"] for i in second["identifier"] if i["system"] == NHS_NUMBER)
    answer = _post(api, "Patient/_search?_count=1", api.token("trust"), data={"identifier": f"{NHS_NUMBER}|{nhs}"})
    assert answer.status_code == 200 and answer.json()["entry"]
    queries = _audited_search_queries(api)
    assert any(nhs in q and "_count=1" in q for q in queries)


def test_validate_needs_a_scope_for_the_type(api: Api) -> None:
    plan = {"resourceType": "CarePlan", "status": "active", "intent": "plan", "subject": {"reference": "Patient/x"}}
    assert _post(api, "CarePlan/$validate", api.token("admin"), json=plan).status_code == 403
    assert _post(api, "CarePlan/$validate", api.token("trust"), json=plan).status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01", "lt0001-01-01", "9999-12-31T23:59:59Z"])
def test_dates_at_the_ends_of_time_are_searched(api: Api, value: str) -> None:
    assert api.get("CarePlan", api.token("trust"), params={"_lastUpdated": value}).status_code == 200


def test_urgent_care_names_one_patient_at_a_time(api: Api) -> None:
    # local ids run P000001, P000002, ...: a list of them was a list of everyone
    token, trust = api.token("urgent"), api.token("trust")
    found = api.get("Patient", trust, params={"_count": "2"}).json()["entry"]
    numbers = [next(i["value"] for i in e["resource"]["identifier"] if i["system"] == NHS_NUMBER) for e in found]
    listed = ",".join(f"{NHS_NUMBER}|{n}" for n in numbers)
    assert api.get("Patient", token, params={"identifier": listed}).status_code == 400
    ids = ",".join(e["resource"]["id"] for e in found)
    assert api.get("CarePlan", token, params={"patient": ids}).status_code == 400


def test_a_narrowed_plan_is_matched_only_by_what_the_reader_is_shown(api: Api) -> None:
    # a VCSE partner is shown its own actions and the crisis contacts of a plan: asking
    # CarePlan?_id=<plan>&performer=<team> for each team must not tell it which others act
    token = api.token("vcse")
    plans = api.get("CarePlan", token, params={"_count": "100"}).json()["entry"]
    db = api.db()
    checked = 0
    for entry in plans:
        shown = entry["resource"]
        if "REDACTED" not in {s.get("code") for s in shown["meta"].get("security", ())}:
            continue
        (content,) = db.execute(
            "SELECT content FROM resources WHERE resource_type='CarePlan' AND resource_id=?", (shown["id"],)
        ).fetchone()
        stored = json.loads(content)
        performers = lambda plan: {  # noqa: E731
            p["reference"] for a in plan.get("activity", ()) for p in a.get("detail", {}).get("performer", ())
        }
        hidden, visible = performers(stored) - performers(shown), performers(shown)
        for ref in hidden:
            answer = api.get("CarePlan", token, params={"_id": shown["id"], "performer": ref}).json()
            assert "entry" not in answer, ref
            checked += 1
        for ref in visible:
            answer = api.get("CarePlan", token, params={"_id": shown["id"], "performer": ref}).json()
            assert [e["resource"]["id"] for e in answer["entry"]] == [shown["id"]]
    assert checked > 0


def test_a_posted_search_keeps_what_it_names_out_of_its_page_links(api: Api) -> None:
    # a search is posted to keep NHS numbers out of URLs (access logs, proxies); its next
    # link is a URL the client GETs: it must not carry them back (hazard log H22)
    trust = api.token("trust")
    found = api.get("Patient", trust, params={"_count": "3"}).json()["entry"]
    numbers = [next(i["value"] for i in e["resource"]["identifier"] if i["system"] == NHS_NUMBER) for e in found]
    form = {"identifier": ",".join(f"{NHS_NUMBER}|{n}" for n in numbers), "_count": "1"}
    page = _post(api, "Patient/_search", trust, data=form).json()
    seen, links = [], []
    while True:
        seen += [e["resource"]["id"] for e in page.get("entry", ())]
        following = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        links += [link["url"] for link in page["link"] if link["relation"] == "self"]
        if following is None:
            break
        links.append(following)
        page = httpx.get(following, headers={"Authorization": f"Bearer {trust}"}, timeout=60).json()
    assert sorted(seen) == sorted(e["resource"]["id"] for e in found)  # every page, each once
    assert len(links) == 5  # three selves, two nexts
    for url in links:
        assert not any(n in url for n in numbers) and "identifier" not in url and NHS_NUMBER not in url
    # sealed for the client it was given to: another cannot follow it, nor change its search
    gp = httpx.get(links[1], headers={"Authorization": f"Bearer {api.token('gp')}"}, timeout=60)
    assert gp.status_code == 400 and gp.json()["resourceType"] == "OperationOutcome"
    for more in ("&_count=100", "&active=true"):
        changed = httpx.get(links[1] + more, headers={"Authorization": f"Bearer {trust}"}, timeout=60)
        assert changed.status_code == 400, more
    pretty = httpx.get(links[1] + "&_pretty=true", headers={"Authorization": f"Bearer {trust}"}, timeout=60)
    assert pretty.status_code == 200 and pretty.json()["entry"]
    # and the audit of a page says what was searched for, as the posted search's did
    queries = _audited_search_queries(api)
    assert sum(numbers[0] in q and "_page=" in q for q in queries) >= 2
