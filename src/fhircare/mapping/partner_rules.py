"""Consistency rules for what partners act on (issue 10), checked with the rest before a
service user is mapped (:mod:`fhircare.mapping.consistency`): a broken rule rejects the
service user whole, reported on the row to blame.

- An active crisis or safety plan names a contact that answers around the clock, to use
  out of hours or at any time ([000 §3.3.11] "information about 24 hour access to
  services"); no plan names a service that is no longer running (H08).
- A goal that came from a DIALOG "more help" answer names a rated item of a completed
  DIALOG that asked for more help (DE-154).
- A plan replaces an earlier version of the same kind, which is no longer in force (a
  stale version must not stay active beside its successor, H09).
- An active Welsh Care and Treatment Plan records each of the eight areas once, and the
  service user has a care coordinator (001 ¶136, ¶150; EC-76); only a Welsh plan has areas.
- Nobody the service user does not want involved speaks in their plan or is invited to
  their review.
- A plan is not active once every episode of care has ended (the service user was
  discharged): it would be shown to partners as in use, with a named contact no one is
  (H01, H09; found by a trial of a new layout, whose export left a discharged service
  user's plan "Active").
- The lead of an active Welsh Care and Treatment Plan is a care co-ordinator (Mental
  Health (Wales) Measure 2010 Part 2; 001 ¶150), never relabelled from a key worker.

Types only (no import of the module that runs them): :class:`Inconsistency` is built by
the caller's factory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from fhircare.mapping.care_team import current_leads
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import MEASURE_AREAS, CarePlan
from fhircare.source.codes import (
    CarePlanStatus,
    CarePlanType,
    ContactWhen,
    CoordinationRole,
    CrisisContingencyContent,
    EpisodeStatus,
)
from fhircare.source.common import SourceRecord
from fhircare.source.local_codes import DialogStatus, PerformerKind

#: plans that must name a contact answering around the clock (the waiting list's safety plan too)
_NEEDS_24_7 = (CarePlanType.CRISIS_PLAN, CarePlanType.SAFETY_PLAN)
_OUT_OF_HOURS = (ContactWhen.OUT_OF_HOURS, ContactWhen.ANY_TIME)
#: an episode that no longer involves the trust
_ENDED_EPISODE = (EpisodeStatus.FINISHED, EpisodeStatus.CANCELLED)
#: the lead roles of a Welsh Care and Treatment Plan (the Measure's care co-ordinator)
_WELSH_LEADS = (CoordinationRole.CARE_COORDINATOR, CoordinationRole.TEMPORARY_CARE_COORDINATOR)
#: a replaced version still in force
_IN_FORCE = (CarePlanStatus.ACTIVE, CarePlanStatus.DRAFT, CarePlanStatus.ON_HOLD)


@dataclass(frozen=True)
class Broken:
    """A rule broken: the record and field to blame, and why."""

    record: SourceRecord
    field: str | None
    reason: str


def issue_10_rules(record: ServiceUserRecord, as_of: date) -> list[Broken]:
    return [
        *_crisis_contacts(record),
        *_dialog_goals(record),
        *_versions(record),
        *_welsh_areas(record, as_of),
        *_not_involved(record),
        *_active_after_discharge(record, as_of),
    ]


def _crisis_contacts(record: ServiceUserRecord) -> Iterator[Broken]:
    services = {s.service_id: s for s in record.services}
    for action in record.actions:
        service = services.get(action.performer_id or "") if action.performer_kind is PerformerKind.SERVICE else None
        if service is not None and not service.active:
            yield Broken(
                action,
                "performer_id",
                f"names service {action.performer_id} as a crisis contact, which is no longer running",
            )
    for plan in record.care_plans:
        if plan.plan_type not in _NEEDS_24_7 or plan.status is not CarePlanStatus.ACTIVE:
            continue
        around_the_clock = [
            a
            for a in record.actions
            if a.care_plan_id == plan.care_plan_id
            and a.content is CrisisContingencyContent.CRISIS_CONTACT
            and a.performer_kind is PerformerKind.SERVICE
            and a.contact_when in _OUT_OF_HOURS
            and a.performer_id in services
            and services[a.performer_id].active
            and services[a.performer_id].available_24_7
        ]
        if not around_the_clock:
            yield Broken(
                plan,
                "plan_type",
                f"an active {plan.plan_type.value.replace('-', ' ')} names no contact that answers 24 hours a day,"
                " 7 days a week, to use out of hours or at any time (000 §3.3.11: information about 24 hour"
                " access to services)",
            )


def _dialog_goals(record: ServiceUserRecord) -> Iterator[Broken]:
    assessments = {d.dialog_assessment_id: d for d in record.dialog_assessments}
    for goal in record.goals:
        if goal.dialog_assessment_id is None or goal.dialog_item is None:
            continue
        assessment = assessments[goal.dialog_assessment_id]
        rating = assessment.rating_for(goal.dialog_item)
        if assessment.status is not DialogStatus.COMPLETED or rating is None or not rating.more_help:
            yield Broken(
                goal,
                "dialog_item",
                f"says it came from DIALOG {goal.dialog_assessment_id} ({goal.dialog_item.value}), where no more"
                " help was asked for with that item",
            )


def _plan(record: ServiceUserRecord, care_plan_id: str | None) -> CarePlan | None:
    return next((p for p in record.care_plans if p.care_plan_id == care_plan_id), None) if care_plan_id else None


def _versions(record: ServiceUserRecord) -> Iterator[Broken]:
    for plan in record.care_plans:
        old = _plan(record, plan.replaces_care_plan_id)
        if old is None:
            continue
        if old.plan_type is not plan.plan_type:
            yield Broken(plan, "replaces_care_plan_id", f"replaces {old.care_plan_id}, a plan of another kind")
        elif old.version >= plan.version:
            yield Broken(plan, "replaces_care_plan_id", f"replaces {old.care_plan_id}, which is not an earlier version")
        if old.status in _IN_FORCE:
            yield Broken(
                old,
                "status",
                f"is {old.status.value} although {plan.care_plan_id} replaces it: one version of a plan is in force",
            )


def _welsh_areas(record: ServiceUserRecord, as_of: date) -> Iterator[Broken]:
    for area in record.ctp_areas:
        plan = _plan(record, area.care_plan_id)
        if plan is not None and plan.plan_type is not CarePlanType.WELSH_CTP:
            yield Broken(area, "care_plan_id", "only a Welsh Care and Treatment Plan records the eight areas")
    for plan in record.care_plans:
        if plan.plan_type is not CarePlanType.WELSH_CTP or plan.status is not CarePlanStatus.ACTIVE:
            continue
        areas = [a.area for a in record.ctp_areas if a.care_plan_id == plan.care_plan_id]
        if sorted(areas) != sorted(MEASURE_AREAS):
            missing = ", ".join(a.value for a in MEASURE_AREAS if a not in areas) or "none"
            yield Broken(
                plan,
                "plan_type",
                f"an active Care and Treatment Plan records each of the eight areas once, considered or not"
                f" (EC-76; missing: {missing})",
            )
        leads = current_leads(record, as_of)
        if len(leads) != 1:
            yield Broken(
                plan,
                "plan_type",
                "an active Care and Treatment Plan names the care coordinator, and there is no current one"
                " (001 ¶136: each service user must have a care coordinator)",
            )
        elif leads[0].coordination_role not in _WELSH_LEADS:
            role = leads[0].coordination_role.value if leads[0].coordination_role else "none"
            yield Broken(
                leads[0],
                "coordination_role",
                f"is {role}, the lead of an active Care and Treatment Plan: the Mental Health (Wales) Measure's"
                " lead is a care co-ordinator (001 ¶150), and a role is never relabelled",
            )


def _active_after_discharge(record: ServiceUserRecord, as_of: date) -> Iterator[Broken]:
    """Judged on the service user's care together: during a transfer a plan goes on under
    the receiving team's episode (EC-10); a planned, waiting, active or paused episode still
    involves the trust, whatever end date it was given; and a stay on a ward, a placement out
    of area or a Section 117 duty is care going on, though an export may close the community
    episode on admission (found by a review: a service user on a ward was rejected)."""
    if not record.episodes or _care_goes_on(record, as_of):
        return
    ended = [e for e in record.episodes if e.status in _ENDED_EPISODE and (e.end_date is None or e.end_date <= as_of)]
    if len(ended) < len(record.episodes):
        return
    last = max((e.end_date for e in ended if e.end_date is not None), default=None)
    when = f" (the last on {last.isoformat()})" if last is not None else ""
    for plan in record.care_plans:
        if plan.status is CarePlanStatus.ACTIVE:
            yield Broken(
                plan,
                "status",
                f"is active although every episode of care has ended{when}: a discharged service user's plan is"
                " completed or ended, or partners are shown it as in use with a named contact no one is",
            )


def _care_goes_on(record: ServiceUserRecord, as_of: date) -> bool:
    on_a_ward = any(s.discharged_at is None or s.discharged_at.date() > as_of for s in record.inpatient_stays)
    placed = any(p.current_on(as_of) for p in record.out_of_area_placements)
    after_care = any(e.current_on(as_of) for e in record.section_117)
    return on_a_ward or placed or after_care


def _not_involved(record: ServiceUserRecord) -> Iterator[Broken]:
    not_involved = {c.contact_id for c in record.contacts if c.do_not_involve}
    for statement in record.statements:
        if statement.expressed_by is PerformerKind.CARER and statement.expressed_by_id in not_involved:
            yield Broken(
                statement,
                "expressed_by_id",
                f"gives contact {statement.expressed_by_id} a say in the plan, whom the service user does not want"
                " involved",
            )
    for participant in record.review_participants:
        if participant.participant_kind is PerformerKind.CARER and participant.participant_id in not_involved:
            yield Broken(
                participant,
                "participant_id",
                f"invites contact {participant.participant_id} to a review, whom the service user does not want"
                " involved",
            )
