"""The rules across one service user's records: each broken on purpose in a synthetic
record (records are frozen; ``model_copy(update=...)`` makes records that each read
well but disagree), and reported on the record and column to blame."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from fhircare.mapping import Inconsistency, check_consistency
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.codes import (
    CarePlanType,
    ContactWhen,
    CoordinationRole,
    CrisisContingencyContent,
    EpisodeStatus,
    PartnerOrganisationType,
)
from fhircare.source.local_codes import (
    AdmissionMethod,
    CapacityDecision,
    CapacityOutcome,
    ConsentDecisionType,
    ConsentKind,
    LegalBasis,
    LegalStatusKind,
    MemberKind,
    PerformerKind,
)
from fhircare.source.movement import InpatientStay
from tests.unit.mapping.conftest import AS_OF, MappedRun


def _replace(record: ServiceUserRecord, collection: str, old: Any, new: Any) -> ServiceUserRecord:
    items = tuple(new if item is old else item for item in getattr(record, collection))
    return record.model_copy(update={collection: items})


def _find(run: MappedRun, test: Callable[[ServiceUserRecord], bool]) -> ServiceUserRecord:
    return next(r for r in run.records.values() if test(r) and not check_consistency(r, AS_OF))


def _only(found: list[Inconsistency]) -> Inconsistency:
    assert len(found) == 1, [i.reason for i in found]
    return found[0]


@pytest.fixture
def run(mapped_runs: dict[str, MappedRun]) -> MappedRun:
    return mapped_runs["rio-like"]


def test_synthetic_records_are_consistent(run: MappedRun) -> None:
    assert {su: check_consistency(r, AS_OF) for su, r in run.records.items() if check_consistency(r, AS_OF)} == {}


def test_a_second_current_lead(run: MappedRun) -> None:
    record = _find(run, lambda r: bool(r.leads_on(AS_OF)))
    manager = next(m for m in record.care_team if m.coordination_role is CoordinationRole.TEAM_MANAGER)
    broken = _replace(
        record, "care_team", manager, manager.model_copy(update={"coordination_role": CoordinationRole.KEY_WORKER})
    )
    found = _only(check_consistency(broken, AS_OF))
    assert found.field == "coordination_role" and "second current named lead" in found.reason


def _handover(run: MappedRun, old_ends: date, new_starts: date) -> tuple[ServiceUserRecord, Any, Any]:
    """A record whose current key worker hands over to a new one: the old allocation ends on
    ``old_ends``, the new one (another member of staff's, in the same team) starts on
    ``new_starts``."""
    record = _find(run, lambda r: any(m.is_key_worker for m in r.leads_on(AS_OF)))
    lead = next(m for m in record.leads_on(AS_OF) if m.is_key_worker)
    manager = next(m for m in record.care_team if m.coordination_role is CoordinationRole.TEAM_MANAGER)
    old = lead.model_copy(update={"start_date": min(lead.start_date, AS_OF - timedelta(days=30)), "end_date": old_ends})
    new = lead.model_copy(
        update={
            "membership_id": lead.membership_id + "-next",
            "member_id": manager.member_id,
            "start_date": new_starts,
            "end_date": None,
        }
    )
    care_team = (*(m for m in record.care_team if m is not lead), old, new)
    return record.model_copy(update={"care_team": care_team}), old, new


def test_a_handover_on_the_run_day_is_one_lead_the_new_one(run: MappedRun) -> None:
    """Many EPRs end the old allocation on the day the new one starts. That day the new key
    worker is the lead: it rejected the service user as having two (fifth layout trial)."""
    record, _old, new = _handover(run, AS_OF, AS_OF)
    assert check_consistency(record, AS_OF) == []
    assert record.leads_on(AS_OF) == (new,)


def test_a_new_lead_starting_while_the_old_goes_on_is_still_two_leads(run: MappedRun) -> None:
    record, _old, new = _handover(run, AS_OF + timedelta(days=1), AS_OF)
    found = _only(check_consistency(record, AS_OF))
    assert "second current named lead" in found.reason and new in record.leads_on(AS_OF)


def test_a_care_coordinator_beside_a_key_worker_is_two_leads(run: MappedRun) -> None:
    """Any two lead roles at once are two leads, whatever their names (002 ¶13)."""
    record = _find(run, lambda r: any(m.is_key_worker for m in r.leads_on(AS_OF)))
    manager = next(m for m in record.care_team if m.coordination_role is CoordinationRole.TEAM_MANAGER)
    changed = manager.model_copy(update={"coordination_role": CoordinationRole.CARE_COORDINATOR})
    found = _only(check_consistency(_replace(record, "care_team", manager, changed), AS_OF))
    assert found.record is changed and "second current named lead" in found.reason


def test_no_lead_and_nobody_waiting(run: MappedRun) -> None:
    record = _find(run, lambda r: bool(r.leads_on(AS_OF)))
    # the lead is still a member, but no longer in a lead role
    team = tuple(m.model_copy(update={"coordination_role": None}) if m.is_lead else m for m in record.care_team)
    found = _only(check_consistency(record.model_copy(update={"care_team": team}), AS_OF))
    assert found.field == "key_worker_awaiting_since" and "no current named lead" in found.reason


def test_waiting_without_a_duty_worker(run: MappedRun) -> None:
    """004 §3.4: while a lead is awaited the duty worker is the default contact."""
    record = _find(run, lambda r: any(e.status is EpisodeStatus.WAITLIST for e in r.episodes))
    team = tuple(m for m in record.care_team if m.coordination_role is not CoordinationRole.DUTY_WORKER)
    found = _only(check_consistency(record.model_copy(update={"care_team": team}), AS_OF))
    assert "duty worker" in found.reason and "004 §3.4" in found.reason


def test_a_default_lead_who_is_not_the_team_manager(run: MappedRun) -> None:
    record = _find(run, lambda r: any(m.defaulted for m in r.care_team))
    lead = next(m for m in record.care_team if m.defaulted)
    team = next(t for t in record.teams if t.team_id == lead.team_id)
    changed = team.model_copy(update={"manager_staff_id": "S-SOMEONE-ELSE"})
    found = _only(check_consistency(_replace(record, "teams", team, changed), AS_OF))
    assert found.record is lead and found.field == "member_id" and "manager of the receiving team" in found.reason


def test_a_default_lead_with_no_inpatient_discharge(run: MappedRun) -> None:
    """004 §3.11: the team manager is the lead by default only at inpatient discharge."""
    record = _find(run, lambda r: any(m.defaulted for m in r.care_team))
    found = _only(check_consistency(record.model_copy(update={"inpatient_stays": ()}), AS_OF))
    assert found.field == "defaulted" and "004 §3.11" in found.reason


def test_a_member_the_service_user_does_not_want_involved(run: MappedRun) -> None:
    record = _find(run, lambda r: any(c.do_not_involve for c in r.contacts))
    person = next(c for c in record.contacts if c.do_not_involve)
    member = record.care_team[0].model_copy(
        update={"membership_id": "CT-X", "member_kind": MemberKind.CONTACT, "member_id": person.contact_id,
                "coordination_role": None, "discipline": None}
    )  # fmt: skip
    found = _only(check_consistency(record.model_copy(update={"care_team": (*record.care_team, member)}), AS_OF))
    assert found.record is member and found.field == "member_id"


def test_an_action_for_staff_outside_the_care_team(run: MappedRun) -> None:
    record = _find(run, lambda r: any(a.performer_kind is PerformerKind.STAFF for a in r.actions))
    action = next(a for a in record.actions if a.performer_kind is PerformerKind.STAFF)
    outsider = next(
        s for s in run.records.values() for s in s.staff if s.staff_id not in {m.member_id for m in record.care_team}
    )
    broken = _replace(record, "actions", action, action.model_copy(update={"performer_id": outsider.staff_id}))
    found = _only(check_consistency(broken, AS_OF))
    assert found.field == "performer_id" and "not in the care team" in found.reason
    problem = found.to_problem(run.mapping, record.service_user_id)
    assert (problem.file, problem.line) == (action.origin.file, action.origin.line)  # type: ignore[union-attr]
    assert problem.field == run.mapping.records["care_plan_action"].column_for("performer_id") == "WHO_ID"


def test_an_action_for_a_person_not_to_be_involved(run: MappedRun) -> None:
    record = _find(run, lambda r: any(c.do_not_involve for c in r.contacts) and bool(r.actions))
    person = next(c for c in record.contacts if c.do_not_involve)
    action = record.actions[0]
    changed = action.model_copy(update={"performer_kind": PerformerKind.CARER, "performer_id": person.contact_id})
    found = _only(check_consistency(_replace(record, "actions", action, changed), AS_OF))
    assert "does not want involved" in found.reason


def test_an_active_plan_without_a_next_review(run: MappedRun) -> None:
    record = _find(run, lambda r: any(p.status.value == "active" and not r.reviews for p in r.care_plans))
    plan = next(p for p in record.care_plans if p.status.value == "active")
    changed = plan.model_copy(update={"next_review_date": None, "next_review_timeframe": None})
    found = _only(check_consistency(_replace(record, "care_plans", plan, changed), AS_OF))
    assert found.record is changed and found.field == "next_review_date"


def test_a_superseded_plan_version_left_active(run: MappedRun) -> None:
    # an extract that gives every version of a plan its series' status: the earlier version
    # would be shared as current beside the new one (DE-076: one authoritative plan)
    record = _find(run, lambda r: any(p.replaces_care_plan_id for p in r.care_plans))
    new = next(p for p in record.care_plans if p.replaces_care_plan_id and p.status.value == "active")
    old = next(p for p in record.care_plans if p.care_plan_id == new.replaces_care_plan_id)
    still_active = old.model_copy(update={"status": new.status, "next_review_date": new.next_review_date})
    linked = _only(check_consistency(_replace(record, "care_plans", old, still_active), AS_OF))
    assert linked.record is still_active and f"although {new.care_plan_id} replaces it" in linked.reason
    # the extract saying nothing of which replaces which: caught by kind, episode and version
    unlinked = _replace(
        _replace(record, "care_plans", old, still_active),
        "care_plans",
        new,
        new.model_copy(update={"replaces_care_plan_id": None}),
    )
    found = _only(check_consistency(unlinked, AS_OF))
    assert found.record is still_active and found.field == "status"
    assert f"active beside {new.care_plan_id} (version {new.version})" in found.reason


def test_a_crisis_plan_without_whom_to_contact(run: MappedRun) -> None:
    record = _find(run, lambda r: any(p.plan_type is CarePlanType.CRISIS_PLAN for p in r.care_plans))
    actions = tuple(a for a in record.actions if a.content is not CrisisContingencyContent.CRISIS_CONTACT)
    found = check_consistency(record.model_copy(update={"actions": actions}), AS_OF)
    # nobody to contact at all, and so nobody around the clock either
    assert {i.field for i in found} == {"plan_type"}
    assert any("crisis-contact" in i.reason for i in found) and any("24 hours" in i.reason for i in found)


def _around_the_clock(record: ServiceUserRecord) -> Any:
    """The active crisis plan's out-of-hours contact that answers 24/7 (a service)."""
    services = {v.service_id: v for v in record.services}
    plans = {p.care_plan_id for p in record.care_plans if p.plan_type is CarePlanType.CRISIS_PLAN}
    return next(
        a
        for a in record.actions
        if a.care_plan_id in plans
        and a.performer_kind is PerformerKind.SERVICE
        and a.contact_when in (ContactWhen.OUT_OF_HOURS, ContactWhen.ANY_TIME)
        and services[a.performer_id or ""].available_24_7
    )


def _has_crisis_plan(record: ServiceUserRecord) -> bool:
    return any(p.plan_type is CarePlanType.CRISIS_PLAN and p.status.value == "active" for p in record.care_plans)


def test_a_crisis_plan_whose_24_hour_contact_is_for_office_hours_only(run: MappedRun) -> None:
    """H08: a 24-hour line named only for office hours leaves nobody to call at night."""
    record = _find(run, _has_crisis_plan)
    plans = {p.care_plan_id for p in record.care_plans if p.plan_type is CarePlanType.CRISIS_PLAN}
    actions = tuple(
        a.model_copy(update={"contact_when": ContactWhen.OFFICE_HOURS})
        if a.care_plan_id in plans and a.contact_when is not None
        else a
        for a in record.actions
    )
    found = _only(check_consistency(record.model_copy(update={"actions": actions}), AS_OF))
    assert found.field == "plan_type" and "24 hours a day" in found.reason


def test_a_crisis_contact_that_is_no_longer_running(run: MappedRun) -> None:
    """H08: a closed service is never published as whom to call."""
    record = _find(run, _has_crisis_plan)
    action = _around_the_clock(record)
    service = next(v for v in record.services if v.service_id == action.performer_id)
    closed = service.model_copy(update={"active": False})
    found = check_consistency(_replace(record, "services", service, closed), AS_OF)
    assert any(i.record is action and i.field == "performer_id" and "no longer running" in i.reason for i in found)


def test_a_goal_expressed_by_a_team(run: MappedRun) -> None:
    record = _find(run, lambda r: bool(r.goals))
    goal = record.goals[0]
    changed = goal.model_copy(update={"expressed_by": PerformerKind.TEAM, "expressed_by_id": record.teams[0].team_id})
    found = _only(check_consistency(_replace(record, "goals", goal, changed), AS_OF))
    assert found.field == "expressed_by"


def test_a_copy_given_under_a_consent_that_does_not_cover_it(run: MappedRun) -> None:
    record = _find(run, lambda r: any(s.consent_id and s.recipient_kind is PerformerKind.CARER for s in r.plan_shares))
    share = next(s for s in record.plan_shares if s.consent_id and s.recipient_kind is PerformerKind.CARER)
    consent = next(c for c in record.consents if c.consent_id == share.consent_id)
    denied = consent.model_copy(update={"decision": ConsentDecisionType.DENY, "rationale": "x"})
    found = _only(check_consistency(_replace(record, "consents", consent, denied), AS_OF))
    assert found.record is share and found.field == "consent_id" and "does not permit" in found.reason
    early = share.model_copy(update={"shared_at": consent.decided_at - timedelta(days=1)})
    found = _only(check_consistency(_replace(record, "plan_shares", share, early), AS_OF))
    assert "before consent" in found.reason


def test_a_carers_assessment_for_someone_who_is_not_a_carer(run: MappedRun) -> None:
    record = _find(run, lambda r: bool(r.carers_assessments))
    contact = next(c for c in record.contacts if c.contact_id == record.carers_assessments[0].contact_id)
    changed = contact.model_copy(update={"roles": (), "young_carer": False})
    found = check_consistency(_replace(record, "contacts", contact, changed), AS_OF)
    assert found and all(i.field == "contact_id" and "not a carer" in i.reason for i in found)


def test_a_carer_who_refused_recording_but_whose_name_is_held(run: MappedRun) -> None:
    record = _find(
        run,
        lambda r: any(c.kind is ConsentKind.COLLECTION and c.decision is ConsentDecisionType.DENY for c in r.consents),
    )
    refusal = next(c for c in record.consents if c.kind is ConsentKind.COLLECTION)
    carer = next(c for c in record.contacts if c.contact_id == refusal.decided_by_contact_id)
    named = carer.model_copy(update={"family_name": "Named"})
    found = _only(check_consistency(_replace(record, "contacts", carer, named), AS_OF))
    assert found.field == "family_name" and "refused to have their details recorded" in found.reason


def test_dialog_linked_to_no_plan(run: MappedRun) -> None:
    record = _find(run, lambda r: bool(r.dialog_assessments))
    dialog = record.dialog_assessments[0]
    orphan = dialog.model_copy(update={"care_plan_id": None, "episode_id": "EP-NONE"})
    found = _only(check_consistency(_replace(record, "dialog_assessments", dialog, orphan), AS_OF))
    assert found.field == "care_plan_id"


def test_dialog_without_a_plan_id_uses_the_plan_in_force(run: MappedRun) -> None:
    def in_force(record: ServiceUserRecord) -> bool:
        mains = [p for p in record.care_plans if not p.is_sub_plan]
        return len(mains) == 1 and any(
            mains[0].start_date <= (d.completed_at or d.offered_at).date() for d in record.dialog_assessments
        )

    record = _find(run, in_force)
    main = next(p for p in record.care_plans if not p.is_sub_plan)
    dialog = next(d for d in record.dialog_assessments if main.start_date <= (d.completed_at or d.offered_at).date())
    changed = dialog.model_copy(update={"care_plan_id": None})
    assert check_consistency(_replace(record, "dialog_assessments", dialog, changed), AS_OF) == []


def test_section_117_with_the_wrong_bodies(run: MappedRun) -> None:
    record = _find(run, lambda r: bool(r.section_117))
    entitlement = record.section_117[0]
    swapped = entitlement.model_copy(
        update={
            "health_body_organisation_id": entitlement.local_authority_organisation_id,
            "local_authority_organisation_id": entitlement.health_body_organisation_id,
        }
    )
    found = check_consistency(_replace(record, "section_117", entitlement, swapped), AS_OF)
    assert {i.field for i in found} == {"health_body_organisation_id", "local_authority_organisation_id"}


def test_staff_with_nothing_to_say_what_they_do(run: MappedRun) -> None:
    record = _find(run, lambda r: bool(r.staff))
    staff = record.staff[0]
    changed = staff.model_copy(update={"discipline": None, "sds_job_role": None})
    found = _only(check_consistency(_replace(record, "staff", staff, changed), AS_OF))
    assert found.field == "discipline"


def test_a_goal_from_a_person_not_to_be_involved(run: MappedRun) -> None:
    record = _find(run, lambda r: any(c.do_not_involve for c in r.contacts) and bool(r.goals))
    person = next(c for c in record.contacts if c.do_not_involve)
    goal = record.goals[0]
    changed = goal.model_copy(update={"expressed_by": PerformerKind.CARER, "expressed_by_id": person.contact_id})
    found = _only(check_consistency(_replace(record, "goals", goal, changed), AS_OF))
    assert found.field == "expressed_by_id" and "does not" in found.reason


def test_a_permit_to_share_with_a_person_not_to_be_involved(run: MappedRun) -> None:
    record = _find(run, lambda r: any(c.do_not_involve for c in r.contacts))
    refusal = next(c for c in record.consents if c.decision is ConsentDecisionType.DENY and c.recipient_contact_id)
    permit = refusal.model_copy(update={"decision": ConsentDecisionType.PERMIT})
    found = _only(check_consistency(_replace(record, "consents", refusal, permit), AS_OF))
    assert found.record is permit and found.field == "recipient_contact_id"


def _best_interests(run: MappedRun) -> tuple[ServiceUserRecord, Any, Any]:
    record = _find(run, lambda r: any(c.capacity_assessment_id for c in r.consents))
    consent = next(c for c in record.consents if c.capacity_assessment_id)
    assessment = record.capacity_assessment(consent.capacity_assessment_id)
    return record, consent, assessment


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"decision": CapacityDecision.ACCOMMODATION}, "assessed accommodation"),
        ({"outcome": CapacityOutcome.HAS_CAPACITY}, "found capacity"),
        ({"assessed_on": AS_OF}, "made after the decision"),
    ],
)
def test_a_best_interests_decision_on_the_wrong_assessment(run: MappedRun, change: dict[str, Any], reason: str) -> None:
    """EC-40, 004 §5.7: best interests only on an assessment that found the service user
    lacks capacity to decide about sharing, made before the decision."""
    record, consent, assessment = _best_interests(run)
    changed = assessment.model_copy(update=change)
    found = _only(check_consistency(_replace(record, "capacity_assessments", assessment, changed), AS_OF))
    assert found.record is consent and found.field == "capacity_assessment_id" and reason in found.reason


