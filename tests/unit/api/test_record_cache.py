"""The policy's view of a service user's record is remembered only while every resource it
is read from is unchanged: a consent withdrawn by a load in another process is seen by the
very next request (no stale decision)."""

from __future__ import annotations

from datetime import date

import orjson
from sqlalchemy import Engine, select, update

from fhircare.api.policy import Viewer, decide
from fhircare.api.policy_table import OrganisationType
from fhircare.api.reads import RecordCache
from fhircare.api.record import references_of
from fhircare.mapping.context import MappingContext
from fhircare.source.results import Accepted, Problem, Rejected
from fhircare.store.canonical import content_hash
from fhircare.store.load import Loader, LoadRequest, RemovalPolicy
from fhircare.store.schema import resources
from tests.unit.store.conftest import AS_OF, MAPPING, Extracted, load
from tests.unit.store.conftest import engine as engine  # the store fixtures
from tests.unit.store.conftest import extracted as extracted


def test_a_changed_consent_is_seen_by_the_next_decision(engine: Engine, extracted: Extracted) -> None:
    load(engine, extracted, list(extracted.records.values()))
    with engine.connect() as conn:
        consents = [
            (r.resource_id, r.service_user_id, orjson.loads(r.content))
            for r in conn.execute(
                select(resources.c.resource_id, resources.c.service_user_id, resources.c.content).where(
                    resources.c.resource_type == "Consent"
                )
            )
        ]
    rid, su, consent = next(c for c in consents if c[2]["status"] == "active" and c[2]["provision"]["type"] == "permit")
    cache = RecordCache()
    with engine.connect() as conn:
        before = cache.get(conn, su)
        assert cache.get(conn, su) is before  # unchanged: remembered
    assert any(p.consent_id == f"Consent/{rid}" for p in before.provisions)
    consent["status"] = "inactive"  # withdrawn
    content = orjson.dumps(consent, option=orjson.OPT_SORT_KEYS)
    with engine.begin() as conn:
        conn.execute(
            update(resources)
            .where(resources.c.resource_type == "Consent", resources.c.resource_id == rid)
            .values(content=content, content_hash=content_hash(content))
        )
    with engine.connect() as conn:
        after = cache.get(conn, su)
    assert after is not before
    assert not any(p.consent_id == f"Consent/{rid}" for p in after.provisions)
    assert before.memo is not after.memo  # decisions remembered with the old record go with it
    viewer = Viewer("v", OrganisationType.VCSE, frozenset())
    patient = {"resourceType": "Patient", "id": "x"}
    assert decide(viewer, patient, after, date(2025, 7, 1)) is None


def test_a_refusal_of_what_a_resource_of_any_type_refers_to_is_seen(engine: Engine, extracted: Extracted) -> None:
    # a deny Consent's data "related" to the crisis plan pointer (a DocumentReference, a type
    # the record is not built from) covers the plan the pointer refers to; and a change to
    # the pointer is seen by the next decision, as a change to the record is
    load(engine, extracted, list(extracted.records.values()))
    with engine.connect() as conn:
        rows = conn.execute(
            select(resources.c.resource_type, resources.c.resource_id, resources.c.service_user_id, resources.c.content)
        ).all()
    consents = {r.service_user_id: r.resource_id for r in rows if r.resource_type == "Consent"}
    pointer_row = next(r for r in rows if r.resource_type == "DocumentReference" and r.service_user_id in consents)
    rid, su, pointer = pointer_row.resource_id, pointer_row.service_user_id, orjson.loads(pointer_row.content)
    plan = next(r for r in references_of(pointer) if r.startswith("CarePlan/"))
    refusal = {
        "resourceType": "Consent",
        "id": consents[su],
        "status": "active",
        "patient": {"reference": f"Patient/{su}"},
        "provision": {
            "type": "deny",
            "data": [{"meaning": "related", "reference": {"reference": f"DocumentReference/{rid}"}}],
        },
    }
    _replace(engine, "Consent", consents[su], refusal)
    cache = RecordCache()
    with engine.connect() as conn:
        record = cache.get(conn, su)
        assert plan in record.references[f"DocumentReference/{rid}"]
        assert cache.get(conn, su) is record  # unchanged: remembered
    pointer["context"] = {"related": []}
    _replace(engine, "DocumentReference", rid, pointer)
    with engine.connect() as conn:
        assert cache.get(conn, su) is not record  # the pointer changed: read again


def _replace(engine: Engine, rtype: str, rid: str, resource: dict[str, object]) -> None:
    content = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
    with engine.begin() as conn:
        conn.execute(
            update(resources)
            .where(resources.c.resource_type == rtype, resources.c.resource_id == rid)
            .values(content=content, content_hash=content_hash(content))
        )


def _load_rejecting(engine: Engine, extracted: Extracted, rejected: str) -> None:
    """A load in which one service user's extract is rejected (the others as they were)."""
    context = MappingContext.from_mapping(extracted.mapping, as_of=AS_OF)
    request = LoadRequest(extracted.folder, MAPPING, extracted.mapping, context, "run-2", RemovalPolicy())
    loader = Loader(engine, request, None)
    loader.start()
    for su, record in extracted.records.items():
        problem = Problem("x.csv", 2, "STATUS", "a problem")
        loader.load_one(Rejected(su, (problem,)) if su == rejected else Accepted(record))
    loader.finish(complete=True)


def test_a_record_whose_latest_extract_was_rejected_is_held_back(engine: Engine, extracted: Extracted) -> None:
    # the trust's latest extract of a service user did not load (it may have withdrawn a
    # consent): the stored record is the one before it, and no permit in it counts
    # (hazard log H04) until an extract of theirs loads again
    load(engine, extracted, list(extracted.records.values()))
    cache = RecordCache()
    with engine.connect() as conn:
        records = {su: cache.get(conn, su) for su in extracted.records}
    permitted = {su: record for su, record in records.items() if any(p.permit for p in record.provisions)}
    su, before = next(iter(permitted.items()))
    assert not any(r.held_back for r in records.values())
    _load_rejecting(engine, extracted, su)
    with engine.connect() as conn:
        held = cache.get(conn, su)
        others = [cache.get(conn, other) for other in permitted if other != su]
    assert held is not before and held.held_back and held.provisions == before.provisions
    assert not any(o.held_back for o in others)
    load(engine, extracted, list(extracted.records.values()), fingerprint="run-3")
    with engine.connect() as conn:
        assert not cache.get(conn, su).held_back
