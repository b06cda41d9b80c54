"""Care plans and what they hold: needs, goals, actions, reviews, sharing (§1.3, §1.4, §1.6).

A crisis, contingency or safety plan is a care plan of its own (``plan_type``) with
``parent_care_plan_id`` naming the main plan where there is one (DD-13); its content is
actions coded with :class:`~fhircare.source.codes.CrisisContingencyContent`.
"""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import Field, model_validator

from fhircare.source.codes import (
    ActivityStatus,
    CarePlanStatus,
    CarePlanType,
    CrisisContingencyContent,
    GoalAchievement,
    GoalLifecycleStatus,
    LifeArea,
    PlanningException,
)
from fhircare.source.common import Instant, Label, LocalId, SourceRecord, Text, field_error
from fhircare.source.local_codes import ContactMode, NeedStatus, PerformerKind, ReviewRequester, ReviewType

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

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.life_areas)) != len(self.life_areas):
            raise field_error("life_areas", "lists an area twice")
        _check_performer(self.expressed_by, self.expressed_by_id, "expressed_by_id")
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
        return self


__all__ = ["CarePlan", "CarePlanAction", "CarePlanNeed", "CarePlanReview", "Goal", "PlanShare"]