def test_a_legal_duty_owed_to_someone_else(run: MappedRun) -> None:
    record = _find(run, lambda r: any(c.legal_basis is LegalBasis.SECTION_117 for c in r.consents))
    duty = next(c for c in record.consents if c.legal_basis is LegalBasis.SECTION_117)
    gp = next(o.organisation_id for o in record.organisations if o.kind is PartnerOrganisationType.GP_PRACTICE)
    changed = duty.model_copy(update={"recipient_organisation_id": gp})
    found = _only(check_consistency(_replace(record, "consents", duty, changed), AS_OF))
    assert found.field == "legal_basis" and "owed to" in found.reason


def test_a_section_117_duty_with_no_entitlement(run: MappedRun) -> None:
    record = _find(run, lambda r: any(c.legal_basis is LegalBasis.SECTION_117 for c in r.consents))
    found = _only(check_consistency(record.model_copy(update={"section_117": ()}), AS_OF))
    assert found.field == "legal_basis" and "no Section 117" in found.reason


def test_a_plan_left_active_after_discharge(run: MappedRun) -> None:
    """Found by a trial of a new layout: an export left a discharged service user's plan
    "Active" with its review date, and it was shared as in use ("Named contact: the team's
    duty worker, until a key worker is allocated"). During a transfer (one episode ended,
    the receiving team's open) the plan goes on."""
    record = _find(
        run,
        lambda r: (
            any(p.status.value == "active" for p in r.care_plans)
            and any(e.status in (EpisodeStatus.ACTIVE, EpisodeStatus.WAITLIST) for e in r.episodes)
        ),
    )
    ended_on = AS_OF - timedelta(days=30)
    discharged = record
    for episode in record.episodes:
        if episode.status not in (EpisodeStatus.FINISHED, EpisodeStatus.CANCELLED):
            finished = episode.model_copy(
                update={"status": EpisodeStatus.FINISHED, "end_date": max(ended_on, episode.start_date)}
            )
            discharged = _replace(discharged, "episodes", episode, finished)
    found = [i for i in check_consistency(discharged, AS_OF) if "every episode of care has ended" in i.reason]
    active = [p for p in record.care_plans if p.status.value == "active"]
    assert found and {i.record.care_plan_id for i in found} == {p.care_plan_id for p in active}  # type: ignore[attr-defined]
    assert all(i.field == "status" for i in found)
    # a transfer: the receiving team's episode is open, the plan goes on
    receiving = record.episodes[0].model_copy(
        update={"episode_id": "EP-RECEIVING", "status": EpisodeStatus.ACTIVE, "end_date": None, "start_date": ended_on}
    )
    transferred = discharged.model_copy(update={"episodes": (*discharged.episodes, receiving)})
    assert not [i for i in check_consistency(transferred, AS_OF) if "every episode of care has ended" in i.reason]


