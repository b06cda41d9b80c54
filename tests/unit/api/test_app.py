"""The application's edges, in process: an unexpected failure becomes a 500 OperationOutcome
carrying a request id and never the exception's text, and is still audited; unknown paths
and methods answer with OperationOutcomes; AuditEvents are stored compact and read back as
FHIR."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from fhircare.api.app import create_app
from fhircare.api.audit import AuditInfo, from_compact
from fhircare.api.service import FhirService
from fhircare.settings import Settings
from fhircare.store.db import open_store_engine
from fhircare.store.schema import audit_events


def _call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


@pytest.fixture
def app_and_store(tmp_path: Path) -> tuple[Any, Any]:
    engine = open_store_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    return create_app(Settings(), engine, base_url="http://api", validator_factory=lambda: None), engine


def test_an_unexpected_failure_is_a_500_with_a_request_id_and_no_exception_text(
    app_and_store: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, engine = app_and_store

    def broken(self: FhirService, authorization: str | None, audit: AuditInfo) -> None:
        raise RuntimeError("Jane Doe 9990237654 secret")

    monkeypatch.setattr(FhirService, "caller", broken)
    response = _call(app, "GET", "/CarePlan/abc", headers={"Authorization": "Bearer x"})
    assert response.status_code == 500
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    request_id = response.headers["x-request-id"]
    assert request_id in body["issue"][0]["details"]["text"]
    assert "9990237654" not in response.text and "Jane" not in response.text and "RuntimeError" not in response.text
    with engine.connect() as conn:
        rows = conn.execute(audit_events.select()).all()
    assert [(r.interaction, r.outcome) for r in rows] == [("read", "8")]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nothing/here/at/all", 404, "not-found"),
        ("DELETE", "/CarePlan/abc", 405, "not-supported"),
        ("PUT", "/CarePlan/abc", 405, "not-supported"),
        ("POST", "/CarePlan", 405, "not-supported"),
        ("GET", "/CarePlan/abc", 401, "login"),
        ("GET", "/Unknown/abc", 404, "not-found"),
        ("GET", "/CarePlan/bad%20id", 400, "invalid"),
    ],
)
def test_every_error_is_an_operation_outcome(
    app_and_store: tuple[Any, Any], method: str, path: str, status: int, code: str
) -> None:
    app, _ = app_and_store
    response = _call(app, method, path)
    assert response.status_code == status
    assert response.json()["issue"][0]["code"] == code


def test_audit_events_are_stored_compact_and_read_as_fhir() -> None:
    from datetime import UTC, datetime

    from fhircare.api.audit import compact

    info = AuditInfo("r1", "GET", "/CarePlan", interaction="search-type", resource_type="CarePlan")
    info.client_id, info.client_verified, info.organisation, info.purpose = "c", True, ("GP", "ZZ9001"), "TREAT"
    info.patients, info.returned, info.query = ["Patient/p"], ["CarePlan/a", "CarePlan/b"], "patient=p"
    event = from_compact(compact(info, 200), datetime(2026, 1, 2, tzinfo=UTC), "e1")
    assert event["resourceType"] == "AuditEvent" and event["id"] == "e1"
    assert event["outcome"] == "0" and event["subtype"][0]["code"] == "search-type"
    assert event["agent"][0]["who"]["identifier"]["value"] == "c"
    assert {e["what"]["reference"] for e in event["entity"] if "what" in e} == {"Patient/p", "CarePlan/a", "CarePlan/b"}
    assert any(e.get("query") for e in event["entity"])


def test_an_audit_event_names_every_resource_returned() -> None:
    # it named the first 1,000 and said how many more there were: the rest of a large
    # answer (a page with many includes, a long record's $everything) was disclosed unnamed
    from datetime import UTC, datetime

    from fhircare.api.audit import compact

    info = AuditInfo("r1", "GET", "/Patient", interaction="search-type", resource_type="Patient")
    info.returned = [f"Observation/o{i}" for i in range(1313)]
    event = from_compact(compact(info, 200), datetime(2026, 1, 2, tzinfo=UTC), "e1")
    named = [e["what"]["reference"] for e in event["entity"] if "what" in e]
    assert named == info.returned
    assert "named" not in event["outcomeDesc"]


def test_a_narrowed_resource_is_tagged_by_what_was_sent() -> None:
    # a crisis plan shown narrowed (a person marked not to be involved removed) keeps its
    # version: were its tag the version alone, If-None-Match would answer 304 and the
    # reader's system would keep showing the person (H27)
    import orjson

    from fhircare.api.bundles import etag, matches_etag
    from fhircare.api.views import REDACTED

    whole = orjson.dumps({"resourceType": "CarePlan", "id": "p", "meta": {"versionId": "1"}})
    assert etag(1, whole) == 'W/"1"'
    assert matches_etag('W/"1"', etag(1, whole)) and matches_etag('"1"', etag(1, whole))

    def narrowed(activities: int) -> bytes:
        meta = {"versionId": "1", "security": [REDACTED]}
        return orjson.dumps({"resourceType": "CarePlan", "id": "p", "meta": meta, "activity": [{}] * activities})

    before, after = etag(1, narrowed(2)), etag(1, narrowed(1))
    assert before.startswith('W/"1-') and after.startswith('W/"1-') and before != after
    assert not matches_etag('W/"1"', before)
    assert not matches_etag(before, after)
    assert matches_etag(after, after)


def test_an_audit_search_for_several_patients_or_partners_finds_each(app_and_store: tuple[Any, Any]) -> None:
    # H22: "patient=A,B" searched for A alone and "agent=X,Y" for X alone, silently: an
    # administrator asking who read either record was shown half the answer as the whole
    # (found by the API review, 2026-12-07). Several values are any of them; a parameter
    # given twice must be met twice, as for policy
    from datetime import UTC, datetime

    from fhircare.api import audit_search
    from fhircare.store import audit as audit_store
    from fhircare.store.db import writer

    _, engine = app_and_store
    events = {"e1": ("gp", "Patient/a"), "e2": ("gp", "Patient/b"), "e3": ("vcse", "Patient/c"), "e4": ("la", None)}
    rows = [
        audit_store.AuditRow(
            id, datetime(2026, 1, 2, tzinfo=UTC), client, "read", "0", b"[]", (patient,) if patient else ()
        )
        for id, (client, patient) in events.items()
    ]
    with writer(engine).begin() as conn:
        audit_store.write(conn, rows)

    def found(*params: tuple[str, str]) -> set[str]:
        query, *_ = audit_search._query(list(params), "http://api")
        with engine.connect() as conn:
            return {row[0] for row in audit_store.search(conn, query, after=None, limit=100)}

    assert found(("patient", "Patient/a,http://api/Patient/b")) == {"e1", "e2"}
    assert found(("patient", "a,c")) == {"e1", "e3"}
    assert found(("patient", "Patient/a"), ("patient", "Patient/b")) == set()
    assert found(("agent", "gp,la")) == {"e1", "e2", "e4"}
    assert found(("agent", "vcse,la"), ("patient", "Patient/a,Patient/c")) == {"e3"}


@pytest.mark.parametrize("params", [{"_count": "0"}, {"_count": "00"}, {"_summary": "count"}])
def test_a_count_however_written_is_decided_off_the_event_loop(
    app_and_store: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch, params: dict[str, str]
) -> None:
    # H24: a count decides every match, so it runs off the event loop; "_count=00", which
    # the search reads as a count, ran on it, where every other request (urgent care
    # reading a crisis plan) and every AuditEvent write waited for the whole store to be
    # decided (found by the API review, 2026-12-07)
    from datetime import UTC, datetime

    from fhircare.api import routes
    from fhircare.api.auth import AccessToken
    from fhircare.api.policy_table import OrganisationType
    from fhircare.api.scopes import Grants
    from fhircare.api.service import Caller
    from fhircare.store.partners import Partner
    from tests.unit.api.builders import VIEWERS

    app, _ = app_and_store
    gp = VIEWERS[OrganisationType.GP]
    partner = Partner("gp", "GP", "ZZ1", None, "gp", None, None, ("system/*.rs",), datetime.now(UTC), None)
    caller = Caller(AccessToken("gp", Grants.of(["system/*.rs"]), 2e9, "t"), partner, gp)
    monkeypatch.setattr(FhirService, "caller", lambda self, authorization, audit: caller)
    off_the_loop: list[object] = []
    threaded = routes.run_in_threadpool

    async def recording(func: Any, *args: Any, **kwargs: Any) -> Any:
        off_the_loop.append(func)
        return await threaded(func, *args, **kwargs)

    monkeypatch.setattr(routes, "run_in_threadpool", recording)
    response = _call(app, "GET", "/Patient", params=params, headers={"Authorization": "Bearer x"})
    assert response.status_code == 200 and response.json()["total"] == 0
    assert off_the_loop
