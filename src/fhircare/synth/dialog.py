"""Synthetic DIALOG offers and ratings (DE-150..154): rated at the start of treatment and
often again at review, declined (the service user's choice), or not appropriate (EC-60:
someone who lacks the capacity to understand the tool); and a plan goal that came from a
"more help" answer (DIALOG+, DE-154)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fhircare.source.care_plan import Goal
from fhircare.source.codes import DataAbsentReason, DialogItem, DialogTimepoint, GoalLifecycleStatus
from fhircare.source.dialog import DialogAssessment, DialogRating
from fhircare.source.local_codes import (
    DialogCompletionMethod,
    DialogNotAppropriateReason,
    DialogStatus,
    PerformerKind,
)
from fhircare.synth.draft import Draft
from fhircare.synth.scenarios import EdgeCase

#: what someone asked for more help with, as the goal they then wrote
_HELP_GOALS = {
    DialogItem.MENTAL_HEALTH: "Find ways to cope when my mood drops.",
    DialogItem.PHYSICAL_HEALTH: "Get my blood pressure checked and start walking again.",
    DialogItem.JOB_SITUATION: "Find out about volunteering.",
    DialogItem.ACCOMMODATION: "Get the damp in my flat sorted.",
    DialogItem.LEISURE_ACTIVITIES: "Find something to do on Sunday afternoons.",
    DialogItem.FRIENDSHIPS: "Get back in touch with an old friend.",
    DialogItem.PARTNER_FAMILY: "Talk to my brother again.",
    DialogItem.PERSONAL_SAFETY: "Feel safe walking home in the evening.",
    DialogItem.MEDICATION: "Talk to the doctor about the side effects of my tablets.",
    DialogItem.PRACTICAL_HELP: "Get help filling in the benefit forms.",
    DialogItem.MEETINGS: "Have my appointments somewhere closer to home.",
}


def add_dialog(draft: Draft) -> None:
    rng, episode = draft.rng, draft.episode
    assert episode is not None
    offered = draft.at(draft.between(episode.start_date, draft.day(1)))
    if draft.scenario == EdgeCase.DIALOG_DECLINED:
        _dialog_record(
            draft,
            DialogTimepoint.BASELINE,
            DialogStatus.DECLINED,
            offered,
            declined_reason="Did not want to fill in a questionnaire at the moment.",
        )
        return
    if draft.scenario == EdgeCase.BEST_INTERESTS_SHARING:  # EC-40, EC-60: cannot understand the tool
        reason = DialogNotAppropriateReason.LACKS_CAPACITY
    elif draft.chance(0.05):
        reason = rng.choice(list(DialogNotAppropriateReason))
    else:
        reason = None
    if reason is not None:
        _dialog_record(
            draft, DialogTimepoint.BASELINE, DialogStatus.NOT_APPROPRIATE, offered, not_appropriate_reason=reason
        )
        return
    baseline = _rated(draft, DialogTimepoint.BASELINE, offered, wants_help=draft.scenario == "typical")
    later = offered.date() + timedelta(days=90)
    if later < draft.as_of and draft.chance(0.5):
        _rated(draft, DialogTimepoint.REVIEW, draft.at(draft.between(later, draft.day(1))))
    if draft.scenario != EdgeCase.NO_LEAD_YET and (draft.scenario == "typical" or draft.chance(0.3)):
        _goal_from_help(draft, baseline)  # not on a safety plan: the plan made with the key worker


def _rated(
    draft: Draft, timepoint: DialogTimepoint, offered: datetime, *, wants_help: bool = False
) -> DialogAssessment:
    rng = draft.rng
    ratings = []
    skipped = rng.choice(list(DialogItem)) if draft.chance(0.1) else None
    for item in DialogItem:
        if item is skipped:
            ratings.append(DialogRating(item=item, not_rated_reason=DataAbsentReason.ASKED_DECLINED))
            continue
        score = min(7, max(1, round(rng.gauss(4.2, 1.4))))
        ratings.append(DialogRating(item=item, rating=score, more_help=score <= 3 if draft.chance(0.8) else None))
    if wants_help and not any(r.more_help for r in ratings):
        low = min((r for r in ratings if r.rating is not None), key=lambda r: (r.rating or 0, r.item.value))
        ratings[ratings.index(low)] = low.model_copy(update={"more_help": True})
    method = rng.choice(list(DialogCompletionMethod))
    assisted = method is DialogCompletionMethod.IN_APPOINTMENT and draft.lead is not None
    completed = offered + timedelta(minutes=rng.randint(5, 60 * 24 * 3))
    if completed.date() > draft.as_of:
        completed = offered + timedelta(minutes=5)
    return _dialog_record(
        draft,
        timepoint,
        DialogStatus.COMPLETED,
        offered,
        ratings=tuple(ratings),
        completed_at=completed,
        completion_method=method,
        author_kind=PerformerKind.STAFF if assisted else PerformerKind.SERVICE_USER,
        author_staff_id=draft.lead.staff_id if assisted and draft.lead else None,
    )


def _dialog_record(
    draft: Draft, timepoint: DialogTimepoint, status: DialogStatus, offered: datetime, **fields: object
) -> DialogAssessment:
    assert draft.episode is not None
    assessment = DialogAssessment.model_validate(
        {
            "dialog_assessment_id": draft.new_id("DG"),
            "service_user_id": draft.su_id,
            "care_plan_id": draft.main_plan_id,
            "episode_id": draft.episode.episode_id,
            "timepoint": timepoint,
            "status": status,
            "offered_at": offered,
            **fields,
        }
    )
    draft.add(assessment)
    return assessment


def _goal_from_help(draft: Draft, assessment: DialogAssessment) -> None:
    """The first item the service user wanted more help with becomes a goal of the plan
    the ratings inform (DIALOG+: [000 App 4] "Using a Dialog Plus Approach")."""
    wanted = next((r for r in assessment.ratings if r.more_help), None)
    if wanted is None or assessment.care_plan_id is None or assessment.completed_at is None:
        return
    draft.add(
        Goal(
            goal_id=draft.new_id("GL"),
            care_plan_id=assessment.care_plan_id,
            description=_HELP_GOALS[wanted.item],
            life_areas=(wanted.item.life_area,),
            expressed_by=PerformerKind.SERVICE_USER,
            lifecycle_status=GoalLifecycleStatus.ACTIVE,
            start_date=min(assessment.completed_at.date(), draft.as_of),
            dialog_assessment_id=assessment.dialog_assessment_id,
            dialog_item=wanted.item,
        )
    )