def _discharge_rule_hits(record: ServiceUserRecord) -> list[Inconsistency]:
    return [i for i in check_consistency(record, AS_OF) if "every episode of care has ended" in i.reason]


def test_care_that_goes_on_is_no_discharge(run: MappedRun) -> None:
    """Found by a review of the rule above: it rejected service users still in care, held
    back from the shared record. An episode is ended by its status (an active one past its
    planned end still involves the trust) and on its end date (not one still to come); a
    stay on a ward is care going on, though the export closed the community episode on
    admission."""
    record = _find(
        run,
        lambda r: (
            any(p.status.value == "active" for p in r.care_plans)
            and len(r.episodes) == 1
            and r.episodes[0].status is EpisodeStatus.ACTIVE
        ),
    )
    (episode,) = record.episodes
    overdue = episode.model_copy(update={"end_date": AS_OF - timedelta(days=3)})
    assert not _discharge_rule_hits(record.model_copy(update={"episodes": (overdue,)}))
    later = episode.model_copy(update={"status": EpisodeStatus.FINISHED, "end_date": AS_OF + timedelta(days=14)})
    assert not _discharge_rule_hits(record.model_copy(update={"episodes": (later,)}))
    admitted = datetime.combine(AS_OF - timedelta(days=10), time(11), tzinfo=UTC)
    closed = episode.model_copy(update={"status": EpisodeStatus.FINISHED, "end_date": admitted.date()})
    stay = InpatientStay(
        stay_id="IP-NOW",
        service_user_id=record.service_user_id,
        admitted_at=admitted,
        admission_method=AdmissionMethod.EMERGENCY,
        legal_status_on_admission=LegalStatusKind.INFORMAL,
    )
    on_a_ward = record.model_copy(update={"episodes": (closed,), "inpatient_stays": (*record.inpatient_stays, stay)})
    assert not _discharge_rule_hits(on_a_ward)
    assert _discharge_rule_hits(record.model_copy(update={"episodes": (closed,)}))  # without the stay: discharged


