"""What each test server does, pinned: the facts the sync's design rests on (see
tests/fhir-server/README.md and README "Sync"), and each difference between the servers
the sync copes with. Plain httpx requests, no fhircare code."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import httpx
import pytest

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
SYSTEM = "https://fhir.fhircare.nhs.uk/Id/test/client"


def new_id() -> str:
    return str(uuid.uuid4())


def put(server: Any, resource: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.put(
        f"{server.base_url}/{resource['resourceType']}/{resource['id']}",
        json=resource,
        headers={**FHIR_JSON, **headers},
    )


def transaction(server: Any, *entries: dict[str, Any], kind: str = "transaction") -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/", json={"resourceType": "Bundle", "type": kind, "entry": list(entries)}, headers=FHIR_JSON
    )


def put_entry(resource: dict[str, Any], **request: str) -> dict[str, Any]:
    url = f"{resource['resourceType']}/{resource['id']}"
    return {
        "fullUrl": f"urn:uuid:{resource['id']}",
        "resource": resource,
        "request": {"method": "PUT", "url": url, **request},
    }


def patient(value: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": new_id(), "identifier": [{"system": SYSTEM, "value": value}], **extra}


def search(server: Any, query: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.base_url}/Patient?{query}", headers=FHIR_JSON)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


@pytest.fixture
def server(fhir_server: Any) -> Any:
    fhir_server.reset()
    return fhir_server


def test_a_transaction_of_updates_creates_under_client_ids_with_references_between_entries(server: Any) -> None:
    person = patient("create-1")
    plan = {
        "resourceType": "CarePlan",
        "id": new_id(),
        "status": "active",
        "intent": "plan",
        "subject": {"reference": f"urn:uuid:{person['id']}"},
    }
    answer = transaction(server, put_entry(plan), put_entry(person))  # the plan first: order is the server's
    assert answer.status_code == 200, answer.text
    bundle = answer.json()
    assert bundle["type"] == "transaction-response"
    statuses = [e["response"]["status"][:3] for e in bundle["entry"]]
    assert set(statuses) <= {"200", "201"}
    stored = httpx.get(f"{server.base_url}/CarePlan/{plan['id']}", headers=FHIR_JSON).json()
    assert stored["subject"]["reference"] == f"Patient/{person['id']}"
    locations = [e["response"].get("location", "") for e in bundle["entry"]]
    assert locations[1].startswith(f"Patient/{person['id']}")
    if server.name == "hapi":
        assert "/_history/" in locations[1] and bundle["entry"][1]["response"].get("etag")
    if server.name == "medplum":
        # Medplum: a location without the version; the version is in the returned resource
        assert "/_history/" not in locations[1]


def test_a_stale_if_match_fails_the_whole_transaction(server: Any) -> None:
    first = patient("match-1")
    assert put(server, first).status_code in (200, 201)
    second = patient("match-2")
    # a version the server never gave, in its own form (HAPI answers 500 to a non-numeric one)
    answer = transaction(server, put_entry(second), put_entry({**first, "active": True}, ifMatch='W/"999"'))
    assert answer.status_code in (409, 412), answer.text
    gone = httpx.get(f"{server.base_url}/Patient/{second['id']}", headers=FHIR_JSON)
    assert gone.status_code in (404, 410), "nothing of a failed transaction is left behind"


def test_identifier_searches_and_fhirs_escapes(server: Any) -> None:
    """A value holding ``,`` or ``|``: R4 says escape them (``\\,``). HAPI honours the escapes;
    Medplum does not (the escaped search finds nothing, and unescaped ``A,B`` means "A or B"),
    so the sync checks every match's identifier itself and never takes another's."""
    awkward = patient("A,B|C")
    assert put(server, awkward).status_code in (200, 201)
    plain = patient("A")
    assert put(server, plain).status_code in (200, 201)
    searches = ["A\\,B\\|C", "A,B|C", "A"]
    answer = transaction(
        server,
        *(
            {"request": {"method": "GET", "url": f"Patient?identifier={_quote(SYSTEM)}%7C{_quote(v)}"}}
            for v in searches
        ),
        kind="batch",
    )
    assert answer.status_code == 200, answer.text
    results = [r["resource"].get("entry", []) for r in answer.json()["entry"]]
    escaped, unescaped, simple = ([e["resource"]["id"] for e in entries] for entries in results)
    assert simple == [plain["id"]]
    if server.name == "hapi":
        assert escaped == [awkward["id"]]
    elif server.name == "medplum":
        assert escaped == []
        assert plain["id"] in unescaped, "unescaped, the comma splits the value: a search for A,B|C finds A"


def test_a_system_only_identifier_search_counts(server: Any) -> None:
    for value in ("c1", "c2", "c3"):
        assert put(server, patient(value)).status_code in (200, 201)
    assert search(server, f"identifier={_quote(SYSTEM)}%7C&_summary=count")["total"] == 3


def test_a_conditional_update_on_an_identifier_held_twice_is_refused(server: Any) -> None:
    for _ in range(2):
        assert put(server, patient("twice")).status_code in (200, 201)
    answer = httpx.put(
        f"{server.base_url}/Patient?identifier={_quote(SYSTEM)}%7Ctwice",
        json={"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": "twice"}]},
        headers=FHIR_JSON,
    )
    assert answer.status_code == 412


def test_differences_the_sync_copes_with(server: Any) -> None:
    """No-op updates, deletes, and references to nothing, server by server."""
    same = patient("noop")
    first = put(server, same)
    again = put(server, same)
    assert first.status_code in (200, 201) and again.status_code == 200
    v1, v2 = first.json()["meta"]["versionId"], again.json()["meta"]["versionId"]
    deleted = patient("deleted")
    put(server, deleted)
    assert httpx.delete(f"{server.base_url}/Patient/{deleted['id']}").status_code in (200, 204)
    after_delete = httpx.get(f"{server.base_url}/Patient/{deleted['id']}", headers=FHIR_JSON).status_code
    dangling = {
        "resourceType": "CarePlan",
        "id": new_id(),
        "status": "active",
        "intent": "plan",
        "subject": {"reference": f"Patient/{new_id()}"},
    }
    dangling_status = put(server, dangling).status_code
    if server.name == "hapi":
        assert v1 == v2, "HAPI: an update that changes nothing makes no new version"
        assert after_delete == 410, "HAPI: a deleted resource is gone (410), its history kept"
        assert dangling_status in (400, 404, 409, 412, 422), "HAPI: referential integrity on write"
    elif server.name == "medplum":
        assert v1 != v2, "Medplum's in-memory repository versions every update"
        assert after_delete == 404, "Medplum: deletes are hard (404)"
        assert dangling_status == 200, "Medplum's in-memory repository checks no references"
    # the sync sends no unchanged resource, never deletes, and sends what a resource refers
    # to first (or in the same transaction): every server above then holds the same thing


def test_medplum_refuses_conditional_updates_in_large_transactions(server: Any) -> None:
    """Why the sync resolves identities first and then updates by id: Medplum runs a
    transaction holding a conditional update in strict isolation, at most 8 entries."""
    entries = [
        {
            "fullUrl": f"urn:uuid:{new_id()}",
            "resource": {"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": f"big-{i}"}]},
            "request": {"method": "PUT", "url": f"Patient?identifier={_quote(SYSTEM)}%7Cbig-{i}"},
        }
        for i in range(12)
    ]
    answer = transaction(server, *entries)
    if server.name == "medplum":
        assert answer.status_code == 400 and "strict isolation" in answer.text
    elif server.name == "hapi":
        assert answer.status_code == 200, answer.text


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_a_client_that_stalls_mid_request_holds_up_nobody_else(server: Any) -> None:
    """A killed sync whose connection a proxy keeps open leaves half a request on the
    server; the fault trials rest on the server answering everyone else meanwhile."""
    url = httpx.URL(server.base_url)
    with socket.create_connection((url.host, url.port)) as stalled:
        stalled.sendall(
            f"POST {url.path}/ HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: application/fhir+json\r\n"
            'Content-Length: 500\r\n\r\n{"resourceType": "Bundle"'.encode()
        )
        answer = httpx.get(f"{server.base_url}/metadata", headers=FHIR_JSON, timeout=10)
    assert answer.status_code == 200
