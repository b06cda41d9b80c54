"""Loading extracts into the record store: what changed per service user, nothing ever
deleted, a truncated extract never ends anyone, a rejected service user keeps their last
good records (marked not current), every write with its history and its outbox rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from fhircare.mapping.consistency import check_consistency
from fhircare.mapping.ending import is_held_back, is_safeguard, is_withdrawn, release
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.results import Problem, Rejected
from fhircare.store import outbox
from fhircare.store.db import writer
from fhircare.store.load import Loader, LoadRequest, LoadSummary, RemovalPolicy
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
    assert all(r["state"] == "ended" for r in after.values() if not is_safeguard(content(r), AS_OF))
    [patient] = of_type(after, "Patient")
    assert patient["active"] is False
    assert all(p["status"] in ("revoked", "completed", "entered-in-error") for p in of_type(after, "CarePlan"))
    # permits end; refusals stay in force (an ended record is still read: H11)
    assert all(c["status"] != "active" for c in of_type(after, "Consent") if not is_safeguard(c, AS_OF))
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


def reject(engine: Engine, extracted: Extracted, su: str, *, as_of: date = AS_OF) -> tuple[LoadSummary, list[Any]]:
    """A load of the whole extract in which ``su``'s rows are rejected when read."""
    from fhircare.mapping.context import MappingContext
    from fhircare.source.results import Accepted

    context = MappingContext.from_mapping(extracted.mapping, as_of=as_of)
    loader = Loader(engine, LoadRequest(extracted.folder, MAPPING, extracted.mapping, context, "run"), None)
    loader.start()
    problems: list[tuple[Problem, str]] = []
    loader.on_problem = lambda p, s: problems.append((p, s))
    for other, record in extracted.records.items():
        if other != su:
            loader.load_one(Accepted(record))
    loader.load_one(Rejected(su, (Problem("RiO_Clients.csv", 4, "DOB", "is not a date"),)))
    return loader.finish(complete=True), problems


def held_back(resource: dict[str, Any]) -> bool:
    return is_held_back(resource)


def test_a_rejected_service_user_keeps_their_last_good_records_marked_not_current(
    engine: Engine, extracted: Extracted, core_validator: Validator
) -> None:
    """H10: the shared record goes on showing a rejected service user's last good record
    (withholding a crisis plan is the greater harm), but never as if it were current: a
    reader is told, first thing in every narrative, to check with the trust (the rejected
    extract may have withdrawn a consent or said someone is not to be involved)."""
    load(engine, extracted, list(extracted.records.values()))
    su = sorted(extracted.records)[2]
    before = stored(engine, su)
    summary, problems = reject(engine, extracted, su, as_of=AS_OF + timedelta(days=1))
    assert summary.service_users["rejected-read"] == 1
    assert summary.missing == 0, "a rejected service user is not missing"
    assert problems and problems[0][1] == "read"
    after = stored(engine, su)
    assert after.keys() == before.keys(), "nothing of theirs is removed"
    marked = 0
    for key, row in after.items():
        was, now = content(before[key]), content(row)
        if before[key]["state"] == "ended":
            assert row == before[key], "an ended resource stays as it was"
            continue
        marked += 1
        assert held_back(now) and row["version"] == before[key]["version"] + 1
        assert row["origin"] == before[key]["origin"], "where it came from is kept"
        if "text" in was:
            div = now["text"]["div"]
            assert div.index("Not current") < div.index("</p>"), "said before anything the record says"
            assert "Check with the trust before acting on it" in div
        assert release(now) == was, "the data is as loaded last"
        assert now["extension"][-1]["valueDate"] == (AS_OF + timedelta(days=1)).isoformat()
        assert not [i for i in core_validator.validate(now).issues if i.is_error], key
    assert marked == len(before) and summary.resources and all(c == "held back" for (_t, c) in summary.resources)


def test_a_service_user_rejected_again_keeps_the_day_their_record_stopped_being_current(
    engine: Engine, extracted: Extracted
) -> None:
    load(engine, extracted, list(extracted.records.values()))
    su = sorted(extracted.records)[2]
    reject(engine, extracted, su, as_of=AS_OF + timedelta(days=1))
    first = stored(engine, su)
    summary, _ = reject(engine, extracted, su, as_of=AS_OF + timedelta(days=2))
    assert stored(engine, su) == first, "no new version: still not current since the first rejection"
    assert not summary.resources