def test_a_welsh_care_and_treatment_plan_led_by_a_key_worker(mapped_runs: dict[str, MappedRun]) -> None:
    """Found by a trial of a new layout: a Welsh Care and Treatment Plan whose lead was a
    key worker was shared as "Named contact: …, key worker", where the Measure requires a
    care co-ordinator (001 ¶150). A role is never relabelled (002 ¶13): it is a problem."""
    run = mapped_runs["welsh-pas-like"]
    record = _find(
        run,
        lambda r: (
            any(p.plan_type is CarePlanType.WELSH_CTP and p.status.value == "active" for p in r.care_plans)
            and len(r.leads_on(AS_OF)) == 1
        ),
    )
    (lead,) = record.leads_on(AS_OF)
    relabelled = lead.model_copy(update={"coordination_role": CoordinationRole.KEY_WORKER})
    found = _only(check_consistency(_replace(record, "care_team", lead, relabelled), AS_OF))
    assert found.record is relabelled and found.field == "coordination_role"
    assert "care co-ordinator" in found.reason


def test_a_date_of_birth_after_the_day_of_the_run(run: MappedRun) -> None:
    """Found by a trial of a new layout: a service user born in 2030 (a year mistyped) was
    mapped and shared, exit 0. A date of birth after the day of the run, of the service
    user or of a contact, is a problem of the record; the day itself is not."""
    record = _find(run, lambda r: bool(r.contacts))
    born_later = record.model_copy(
        update={"service_user": record.service_user.model_copy(update={"birth_date": AS_OF + timedelta(days=1)})}
    )
    found = _only(check_consistency(born_later, AS_OF))
    assert found.record is born_later.service_user and found.field == "birth_date"
    contact = record.contacts[0]
    older = _replace(
        record, "contacts", contact, contact.model_copy(update={"birth_date": AS_OF + timedelta(days=400)})
    )
    assert _only(check_consistency(older, AS_OF)).field == "birth_date"
    today = record.model_copy(update={"service_user": record.service_user.model_copy(update={"birth_date": AS_OF})})
    # (born today, the record's earlier dates are before the birth: another rule's)
    assert [i for i in check_consistency(today, AS_OF) if i.record is today.service_user] == []


