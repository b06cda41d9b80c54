"""Crisis and contingency plans (001 ¶86: contingency prevents escalation, crisis acts
in one), and the safety plan made while someone waits for a key worker (004 §3.4)."""

from __future__ import annotations

from fhircare.source.care_plan import CarePlan
from fhircare.source.codes import (
    ActivityStatus,
    CarePlanType,
    CrisisContingencyContent,
)
from fhircare.source.local_codes import (
    PerformerKind,
)
from fhircare.synth.draft import Draft


def add_crisis_plans(draft: Draft, main: CarePlan, advance_statement: bool) -> None:
    assert draft.lead is not None
    rng = draft.rng
    carers = [c for c in draft.carers if not c.is_anonymous]
    crisis = draft.new_plan(
        CarePlanType.CRISIS_PLAN,
        "My crisis plan",
        main.created_on,
        main.next_review_date,
        main.next_review_timeframe,
        parent_care_plan_id=main.care_plan_id,
    )
    content = CrisisContingencyContent
    draft.new_action(
        crisis,
        PerformerKind.SERVICE_USER,
        None,
        rng.choice(("Anniversaries of losses.", "Money worries.", "Not sleeping.")),
        content=content.TRIGGER,
    )
    if carers:
        draft.new_action(
            crisis,
            PerformerKind.CARER,
            carers[0].contact_id,
            "Stops answering the phone: family usually notice first.",
            content=content.EARLY_WARNING_SIGN,
        )
        draft.new_action(
            crisis,
            PerformerKind.CARER,
            carers[0].contact_id,
            "Call the duty worker and ask for an early review.",
            content=content.CARER_CONCERN_ROUTE,
        )
    else:
        draft.new_action(
            crisis,
            PerformerKind.SERVICE_USER,
            None,
            "I stop going out and stop eating properly.",
            content=content.EARLY_WARNING_SIGN,
        )
    draft.new_action(
        crisis,
        PerformerKind.SERVICE_USER,
        None,
        "Walking, music, and talking to someone I trust.",
        content=content.WHAT_HELPS,
    )
    draft.new_action(
        crisis,
        PerformerKind.STAFF,
        draft.lead.staff_id,
        "Weekdays 9 to 5 call the key worker; out of hours the 24-hour crisis line.",
        content=content.CRISIS_CONTACT,
    )
    draft.new_action(
        crisis,
        PerformerKind.TEAM,
        "T-CRHT",
        "Home treatment team can visit at short notice.",
        content=content.CRISIS_ACTION,
    )
    if advance_statement:
        draft.new_action(
            crisis,
            PerformerKind.SERVICE_USER,
            None,
            "No home visits without a phone call first.",
            content=content.ADVANCE_STATEMENT,
            status=ActivityStatus.COMPLETED,
        )
    if draft.welsh:  # contingency differs from crisis (001 ¶86)
        contingency = draft.new_plan(
            CarePlanType.CONTINGENCY_PLAN,
            "My contingency plan",
            main.created_on,
            main.next_review_date,
            main.next_review_timeframe,
            parent_care_plan_id=main.care_plan_id,
        )
        draft.new_action(
            contingency,
            PerformerKind.SERVICE_USER,
            None,
            "Missing two appointments in a row.",
            content=content.EARLY_WARNING_SIGN,
        )
        draft.new_action(
            contingency,
            PerformerKind.TEAM,
            draft.episode.team_id if draft.episode else "T-BORDER",
            "A support worker visits at short notice if the key worker is away.",
            content=content.CONTINGENCY_ARRANGEMENT,
        )
        draft.new_action(
            contingency,
            PerformerKind.STAFF,
            draft.lead.staff_id,
            "Call the key worker.",
            content=content.CRISIS_CONTACT,
        )


def add_safety_plan(draft: Draft) -> None:
    """EC-01 / DE-038: co-produced with the assessing clinician while waiting."""
    assert draft.episode is not None
    start = draft.episode.start_date
    plan = draft.new_plan(
        CarePlanType.SAFETY_PLAN,
        "My safety plan while I wait",
        start,
        draft.day(-draft.rng.randint(7, 28)),
        None,
    )
    draft.main_plan_id = plan.care_plan_id
    content = CrisisContingencyContent
    draft.new_action(plan, PerformerKind.SERVICE_USER, None, "Being on my own at night.", content=content.TRIGGER)
    draft.new_action(
        plan,
        PerformerKind.SERVICE_USER,
        None,
        "Not sleeping, skipping meals.",
        content=content.EARLY_WARNING_SIGN,
    )
    draft.new_action(
        plan,
        PerformerKind.SERVICE_USER,
        None,
        "Ringing my sister; going for a walk.",
        content=content.WHAT_HELPS,
    )
    draft.new_action(
        plan,
        PerformerKind.TEAM,
        draft.episode.team_id,
        "Office hours: the team's duty worker. Out of hours: the 24-hour crisis line.",
        content=content.CRISIS_CONTACT,
    )
