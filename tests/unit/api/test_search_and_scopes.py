"""Search parameters checked against the registry (what is not supported is refused, never
ignored) and turned into SQL that finds the right resources; SMART scopes as granted."""

from __future__ import annotations

import sqlite3

import pytest

from fhircare.api import paging, search
from fhircare.api.scopes import Grants, check_registration, parse
from fhircare.errors import NotAcceptableError, NotSupportedError, UsageError
from fhircare.store.search_index import REGISTRY, index_rows

BASE = "http://api"


def _parse(rtype: str, *params: tuple[str, str]) -> search.SearchRequest:
    return search.parse(rtype, list(params), base_url=BASE, default_count=20, max_count=100)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ([("name", "x")], NotSupportedError),
        ([("patient.identifier", "x")], NotSupportedError),
        ([("status:not", "active")], NotSupportedError),
        ([("_include:iterate", "CarePlan:goal")], NotSupportedError),
        ([("_include", "*")], NotSupportedError),
        ([("_include", "CareTeam:participant")], UsageError),
        ([("_revinclude", "Goal:patient")], UsageError),
        ([("_summary", "true")], NotSupportedError),
        ([("_format", "xml")], NotAcceptableError),
        ([("_count", "many")], UsageError),
        ([("date", "ap2025")], NotSupportedError),
        ([("date", "yesterday")], UsageError),
        ([("patient", "Organization/x")], UsageError),
        ([("_page", "not-ours")], UsageError),
        ([("status", "")], UsageError),
        ([("date", "2025-01-01T10:00:00+99:00")], UsageError),  # no such time zone
        ([("_id", ",".join(str(n) for n in range(search.MAX_VALUES + 1)))], UsageError),
    ],
)
def test_what_cannot_be_honoured_is_refused(params: list[tuple[str, str]], error: type[Exception]) -> None:
    with pytest.raises(error):
        _parse("CarePlan", *params)


def _store(*resources: dict[str, object]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE resources (resource_type, resource_id, updated_at)")
    db.execute("CREATE TABLE search_index (resource_type, resource_id, param, system, value, low, high)")
    for r in resources:
        rtype, rid = str(r["resourceType"]), str(r["id"])
        db.execute(
            "INSERT INTO resources VALUES (?, ?, ?)", (rtype, rid, r.get("_updated", "2025-01-01 00:00:00.000000"))
        )
        for row in index_rows(rtype, rid, r):
            db.execute("INSERT INTO search_index VALUES (?, ?, ?, ?, ?, ?, ?)", tuple(row.values()))
    return db


def _found(db: sqlite3.Connection, rtype: str, *params: tuple[str, str]) -> set[str]:
    request = search.parse(
        rtype,
        list(params),
        base_url=BASE,
        default_count=20,
        max_count=100,
        timestamp=lambda m: m.strftime("%Y-%m-%d %H:%M:%S.%f"),
    )
    where = " AND ".join(["resource_type = ?", *(f"({t})" for t, _ in request.conditions)])
    values = [rtype, *(v for _, vs in request.conditions for v in vs)]
    return {r[0] for r in db.execute(f"SELECT resource_id FROM resources WHERE {where}", values)}


PLANS = [
    {
        "resourceType": "CarePlan",
        "id": "a",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "identifier": [{"system": "urn:s", "value": "A"}],
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "736253002"}]}],
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
    },
    {
        "resourceType": "CarePlan",
        "id": "b",
        "status": "completed",
        "subject": {"reference": "Patient/p2"},
        "identifier": [{"system": "urn:other", "value": "A"}],
        "period": {"start": "2025-03-01"},
        "_updated": "2025-06-01 10:00:00.000000",
    },
]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("patient", "Patient/p1")], {"a"}),
        ([("patient", "p2")], {"b"}),
        ([("patient", f"{BASE}/Patient/p1")], {"a"}),
        ([("subject", "Patient/p1,Patient/p2")], {"a", "b"}),
        ([("identifier", "urn:s|A")], {"a"}),
        ([("identifier", "A")], {"a", "b"}),
        ([("identifier", "urn:other|")], {"b"}),
        ([("category", "http://snomed.info/sct|736253002")], {"a"}),
        ([("status", "active"), ("patient", "Patient/p2")], set()),
        ([("date", "2024")], {"a"}),
        ([("date", "ge2025-01-01")], {"b"}),
        ([("date", "lt2024-06-01")], {"a"}),
        ([("date", "sa2024-12-31")], {"b"}),
        ([("date", "eb2025-01-01")], {"a"}),
        ([("date", "ne2024")], {"b"}),
        ([("_id", "a,b")], {"a", "b"}),
        ([("_lastUpdated", "gt2025-05-01")], {"b"}),
        ([("_lastUpdated", "le2025-01-01")], {"a"}),
    ],
)
def test_searches_find_what_they_name(params: list[tuple[str, str]], expected: set[str]) -> None:
    assert _found(_store(*PLANS), "CarePlan", *params) == expected