def test_a_date_of_birth_more_than_120_years_before_the_run(run: MappedRun) -> None:
    """Fourth layout trial: a service user born on 01/01/1900 (the placeholder an EPR writes
    for an unknown date) was mapped and shared as 125 years old, exit 0. A living person's
    date of birth, or a contact's, more than 120 years before the day of the run is a
    problem of the record naming no date; 120 years to the day is not, nor is it for a
    service user with a date of death."""
    record = _find(run, lambda r: bool(r.contacts))
    placeholder = _died(record, birth_date=date(1900, 1, 1))
    found = _only(check_consistency(placeholder, AS_OF))
    assert found.record is placeholder.service_user and found.field == "birth_date"
    assert "more than 120 years" in found.reason and "1900" not in found.reason
    contact = record.contacts[0]
    old_contact = _replace(record, "contacts", contact, contact.model_copy(update={"birth_date": date(1899, 5, 1)}))
    assert _only(check_consistency(old_contact, AS_OF)).field == "birth_date"
    oldest = _died(record, birth_date=AS_OF.replace(year=AS_OF.year - 120))
    assert check_consistency(oldest, AS_OF) == []
    assert check_consistency(_died(record, birth_date=date(1900, 1, 1), date_of_death=date(1990, 1, 1)), AS_OF) == []