def test_the_next_extract_that_loads_takes_the_mark_away(engine: Engine, extracted: Extracted) -> None:
    load(engine, extracted, list(extracted.records.values()))
    su = sorted(extracted.records)[2]
    before = {k: content(r) for k, r in stored(engine, su).items()}
    reject(engine, extracted, su, as_of=AS_OF + timedelta(days=1))
    summary = load(engine, extracted, list(extracted.records.values()), fingerprint="fixed")
    assert summary.service_users["changed"] == 1
    assert {k: content(r) for k, r in stored(engine, su).items()} == before, "as mapped, without the mark"


def test_what_the_next_extract_no_longer_holds_is_ended_without_the_mark(engine: Engine, extracted: Extracted) -> None:
    su, changed = first_change(extracted, without_plan)
    load(engine, extracted, list(extracted.records.values()))
    reject(engine, extracted, su, as_of=AS_OF + timedelta(days=1))
    records = {**extracted.records, su: changed}
    load(engine, extracted, list(records.values()), as_of=AS_OF + timedelta(days=2), fingerprint="fixed")
    after = [content(r) for r in stored(engine, su).values()]
    ended = [r for r in after if is_withdrawn(r)]
    assert ended, "the plan the extract no longer holds is ended"
    assert not [r for r in after if held_back(r)]
    assert not [r for r in ended if "Not current" in r.get("text", {}).get("div", "")]


def test_a_held_back_service_user_is_queued_for_every_target(engine: Engine, extracted: Extracted) -> None:
    """The mark reaches the shared record (the sync sends what the outbox names)."""
    from datetime import UTC, datetime

    load(engine, extracted, list(extracted.records.values()))
    with writer(engine).begin() as conn:
        target = outbox.ensure_target(conn, "http://first.example/fhir", datetime.now(UTC))
        outbox.reconcile(conn, target, datetime.now(UTC))
        for entry in outbox.claim(
            conn, target, outbox.SERVICE_USER, datetime.now(UTC), skip_locked=False, limit=10_000
        ):
            outbox.mark_done(conn, entry.id, datetime.now(UTC))
    su = sorted(extracted.records)[2]
    reject(engine, extracted, su, as_of=AS_OF + timedelta(days=1))
    with writer(engine).begin() as conn:
        queued = outbox.claim(conn, target, outbox.SERVICE_USER, datetime.now(UTC), skip_locked=False, limit=10_000)
    assert [e.group_key for e in queued] == [su]


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


def test_every_stored_reference_is_to_a_stored_resource_and_nothing_is_contained(
    engine: Engine, extracted: Extracted
) -> None:
    """The partner API removes a person not to be involved by their ``Type/id`` (H02): that
    reaches every mention only if the store holds no other kind of reference (absolute,
    ``urn:``, ``#contained``) and no contained resource."""
    load(engine, extracted, list(extracted.records.values()))
    rows = stored(engine)
    seen = 0

    def walk(node: Any, where: tuple[str, str]) -> None:
        nonlocal seen
        if isinstance(node, dict):
            assert "contained" not in node, where
            ref = node.get("reference")
            if isinstance(ref, str):
                seen += 1
                rtype, _, rid = ref.partition("/")
                assert (rtype, rid) in rows, (where, ref)
            for value in node.values():
                walk(value, where)
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    for key, row in rows.items():
        walk(content(row), key)
    assert seen > len(rows)


def _with_refusal(extracted: Extracted) -> tuple[str, ServiceUserRecord]:
    """A service user who refused to share with someone (a deny of disclosure)."""
    for su, record in sorted(extracted.records.items()):
        if any(c.decision.value == "deny" and c.kind.value == "disclosure" for c in record.consents):
            return su, record
    raise AssertionError("no refusal in the synthetic extract")


