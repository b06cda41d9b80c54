"""Loading extracts into the record store: what changed per service user, nothing ever
deleted, a truncated extract never ends anyone, a rejected service user keeps their last
good records, every write with its history and its outbox rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from fhircare.mapping.consistency import check_consistency
from fhircare.mapping.ending import is_withdrawn
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.results import Problem, Rejected
from fhircare.store import outbox
from fhircare.store.db import writer
from fhircare.store.load import Loader, LoadRequest, RemovalPolicy
from fhircare.store.schema import outbox as outbox_table
from fhircare.store.schema import resource_versions, resources, service_users
from fhircare.validation.api import Validator
from tests.unit.store.conftest import AS_OF, MAPPING, Extracted, load


def stored(engine: Engine, su: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    query = select(resources)
    if su is not None:
        query = query.where(resources.c.service_user_id == su)
    with engine.connect() as conn:
        return {(r.resource_type, r.resource_id): dict(r._mapping) for r in conn.execute(query)}


def content(row: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(row["content"])
    return parsed


def of_type(rows: dict[tuple[str, str], dict[str, Any]], rtype: str) -> list[dict[str, Any]]:
    return [content(r) for (t, _), r in sorted(rows.items()) if t == rtype]


def consistent(record: ServiceUserRecord) -> bool:
    return not check_consistency(record, AS_OF)


def first_change(
    extracted: Extracted, change: Callable[[ServiceUserRecord], ServiceUserRecord | None]
) -> tuple[str, ServiceUserRecord]:
    """The first service user for whom ``change`` gives consistent records."""
    for su, record in sorted(extracted.records.items()):
        changed = change(record)
        if changed is not None and consistent(changed):
            return su, changed
    pytest.fail("no service user in the extract allows this change")


def without_plan(record: ServiceUserRecord) -> ServiceUserRecord | None:
    """The records without one care plan and everything that belongs to it."""
    for plan in record.care_plans:
        plan_id = plan.care_plan_id
        if any(p.parent_care_plan_id == plan_id for p in record.care_plans):
            continue
        changed = record.model_copy(
            update={
                "care_plans": tuple(p for p in record.care_plans if p.care_plan_id != plan_id),
                **{
                    name: tuple(x for x in getattr(record, name) if x.care_plan_id != plan_id)
                    for name in ("needs", "goals", "actions", "reviews", "plan_shares", "dialog_assessments")
                },
            }
        )
        if consistent(changed):
            return changed
    return None


def without_member(record: ServiceUserRecord) -> ServiceUserRecord | None:
    for member in record.care_team:
        if member.end_date is not None or member.coordination_role is not None:
            continue
        changed = record.model_copy(
            update={"care_team": tuple(m for m in record.care_team if m.membership_id != member.membership_id)}
        )
        if changed.care_team and consistent(changed):
            return changed
    return None


def renamed(record: ServiceUserRecord) -> ServiceUserRecord:
    person = record.service_user.model_copy(update={"other_given_names": "Changed"})
    return record.model_copy(update={"service_user": person})


def test_a_first_load_creates_everything_and_the_same_extract_again_changes_nothing(
    engine: Engine, extracted: Extracted
) -> None:
    records = list(extracted.records.values())
    first = load(engine, extracted, records)
    created = sum(v for (_t, c), v in first.resources.items() if c == "created")
    assert created == len(stored(engine)) > len(records) * 10
    assert first.service_users["changed"] == len(records)

    again = load(engine, extracted, records)
    assert again.service_users["unchanged"] == len(records)
    assert not again.resources, "an unchanged service user is not even mapped again"

    remapped = load(engine, extracted, records, fingerprint="another run")
    assert remapped.service_users["unchanged"] == len(records)
    assert set(c for _t, c in remapped.resources) == {"unchanged"}, "mapping is deterministic to the byte"
    with engine.connect() as conn:
        assert conn.execute(select(func.max(resources.c.version))).scalar() == 1


def test_a_changed_service_user_is_the_only_one_updated_with_history(engine: Engine, extracted: Extracted) -> None:
    records = dict(extracted.records)
    load(engine, extracted, list(records.values()))
    su = sorted(records)[3]
    records[su] = renamed(records[su])
    summary = load(engine, extracted, list(records.values()))
    assert summary.service_users["changed"] == 1
    assert summary.service_users["unchanged"] == len(records) - 1
    assert summary.resources[("Patient", "updated")] == 1
    [patient] = of_type(stored(engine, su), "Patient")
    key = ("Patient", patient["id"])
    with engine.connect() as conn:
        history = conn.execute(
            select(resource_versions.c.version, resource_versions.c.change)
            .where(resource_versions.c.resource_type == key[0], resource_versions.c.resource_id == key[1])
            .order_by(resource_versions.c.version)
        ).all()
    assert [tuple(h) for h in history] == [(1, "created"), (2, "updated")]


def test_a_plan_the_extract_no_longer_holds_is_ended_never_deleted(engine: Engine, extracted: Extracted) -> None:
    su, changed = first_change(extracted, without_plan)
    load(engine, extracted, [extracted.records[su]])
    before = stored(engine, su)
    summary = load(engine, extracted, [changed])
    after = stored(engine, su)
    assert set(after) == set(before), "nothing deleted"
    ended = [content(r) for r in after.values() if r["state"] == "ended"]
    assert summary.resources[("CarePlan", "ended")] == 1
    plans = [r for r in ended if r["resourceType"] == "CarePlan"]
    assert len(plans) == 1 and plans[0]["status"] in ("revoked", "completed")
    assert plans[0]["period"]["end"] == AS_OF.isoformat() or plans[0]["status"] == "completed"
    assert all(is_withdrawn(r) for r in ended)
    assert "No longer in the trust" in plans[0]["text"]["div"]


def test_a_care_team_member_the_extract_no_longer_lists_stays_with_their_period_ended(
    engine: Engine, extracted: Extracted
) -> None:
    su, changed = first_change(extracted, without_member)
    load(engine, extracted, [extracted.records[su]])
    [team_before] = of_type(stored(engine, su), "CareTeam")
    load(engine, extracted, [changed])
    [team_after] = of_type(stored(engine, su), "CareTeam")
    assert len(team_after["participant"]) == len(team_before["participant"])
    newly_ended = [
        p
        for p, q in zip(team_before["participant"], team_after["participant"], strict=False)
        if "end" not in p.get("period", {}) and "end" in q.get("period", {})
    ]
    kept = [p for p in team_after["participant"] if p.get("period", {}).get("end") == AS_OF.isoformat()]
    assert kept, "the missing member is kept, ended on the day of the load"
    assert newly_ended or kept
    # loading the same again is stable: the kept member is not added twice
    summary = load(engine, extracted, [changed], fingerprint="remap")
    assert summary.resources[("CareTeam", "unchanged")] == 1


def test_a_service_user_missing_from_one_extract_is_kept_and_ended_after_the_second(
    engine: Engine, extracted: Extracted
) -> None:
    records = dict(extracted.records)
    load(engine, extracted, list(records.values()))
    gone = sorted(records)[0]
    rest = [r for su, r in records.items() if su != gone]

    once = load(engine, extracted, rest)
    assert once.missing == 1 and once.service_users["missing"] == 1 and not once.service_users["ended"]
    assert all(r["state"] == "current" for r in stored(engine, gone).values())

    twice = load(engine, extracted, rest)
    assert twice.service_users["ended"] == 1
    after = stored(engine, gone)
    assert all(r["state"] == "ended" for r in after.values())
    [patient] = of_type(after, "Patient")
    assert patient["active"] is False
    assert all(p["status"] in ("revoked", "completed", "entered-in-error") for p in of_type(after, "CarePlan"))
    assert all(c["status"] != "active" for c in of_type(after, "Consent"))
    assert all(r["active"] is False for r in of_type(after, "RelatedPerson"))
    assert all(t["status"] == "inactive" for t in of_type(after, "CareTeam"))
    with engine.connect() as conn:
        status = conn.execute(select(service_users.c.status).where(service_users.c.service_user_id == gone)).scalar()
    assert status == "ended"


def test_a_truncated_extract_ends_no_one(engine: Engine, extracted: Extracted) -> None:
    records = list(extracted.records.values())
    load(engine, extracted, records)
    few = records[:5]
    for _ in range(3):  # however often the truncated extract comes
        summary = load(engine, extracted, few)
        assert summary.removals_refused
        assert summary.missing == len(records) - 5
        assert not summary.service_users["ended"]
    assert all(r["state"] == "current" for r in stored(engine).values())
    # the whole extract again: the absences were never counted
    whole = load(engine, extracted, records)
    assert not whole.missing and not whole.removals_refused


def test_confirm_removals_ends_every_missing_service_user_at_once(engine: Engine, extracted: Extracted) -> None:
    records = list(extracted.records.values())
    load(engine, extracted, records)
    summary = load(engine, extracted, records[:5], removal=RemovalPolicy(confirm=True))
    assert summary.service_users["ended"] == len(records) - 5
    assert not summary.removals_refused


def test_a_rejected_service_user_keeps_their_last_good_records(engine: Engine, extracted: Extracted) -> None:
    records = dict(extracted.records)
    load(engine, extracted, list(records.values()))
    su = sorted(records)[2]
    before = stored(engine, su)
    from fhircare.mapping.context import MappingContext

    context = MappingContext.from_mapping(extracted.mapping, as_of=AS_OF)
    loader = Loader(engine, LoadRequest(extracted.folder, MAPPING, extracted.mapping, context, "run"), None)
    loader.start()
    problems: list[tuple[Problem, str]] = []
    loader.on_problem = lambda p, s: problems.append((p, s))
    for other, record in records.items():
        if other != su:
            from fhircare.source.results import Accepted

            loader.load_one(Accepted(record))
    loader.load_one(Rejected(su, (Problem("RiO_Clients.csv", 4, "DOB", "is not a date"),)))
    summary = loader.finish(complete=True)
    assert summary.service_users["rejected-read"] == 1
    assert summary.missing == 0, "a rejected service user is not missing"
    assert stored(engine, su) == before
    assert problems and problems[0][1] == "read"


def test_changes_are_queued_for_every_known_target_and_a_new_target_gets_everything(
    engine: Engine, extracted: Extracted
) -> None:
    records = dict(extracted.records)
    load(engine, extracted, list(records.values()))
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with writer(engine).begin() as conn:
        first = outbox.ensure_target(conn, "http://first.example/fhir", now)
        queued = outbox.reconcile(conn, first, now).queued
    shared = sum(1 for (_t, _i), r in stored(engine).items() if r["service_user_id"] is None)
    assert queued == len(records) + shared

    su = sorted(records)[1]
    records[su] = renamed(records[su])
    load(engine, extracted, list(records.values()))
    with engine.connect() as conn:
        pending = Counter(
            (r.kind, r.group_key) for r in conn.execute(select(outbox_table).where(outbox_table.c.status == "pending"))
        )
    assert pending[("service-user", su)] == 1, "queued once, however often it changes before a sync"
    assert len([k for k in pending if k[0] == "service-user"]) == len(records)


def test_a_refused_service_user_is_not_queued_again_until_their_data_changes_or_someone_retries(
    engine: Engine, extracted: Extracted
) -> None:
    """Each sync reconciles the store with the target; a group the target refused must not
    be resent (and dead-lettered again) by every sync after, yet must go back in the queue
    when a load changes it or an operator retries it."""
    from datetime import UTC, datetime, timedelta

    records = dict(extracted.records)
    load(engine, extracted, list(records.values()))
    su = sorted(records)[2]
    now = datetime.now(UTC)
    with writer(engine).begin() as conn:
        target = outbox.ensure_target(conn, "http://target.example/fhir", now)
        outbox.reconcile(conn, target, now)
        [entry] = [
            e
            for e in outbox.claim(conn, target, outbox.SERVICE_USER, now, skip_locked=False, limit=10_000)
            if e.group_key == su
        ]
        outbox.dead_letter(conn, entry, 400, {"resourceType": "OperationOutcome"}, [], now + timedelta(seconds=1))

    def pending_for(group: str) -> int:
        with engine.connect() as conn:
            return len(
                conn.execute(
                    select(outbox_table.c.id).where(
                        outbox_table.c.group_key == group, outbox_table.c.status == "pending"
                    )
                ).all()
            )

    with writer(engine).begin() as conn:
        outbox.reconcile(conn, target, now + timedelta(seconds=2))
    assert pending_for(su) == 0, "an unchanged refused service user waits for a retry"
    assert pending_for(sorted(records)[1]) == 1, "the others stay queued"

    records[su] = renamed(records[su])
    load(engine, extracted, list(records.values()))
    assert pending_for(su) == 1, "changed data is sent again"
    with writer(engine).begin() as conn:
        [entry] = [
            e
            for e in outbox.claim(conn, target, outbox.SERVICE_USER, datetime.now(UTC), skip_locked=False, limit=10_000)
            if e.group_key == su
        ]
        outbox.dead_letter(
            conn, entry, 400, {"resourceType": "OperationOutcome"}, [], datetime.now(UTC) + timedelta(seconds=1)
        )
        outbox.reconcile(conn, target, datetime.now(UTC) + timedelta(seconds=2))
    assert pending_for(su) == 0
    with writer(engine).begin() as conn:
        assert outbox.retry_dead_letters(conn, target, None, datetime.now(UTC)) == 1
        outbox.reconcile(conn, target, datetime.now(UTC))
    assert pending_for(su) == 1, "a retried group is queued once"
    with writer(engine).begin() as conn:
        [entry] = [
            e
            for e in outbox.claim(conn, target, outbox.SERVICE_USER, datetime.now(UTC), skip_locked=False, limit=10_000)
            if e.group_key == su
        ]
        outbox.dead_letter(conn, entry, 400, {"resourceType": "OperationOutcome"}, [], datetime.now(UTC))
        assert len(outbox.list_dead_letters(conn, target)) == 1, "a newer refusal supersedes the older letters"
    records[su] = records[su].model_copy(
        update={"service_user": records[su].service_user.model_copy(update={"other_given_names": "Again"})}
    )
    load(engine, extracted, list(records.values()))
    with writer(engine).begin() as conn:
        [entry] = [
            e
            for e in outbox.claim(conn, target, outbox.SERVICE_USER, datetime.now(UTC), skip_locked=False, limit=10_000)
            if e.group_key == su
        ]
        outbox.mark_done(conn, entry.id, datetime.now(UTC))
        assert outbox.list_dead_letters(conn, target) == [], "accepted at last: nothing outstanding"


def test_ended_and_carried_over_resources_are_validated_before_they_are_stored(
    engine: Engine, extracted: Extracted, core_validator: Validator
) -> None:
    su, changed = first_change(extracted, without_member)
    load(engine, extracted, [extracted.records[su]], validator=core_validator)
    summary = load(engine, extracted, [changed], validator=core_validator)
    assert summary.service_users["changed"] == 1 and not summary.rejected