def _died(record: ServiceUserRecord, **dates: Any) -> ServiceUserRecord:
    return record.model_copy(update={"service_user": record.service_user.model_copy(update=dates)})


def test_a_date_of_death_after_the_day_of_the_run(run: MappedRun) -> None:
    """A date of death is shared as a fact every partner acts on: one after the day of the
    run (a year mistyped) is a problem of the record, blamed on the date of death; the day
    itself is not. The reason names no date (the person's)."""
    record = _find(run, lambda r: True)
    later = _died(record, date_of_death=AS_OF + timedelta(days=1))
    found = _only(check_consistency(later, AS_OF))
    assert found.record is later.service_user and found.field == "date_of_death"
    assert found.reason == "is after the day of the run: a date of death to correct"
    assert check_consistency(_died(record, date_of_death=AS_OF), AS_OF) == []


def test_a_date_of_death_before_the_date_of_birth(run: MappedRun) -> None:
    """Dying before being born is a mistake of one of the two dates (day and month swapped,
    the wrong column mapped): a problem blamed on the date of death, naming neither date.
    Dying on the day of birth is not a mistake."""
    record = _find(run, lambda r: True)
    born = record.service_user.birth_date
    earlier = _died(record, date_of_death=born - timedelta(days=1))
    found = _only(check_consistency(earlier, AS_OF))
    assert found.record is earlier.service_user and found.field == "date_of_death"
    assert found.reason == "is before the date of birth: the date of death or the date of birth to correct"
    assert not any(character.isdigit() for character in found.reason)
    assert check_consistency(_died(record, date_of_death=born), AS_OF) == []