def test_paging_and_counts() -> None:
    request = _parse(
        "CarePlan",
        ("_count", "500"),
        ("_include", "CarePlan:care-team"),
        ("_revinclude", "QuestionnaireResponse:based-on"),
    )
    assert request.count == 100
    assert [i.text() for i in request.includes] == ["CarePlan:care-team"]
    assert [i.text() for i in request.revincludes] == ["QuestionnaireResponse:based-on"]
    token = paging.encode_after("some-id")
    assert _parse("CarePlan", ("_page", token)).after == "some-id"


@pytest.mark.parametrize(
    ("text", "rtype", "read", "search_"),
    [
        ("system/CarePlan.read", "CarePlan", True, True),
        ("system/*.read", "Goal", True, True),
        ("system/CarePlan.rs", "CarePlan", True, True),
        ("system/CarePlan.r", "CarePlan", True, False),
        ("system/CarePlan.s", "CarePlan", False, True),
        ("system/*.rs", "AuditEvent", False, False),
        ("system/AuditEvent.rs", "AuditEvent", True, True),
        ("system/CarePlan.rs", "Goal", False, False),
    ],
)
def test_scopes_grant_reading_and_searching(text: str, rtype: str, read: bool, search_: bool) -> None:
    grants = Grants.of([text])
    assert grants.allows(rtype, "read") is read and grants.allows(rtype, "search") is search_


@pytest.mark.parametrize(
    "text",
    [
        "system/CarePlan.write",
        "system/CarePlan.cruds",
        "system/CarePlan.sr",
        "patient/CarePlan.read",
        "system/x.read",
        "system/Observation.rs?category=survey",
    ],
)
def test_scopes_that_cannot_be_granted_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse(text) if text != "system/x.read" else check_registration([text], REGISTRY, admin=False)


def test_audit_events_are_for_administrators_only() -> None:
    with pytest.raises(UsageError):
        check_registration(["system/AuditEvent.rs"], REGISTRY, admin=False)
    with pytest.raises(UsageError):
        check_registration(["system/*.rs"], REGISTRY, admin=True)
    assert check_registration(["system/AuditEvent.rs"], REGISTRY, admin=True) == ["system/AuditEvent.rs"]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ([("patient", "Patient/p1")], True),
        ([("identifier", "https://fhir.nhs.uk/Id/nhs-number|9990079420")], True),
        ([("identifier", "9990079420")], True),
        ([("_id", "a,b")], True),
        # any identifier of a system is everyone's: it names no one (urgent care listed
        # every service user's crisis plan with it)
        ([("identifier", "https://fhir.nhs.uk/Id/nhs-number|")], False),
        ([("identifier", "https://fhir.nhs.uk/Id/nhs-number|9990079420,https://fhir.nhs.uk/Id/nhs-number|")], False),
        ([("status", "active")], False),
    ],
)
def test_a_search_names_the_patient_only_when_each_value_names_one(params: list[tuple[str, str]], names: bool) -> None:
    rtype = "Patient" if params[0][0] in ("identifier", "_id") else "CarePlan"
    assert _parse(rtype, *params).names_patient is names


def test_dates_at_the_ends_of_time_are_searched_not_failed() -> None:
    # the year 1 was written '1-01-01' (strftime), which failed to read back and sorted
    # after '0999'; the last second of 9999 overflowed
    for value in ("0001-01-01", "lt0001-01-01", "9999-12-31T23:59:59Z", "0999-05"):
        assert _parse("CarePlan", ("_lastUpdated", value)).conditions
    assert search_index_text("0999-05-01") < search_index_text("1000-01-01")


def search_index_text(value: str) -> str:
    from fhircare.store.search_index import date_range

    found = date_range(value)
    assert found is not None
    return found[0]
