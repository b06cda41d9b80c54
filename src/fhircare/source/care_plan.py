"""Care plans and what they hold: needs, goals, actions, what the service user says about
themselves, the Welsh areas, reviews and who took part, sharing (§1.3, §1.4, §1.6).

A crisis, contingency or safety plan is a care plan of its own (``plan_type``) with
``parent_care_plan_id`` naming the main plan where there is one (DD-13); its content is
actions coded with :class:`~fhircare.source.codes.CrisisContingencyContent`: triggers,
early warning signs and what helps (what to look out for), and the actions and contacts.
A new version of a plan names the version it replaces.
"""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import Field, model_validator

from fhircare.source.codes import (
    ActivityStatus,
    CarePlanStatus,
    CarePlanType,
    ContactWhen,
    CrisisContingencyContent,
    DialogItem,
    GoalAchievement,
    GoalLifecycleStatus,
    LifeArea,
    PlanningException,
)
from fhircare.source.common import Instant, Label, LocalId, SourceRecord, Text, field_error
from fhircare.source.local_codes import (
    ContactMode,
    NeedStatus,
    PerformerKind,
    PlanStatementKind,
    ReviewRequester,
    ReviewType,
)

#: who is the subject of a reference by kind: the service user needs no id, the rest do
_PERFORMERS_WITH_ID = frozenset(PerformerKind) - {PerformerKind.SERVICE_USER}


def _check_performer(kind: PerformerKind, ident: str | None, field: str) -> None:
    if kind in _PERFORMERS_WITH_ID and ident is None:
        raise field_error(field, f"is required when the performer is a {kind.value}")
    if kind is PerformerKind.SERVICE_USER and ident is not None:
        raise field_error(field, "must be empty when the performer is the service user")


class CarePlan(SourceRecord):
    """One version of a care plan (DE-050..084). ``status`` ``draft`` until agreed (EC-74);
    an active plan carries its next review as a date or, failing that, a timeframe in
    words (DE-057, EC-73)."""

    care_plan_id: LocalId
    service_user_id: LocalId
    episode_id: LocalId | None = None
    plan_type: CarePlanType
    version: int = Field(ge=1)
    status: CarePlanStatus
    title: Label | None = None
    #: the plan's summary or Care Support "statement of care" (DE-079)
    description: Text | None = None
    created_on: date
    start_date: date
    end_date: date | None = None
    agreed_on: date | None = None
    author_staff_id: LocalId | None = None
    parent_care_plan_id: LocalId | None = None
    #: the earlier version of this plan that this one replaces (a review's new version)
    replaces_care_plan_id: LocalId | None = None
    next_review_date: date | None = None
    next_review_timeframe: Label | None = None
    #: the service user contributed (DE-068); otherwise a planning exception says why not
    service_user_contributed: bool
    planning_exception: PlanningException | None = None
    planning_exception_statement: Text | None = None
    #: DE-011 / R-37: offered the chance to make an advance statement; made one; key points
    advance_statement_offered_on: date | None = None
    advance_statement_made_on: date | None = None
    advance_statement_summary: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end_date is not None and self.end_date < self.start_date:
            raise field_error("end_date", "is before start_date")
        if (self.planning_exception is None) != (self.planning_exception_statement is None):
            raise field_error("planning_exception_statement", "goes with planning_exception (both or neither)")
        if not self.service_user_contributed and self.planning_exception is None:
            raise field_error(
                "planning_exception",
                "is required when the service user did not contribute (000 §3.3.5)",
            )
        if self.parent_care_plan_id == self.care_plan_id:
            raise field_error("parent_care_plan_id", "names the plan itself")
        if self.replaces_care_plan_id == self.care_plan_id:
            raise field_error("replaces_care_plan_id", "names the plan itself")
        if self.advance_statement_summary is not None and self.advance_statement_made_on is None:
            raise field_error("advance_statement_made_on", "is required with an advance statement summary")
        return self

    @property
    def is_sub_plan(self) -> bool:
        return self.plan_type in (CarePlanType.CRISIS_PLAN, CarePlanType.CONTINGENCY_PLAN, CarePlanType.SAFETY_PLAN)