def test_a_contact_who_is_the_service_user_themself(run: MappedRun) -> None:
    """A contact with the service user's own names and date of birth (the export joined the
    service user's row as their own carer: a layout trial) was shared as a RelatedPerson of
    their own record, to whom a carer's confidences would go. A problem of the contact; the
    reason names the contact's id, never a name or date. Same names, another date of birth
    (a parent named after their child) is not."""
    record = _find(run, lambda r: bool(r.contacts))
    su = record.service_user
    contact = record.contacts[0]
    selfish = contact.model_copy(
        update={
            "family_name": su.family_name.upper(),
            "given_name": f" {su.given_name} ",
            "birth_date": su.birth_date,
        }
    )
    linked = record.model_copy(update={"contacts": (selfish, *record.contacts[1:])})
    found = _only(check_consistency(linked, AS_OF))
    assert found.record is selfish and found.field == "given_name"
    assert su.family_name not in found.reason and su.given_name not in found.reason
    assert contact.contact_id in found.reason
    parent = selfish.model_copy(update={"birth_date": su.birth_date - timedelta(days=365 * 25)})
    assert check_consistency(record.model_copy(update={"contacts": (parent, *record.contacts[1:])}), AS_OF) == []


def test_a_person_not_to_be_involved_under_a_second_id(run: MappedRun) -> None:
    """Fourth layout trial (an export with one row per contact and role): the father, flagged
    do-not-involve on his "Carer" row, came again as "Next of kin" under another id, not
    flagged, and was shared as an active next of kin with his phone number beside the flag
    saying not to contact him. The unflagged row with the flagged person's names (case and
    spacing aside) and no other date of birth is a problem; its reason names ids, never
    names. Another date of birth on both rows is another person."""
    record = _find(run, lambda r: any(c.do_not_involve and c.family_name and c.given_name for c in r.contacts))
    flagged = next(c for c in record.contacts if c.do_not_involve and c.family_name and c.given_name)
    assert flagged.family_name is not None and flagged.given_name is not None
    again = flagged.model_copy(
        update={
            "contact_id": f"{flagged.contact_id}-NOK",
            "family_name": flagged.family_name.upper(),
            "given_name": f" {flagged.given_name}",
            "do_not_involve": False,
            "do_not_involve_recorded_at": None,
            "active": True,
        }
    )
    twice = record.model_copy(update={"contacts": (*record.contacts, again)})
    found = _only(check_consistency(twice, AS_OF))
    assert found.record is again and found.field == "do_not_involve"
    assert f"has the names of contact {flagged.contact_id}" in found.reason
    assert flagged.family_name not in found.reason and flagged.given_name not in found.reason
    born = date(1960, 3, 1)
    one = _replace(twice, "contacts", flagged, flagged.model_copy(update={"birth_date": born}))
    assert _only(check_consistency(one, AS_OF)).record is again  # one date of birth missing: the same person
    other = again.model_copy(update={"birth_date": born.replace(year=1990)})
    two_people = _replace(one, "contacts", again, other)
    assert check_consistency(two_people, AS_OF) == []