def _refusals(engine: Engine, su: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {k: r for k, r in stored(engine, su).items() if k[0] == "Consent" and is_safeguard(content(r), AS_OF)}


def test_an_ended_service_user_keeps_their_refusals_in_force(engine: Engine, extracted: Extracted) -> None:
    """Found by a review: a service user ended (missing from two extracts, or confirmed) had
    every refusal ended with their record, and the ended record is still read through the
    partner API: a GP practice the service user refused was then shown their crisis plan."""
    load(engine, extracted, list(extracted.records.values()))
    su, _record = _with_refusal(extracted)
    refusals = _refusals(engine, su)
    assert refusals
    rest = [r for other, r in extracted.records.items() if other != su]
    summary = load(engine, extracted, rest, removal=RemovalPolicy(confirm=True))
    assert summary.service_users["ended"] == 1
    after = stored(engine, su)
    assert {k: content(after[k]) for k in refusals} == {k: content(r) for k, r in refusals.items()}
    assert all(after[k]["state"] == "current" for k in refusals)


def test_a_refusal_recorded_again_under_another_id_ends_the_first(engine: Engine, extracted: Extracted) -> None:
    """Found by a review: a refusal the EPR recorded again under a new id left both kept
    (the old one reported on every run); the new one keeps the refusal in force."""
    load(engine, extracted, list(extracted.records.values()))
    su, record = _with_refusal(extracted)
    refusal = next(c for c in record.consents if c.decision.value == "deny" and c.kind.value == "disclosure")
    again = _replace(record, "consents", refusal, refusal.model_copy(update={"consent_id": refusal.consent_id + "-B"}))
    summary = load(engine, extracted, [again if r is record else r for r in extracted.records.values()])
    assert summary.safeguards_kept == []
    in_force = [content(r) for r in _refusals(engine, su).values() if r["state"] == "current"]
    assert any(refusal.consent_id + "-B" in str(c.get("identifier")) for c in in_force)  # the new one
    ended = [r for k, r in stored(engine, su).items() if k[0] == "Consent" and r["state"] == "ended"]
    assert len(ended) == 1 and refusal.consent_id in str(content(ended[0]).get("identifier"))


def test_a_kept_refusal_loses_the_mark_of_an_earlier_rejected_extract(engine: Engine, extracted: Extracted) -> None:
    """Found by a review: a refusal kept in force after a one-off rejection went on saying
    "Not current … check with the trust" for ever, on the shared record too."""
    load(engine, extracted, list(extracted.records.values()))
    su, record = _with_refusal(extracted)
    reject(engine, extracted, su, as_of=AS_OF + timedelta(days=1))
    assert all(held_back(content(r)) for r in _refusals(engine, su).values())
    refusal = next(c for c in record.consents if c.decision.value == "deny" and c.kind.value == "disclosure")
    without = record.model_copy(update={"consents": tuple(c for c in record.consents if c is not refusal)})
    summary = load(
        engine, extracted, [without if r is record else r for r in extracted.records.values()], fingerprint="x"
    )
    assert [su for su, _ref in summary.safeguards_kept] == [su]
    kept = [content(r) for r in _refusals(engine, su).values()]
    assert kept and not any(held_back(r) for r in kept)


def _with_do_not_involve(engine: Engine, extracted: Extracted, said: bool | None) -> tuple[str, LoadSummary]:
    """Load the extract, then again with a do-not-involve person's row saying ``said``
    (None: the cell left blank): the service user and the second load's summary."""
    load(engine, extracted, list(extracted.records.values()))
    su, record, contact = next(
        (su, r, c) for su, r in sorted(extracted.records.items()) for c in r.contacts if c.do_not_involve
    )
    changed = _replace(
        record,
        "contacts",
        contact,
        contact.model_copy(update={"do_not_involve": said, "do_not_involve_recorded_at": None}),
    )
    return su, load(engine, extracted, [changed if r is record else r for r in extracted.records.values()])


def test_a_do_not_involve_flag_the_trust_lifted_is_ended(engine: Engine, extracted: Extracted) -> None:
    """Found by a review: the do-not-involve Flag has no row of its own (it comes from the
    person's row); when the trust lifted it (the row now says they may be involved), it was
    kept in force for ever, and urgent care was refused the emergency contact. Kept only
    when the person's row is gone too."""
    su, summary = _with_do_not_involve(engine, extracted, False)
    assert not [ref for _su, ref in summary.safeguards_kept if ref.startswith("Flag/")]
    flags = [content(r) for k, r in stored(engine, su).items() if k[0] == "Flag" and r["state"] == "ended"]
    assert any("do-not-involve" in str(f.get("code")) for f in flags)


def test_a_do_not_involve_cell_left_blank_keeps_the_flag(engine: Engine, extracted: Extracted) -> None:
    """Found by a second review: a blank cell (an export that stopped joining the alerts
    table, a column renamed) was read as "may be involved" and ended the flag, silently:
    urgent care lost the "do not contact" banner. Only an explicit no lifts it."""
    su, summary = _with_do_not_involve(engine, extracted, None)
    assert [ref for _su, ref in summary.safeguards_kept if ref.startswith("Flag/")]
    flags = [content(r) for k, r in stored(engine, su).items() if k[0] == "Flag" and r["state"] == "current"]
    assert any("do-not-involve" in str(f.get("code")) and f["status"] == "active" for f in flags)


def test_the_person_a_kept_do_not_involve_flag_names_stays_as_stored(engine: Engine, extracted: Extracted) -> None:
    """Found by a trial of a new layout: a JSON key renamed by the export (the do-not-involve
    cell unread) kept the flag, but the person's RelatedPerson was written again from the
    row as an active contact, with their telephone number and without the do-not-involve
    extension: urgent care could ring them. While the flag is kept, the person stays as
    stored; an explicit no (the trust's word) lifts both."""
    load(engine, extracted, list(extracted.records.values()))
    before = {k: content(r) for k, r in stored(engine).items() if k[0] == "RelatedPerson"}
    not_involved = {k for k, rp in before.items() if rp.get("active") is False and "do-not-involve" in str(rp)}
    assert not_involved
    su, _summary = _with_do_not_involve(engine, extracted, None)
    after = {k: content(r) for k, r in stored(engine, su).items() if k[0] == "RelatedPerson"}
    kept_people = not_involved & set(after)
    assert kept_people
    assert all(after[k] == before[k] and "telecom" not in after[k] for k in kept_people)


def _replace(record: ServiceUserRecord, collection: str, old: Any, new: Any) -> ServiceUserRecord:
    return record.model_copy(
        update={collection: tuple(new if item is old else item for item in getattr(record, collection))}
    )


def test_a_kept_refusal_named_as_withdrawn_is_ended_and_nothing_else(engine: Engine, extracted: Extracted) -> None:
    """Stop 32's residual: the only way to end a refusal whose row the trust deleted on
    purpose was --confirm-removals, which also ended every missing service user at once.
    Naming it (--confirm-withdrawn) ends it alone: another kept refusal stays kept, and a
    service user missing from this one extract is not ended."""
    load(engine, extracted, list(extracted.records.values()))
    su, record = _with_refusal(extracted)
    refusals = [c for c in record.consents if c.decision.value == "deny" and c.kind.value == "disclosure"]
    without = record.model_copy(update={"consents": tuple(c for c in record.consents if c not in refusals)})
    others = [r for other, r in extracted.records.items() if other != su]
    missing, rest = others[0], others[1:]
    assert len(others) >= 20  # one missing is below the removal threshold
    summary = load(engine, extracted, [without, missing, *rest])
    kept = [ref for _su, ref in summary.safeguards_kept]
    assert kept and summary.service_users["ended"] == 0
    named, *still_kept = kept
    summary = load(engine, extracted, [without, *rest], removal=RemovalPolicy(withdrawn=frozenset({named})))
    assert summary.safeguards_ended == [(su, named)]
    assert [ref for _su, ref in summary.safeguards_kept] == still_kept
    assert summary.withdrawn_unmatched == []
    after = stored(engine, su)
    assert after[tuple(named.split("/"))]["state"] == "ended"  # type: ignore[index]
    assert all(after[tuple(ref.split("/"))]["state"] == "current" for ref in still_kept)  # type: ignore[index]
    assert summary.service_users["ended"] == 0  # the missing service user waits, as before
    assert any(stored(engine, missing.service_user.service_user_id).values())


def test_a_refusal_an_ended_record_keeps_can_be_named_as_withdrawn(engine: Engine, extracted: Extracted) -> None:
    """Stop 32's residual: an ended service user's refusals stay in force (their record is
    still read), and nothing could end one the trust lifted. --confirm-withdrawn can. A name
    that is no refusal kept in force (a mistype, a permit) ends nothing and is reported."""
    load(engine, extracted, list(extracted.records.values()))
    su, _record = _with_refusal(extracted)
    refusals = sorted(_refusals(engine, su))
    rest = [r for other, r in extracted.records.items() if other != su]
    load(engine, extracted, rest, removal=RemovalPolicy(confirm=True))
    assert all(stored(engine, su)[k]["state"] == "current" for k in refusals)
    named = f"{refusals[0][0]}/{refusals[0][1]}"
    # a refusal of a service user still in the extract: in force through its row
    other_su, _other = next((o, r) for o, r in sorted(extracted.records.items()) if o != su and _refusals(engine, o))
    in_extract = "/".join(sorted(_refusals(engine, other_su))[0])
    policy = RemovalPolicy(withdrawn=frozenset({named, "Consent/no-such-id", in_extract}))
    summary = load(engine, extracted, rest, removal=policy)
    assert summary.safeguards_ended == [(su, named)]
    assert stored(engine, su)[refusals[0]]["state"] == "ended"
    assert all(stored(engine, su)[k]["state"] == "current" for k in refusals[1:])
    assert sorted(ref for ref, _why in summary.withdrawn_unmatched) == sorted(["Consent/no-such-id", in_extract])
    assert stored(engine, other_su)[tuple(in_extract.split("/"))]["state"] == "current"  # type: ignore[index]
