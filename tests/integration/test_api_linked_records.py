"""A client that must name the patient (urgent care) is given nothing of another service
user's however the records link them: a care team naming another service user as a
participant (a parent caring for a child, both in the trust's care) came back in a reverse
include of the named person. A module of its own: it writes to its server's store."""

from __future__ import annotations

import hashlib
import json

import orjson

from fhircare.store.search_index import index_rows
from tests.integration.api_support import Api, api_server  # noqa: F401 (the api fixture)


def _rewrite(api: Api, rtype: str, rid: str, resource: dict[str, object]) -> None:
    """Change a stored resource in place, with its search index (as a load would)."""
    blob = orjson.dumps(resource)
    db = api.db()
    db.execute(
        "UPDATE resources SET content=?, content_hash=?, version=version+1 WHERE resource_type=? AND resource_id=?",
        (blob, hashlib.sha256(blob).hexdigest(), rtype, rid),
    )
    db.execute("DELETE FROM search_index WHERE resource_type=? AND resource_id=?", (rtype, rid))
    db.executemany(
        "INSERT INTO search_index (resource_type, resource_id, param, system, value, low, high) VALUES (?,?,?,?,?,?,?)",
        [
            (r["resource_type"], r["resource_id"], r["param"], r["system"], r["value"], r["low"], r["high"])
            for r in index_rows(rtype, rid, resource)
        ],
    )
    db.commit()


def test_urgent_care_is_given_nothing_of_another_service_user_through_linked_records(api: Api) -> None:
    db = api.db()
    (first, first_su), (second, _) = db.execute(
        "SELECT resource_id, service_user_id FROM resources WHERE resource_type='Patient' ORDER BY resource_id LIMIT 2"
    ).fetchall()
    team_id, content = db.execute(
        "SELECT resource_id, content FROM resources WHERE resource_type='CareTeam' AND service_user_id=?", (first_su,)
    ).fetchone()
    team = json.loads(content)
    team["participant"].append({"member": {"reference": f"Patient/{second}"}})
    _rewrite(api, "CareTeam", team_id, team)
    token = api.token("urgent")
    answer = api.get("Patient", token, params={"_id": second, "_revinclude": "CareTeam:participant"}).json()
    assert [e["resource"]["id"] for e in answer["entry"]] == [second]  # not the first's care team
    # the first, named, still has their team
    named = api.get("CareTeam", api.token("trust"), params={"patient": f"Patient/{first}"}).json()
    assert team_id in {e["resource"]["id"] for e in named["entry"]}