class CarePlanNeed(SourceRecord):
    """An assessed need the plan addresses, met or not (DE-051, DE-052, DD-02)."""

    need_id: LocalId
    care_plan_id: LocalId
    description: Text
    life_area: LifeArea | None = None
    status: NeedStatus
    unmet_reason: Text | None = None

    @model_validator(mode="after")
    def _reason_when_unmet(self) -> Self:
        if self.status is NeedStatus.UNMET and self.unmet_reason is None:
            raise field_error("unmet_reason", "is required for an unmet need (001 ¶83)")
        return self


class Goal(SourceRecord):
    """A goal or agreed outcome, in the service user's own words (DE-053, DE-090), in one
    or more life areas (the Welsh Measure areas and the DIALOG domains)."""

    goal_id: LocalId
    care_plan_id: LocalId
    description: Text
    life_areas: tuple[LifeArea, ...] = Field(min_length=1)
    expressed_by: PerformerKind
    expressed_by_id: LocalId | None = None
    lifecycle_status: GoalLifecycleStatus
    achievement_status: GoalAchievement | None = None
    start_date: date | None = None
    target_date: date | None = None
    #: the DIALOG rating whose "more help" answer led to this goal (DE-154, DIALOG+)
    dialog_assessment_id: LocalId | None = None
    dialog_item: DialogItem | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.life_areas)) != len(self.life_areas):
            raise field_error("life_areas", "lists an area twice")
        _check_performer(self.expressed_by, self.expressed_by_id, "expressed_by_id")
        if (self.dialog_assessment_id is None) != (self.dialog_item is None):
            raise field_error("dialog_item", "goes with dialog_assessment_id (both or neither)")
        if self.start_date and self.target_date and self.target_date < self.start_date:
            raise field_error("target_date", "is before start_date")
        return self


class CarePlanAction(SourceRecord):
    """An action of the plan and who does it: the service user, a carer, a named service
    (member of staff or team) or a partner organisation (DE-054, DE-055). Crisis and
    contingency content is coded (``content``); Section 117 after-care is marked (DE-073)."""

    action_id: LocalId
    care_plan_id: LocalId
    goal_id: LocalId | None = None
    description: Text
    performer_kind: PerformerKind
    performer_id: LocalId | None = None
    status: ActivityStatus
    content: CrisisContingencyContent | None = None
    #: for a crisis contact: when to use it (office hours, out of hours, at any time)
    contact_when: ContactWhen | None = None
    section_117: bool = False
    life_area: LifeArea | None = None
    #: how often or how intensely (DE-055, DE-080), in words
    frequency: Label | None = None
    scheduled_start: date | None = None
    scheduled_end: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_performer(self.performer_kind, self.performer_id, "performer_id")
        if self.scheduled_start and self.scheduled_end and self.scheduled_end < self.scheduled_start:
            raise field_error("scheduled_end", "is before scheduled_start")
        contact = self.content is CrisisContingencyContent.CRISIS_CONTACT
        if self.contact_when is not None and not contact:
            raise field_error("contact_when", "applies only to a crisis contact")
        if self.performer_kind is PerformerKind.SERVICE and not contact:
            raise field_error("performer_kind", "a service is named only as a crisis contact (whom to call)")
        return self

    @property
    def is_look_out_for(self) -> bool:
        """What to look out for and what helps: said about the person, not done by anyone."""
        return self.content in LOOK_OUT_FOR


#: crisis plan content that is information the plan points to, not an action
LOOK_OUT_FOR = frozenset(
    {
        CrisisContingencyContent.TRIGGER,
        CrisisContingencyContent.EARLY_WARNING_SIGN,
        CrisisContingencyContent.WHAT_HELPS,
    }
)