def test_a_date_of_their_care_before_the_service_user_was_born(run: MappedRun) -> None:
    """Fifth layout trial (a SQL Server export, whose placeholder for an unknown date is
    1 January 1900): "On 1 January 1900 Lena agreed that her crisis plan may be shared" and a
    key worker "since 1 January 1900" were shared, exit 0. A date of the service user's care
    before their birth is a problem of its record and column, naming no date; a contact born
    before them (a parent) is not."""
    record = _find(run, lambda r: bool(r.consents) and bool(r.contacts))
    consent = record.consents[0]
    placeholder = consent.model_copy(update={"decided_at": datetime(1900, 1, 1, tzinfo=UTC)})
    found = _only(check_consistency(_replace(record, "consents", consent, placeholder), AS_OF))
    assert found.record is placeholder and found.field == "decided_at"
    assert found.reason.startswith("is before the service user's date of birth")
    member = record.care_team[0]
    early = member.model_copy(update={"start_date": date(1900, 1, 1)})
    found = _only(check_consistency(_replace(record, "care_team", member, early), AS_OF))
    assert found.record is early and found.field == "start_date"
    contact = record.contacts[0]
    parent = contact.model_copy(update={"birth_date": record.service_user.birth_date - timedelta(days=9000)})
    assert not check_consistency(_replace(record, "contacts", contact, parent), AS_OF)


def test_a_consent_decision_or_do_not_involve_flag_recorded_after_the_day_of_the_run(run: MappedRun) -> None:
    """Fifth layout trial: a refusal dated 2052 (a year mistyped) was mapped with exit 0, its
    Consent in force only from that day, so the partner API showed the refused person what
    the service user refused. A consent decision or a do-not-involve flag recorded after the
    day of the run is a problem of its record, naming no date; on the day itself it is not."""
    record = _find(
        run,
        lambda r: (
            any(c.decision is ConsentDecisionType.DENY for c in r.consents)
            and any(c.do_not_involve for c in r.contacts)
        ),
    )
    refusal = next(c for c in record.consents if c.decision is ConsentDecisionType.DENY)
    later = datetime.combine(AS_OF + timedelta(days=365), time(10), tzinfo=UTC)
    typo = refusal.model_copy(update={"decided_at": later})
    found = _only(check_consistency(_replace(record, "consents", refusal, typo), AS_OF))
    assert found.record is typo and found.field == "decided_at"
    assert found.reason.startswith("is after the day of the run") and str(later.year) not in found.reason
    today = refusal.model_copy(update={"decided_at": datetime.combine(AS_OF, time(10), tzinfo=UTC)})
    assert not check_consistency(_replace(record, "consents", refusal, today), AS_OF)
    flagged = next(c for c in record.contacts if c.do_not_involve)
    moved = flagged.model_copy(update={"do_not_involve_recorded_at": later})
    found = _only(check_consistency(_replace(record, "contacts", flagged, moved), AS_OF))
    assert found.record is moved and found.field == "do_not_involve_recorded_at"