class PlanStatement(SourceRecord):
    """What the service user (or someone for them) says about themselves in the plan: a
    strength (DE-019, [001 ¶43] "the personal strengths of individuals") or what matters
    most to them (PRSB About Me)."""

    statement_id: LocalId
    care_plan_id: LocalId
    kind: PlanStatementKind
    description: Text
    expressed_by: PerformerKind = PerformerKind.SERVICE_USER
    expressed_by_id: LocalId | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_performer(self.expressed_by, self.expressed_by_id, "expressed_by_id")
        if self.expressed_by not in (PerformerKind.SERVICE_USER, PerformerKind.CARER, PerformerKind.STAFF):
            raise field_error("expressed_by", "is the service user, a carer or a member of staff")
        return self


#: the eight areas of the Mental Health (Wales) Measure 2010 s.18(1)(a)
MEASURE_AREAS: tuple[LifeArea, ...] = tuple(LifeArea)[:8]


class CtpArea(SourceRecord):
    """One of the eight areas of a Welsh Care and Treatment Plan: whether it was
    considered and the outcome (R-41, EC-76: "considered, no action needed" is not the
    same as never considered). ``action_needed`` False with an outcome is the person
    managing it themselves ([001 ¶77] "it is sufficient simply to state that they will
    continue to maintain their tenancy")."""

    ctp_area_id: LocalId
    care_plan_id: LocalId
    area: LifeArea
    considered: bool
    action_needed: bool | None = None
    outcome: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.area not in MEASURE_AREAS:
            raise field_error("area", "is one of the eight areas of the Mental Health (Wales) Measure")
        if self.considered and (self.outcome is None or self.action_needed is None):
            raise field_error("outcome", "and action_needed are required for an area that was considered")
        if not self.considered and self.action_needed is not None:
            raise field_error("action_needed", "is unknown for an area that was not considered")
        return self


class CarePlanReview(SourceRecord):
    """A review of the plan, or one conversation of a review held as a series (DE-140..145,
    EC-70, EC-71). ``completed`` marks the review as done (a distinct event)."""

    review_id: LocalId
    care_plan_id: LocalId
    review_type: ReviewType
    review_date: date
    requested_by: ReviewRequester
    mode: ContactMode
    service_user_attended: bool
    carer_attended: bool = False
    completed: bool
    outcome: Text | None = None
    next_review_date: date | None = None
    reviewer_staff_id: LocalId | None = None


class ReviewParticipant(SourceRecord):
    """Someone invited to a review, and whether they took part (DE-145, EC-52): a carer
    or other contact (a nominated representative, an attorney), or a member of staff
    (including an advocate working for an advocacy service). ``on_behalf_of_service_user``
    marks a representative speaking for the service user ([004 §3.16] "through a
    nominated advocate or carer")."""

    review_participant_id: LocalId
    review_id: LocalId
    participant_kind: PerformerKind
    participant_id: LocalId
    attended: bool
    on_behalf_of_service_user: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.participant_kind not in (PerformerKind.CARER, PerformerKind.STAFF):
            raise field_error("participant_kind", "is a carer or other contact, or a member of staff")
        return self


class PlanShare(SourceRecord):
    """A copy of a plan version given to someone, when, and under which consent (DE-067,
    DE-093, DD-05). Recipients: the service user, a contact, a partner organisation or a
    member of staff."""

    share_id: LocalId
    care_plan_id: LocalId
    recipient_kind: PerformerKind
    recipient_id: LocalId | None = None
    shared_at: Instant
    consent_id: LocalId | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_performer(self.recipient_kind, self.recipient_id, "recipient_id")
        if self.recipient_kind is PerformerKind.SERVICE:
            raise field_error("recipient_kind", "a copy of a plan goes to a person, a team or an organisation")
        return self


__all__ = [
    "MEASURE_AREAS",
    "CarePlan",
    "CarePlanAction",
    "CarePlanNeed",
    "CarePlanReview",
    "CtpArea",
    "Goal",
    "PlanShare",
    "PlanStatement",
    "ReviewParticipant",
]
