"""Crisis and contingency plans (001 ¶86: contingency prevents escalation, crisis acts
in one), and the safety plan made while someone waits for a key worker (004 §3.4).

Every crisis and safety plan says whom to contact when: the named lead (or the team's
duty worker) in office hours, and out of hours a service that answers around the clock
(the trust's 24-hour crisis line; in Wales the health board's line), sometimes NHS 111's
mental health option, 999 for immediate danger, or a crisis cafe open in the evenings
([000 §3.3.11] "contact details for the care co-ordinator/lead clinician and information
about 24 hour access to services")."""

from __future__ import annotations

from fhircare.source.care_plan import CarePlan
from fhircare.source.care_team import CareTeamMember
from fhircare.source.codes import (
    ActivityStatus,
    CarePlanType,
    ContactWhen,
    CrisisContingencyContent,
)
from fhircare.source.local_codes import (
    PerformerKind,
)
from fhircare.synth.directory import CRISIS_LINE, DUTY_LINES, WELSH_CRISIS_LINE
from fhircare.synth.draft import Draft


def _lead_words(draft: Draft) -> str:
    """The named lead's role, as the plan says it to the service user."""
    assert draft.lead is not None
    roles = [
        m.coordination_role
        for m in draft.records
        if isinstance(m, CareTeamMember) and m.member_id == draft.lead.staff_id and m.end_date is None
    ]
    role = roles[0].value.replace("-", " ") if roles and roles[0] is not None else "key worker"
    return role.replace("co ordinator", "co-ordinator").replace("coordinator", "co-ordinator")


def _contacts(draft: Draft, plan: CarePlan, office_hours: tuple[PerformerKind, str | None]) -> None:
    """Whom to call when: office hours first, then a 24/7 service, then others."""
    content = CrisisContingencyContent.CRISIS_CONTACT
    rng = draft.rng
    kind, who = office_hours
    words = f"call my {_lead_words(draft)}" if kind is PerformerKind.STAFF else "call the team's duty worker"
    draft.new_action(
        plan, kind, who, f"Weekdays 9am to 5pm: {words}.", content=content, contact_when=ContactWhen.OFFICE_HOURS
    )
    line = WELSH_CRISIS_LINE if draft.welsh else CRISIS_LINE
    draft.new_action(
        plan,
        PerformerKind.SERVICE,
        line,
        "Evenings, nights, weekends and bank holidays: the 24-hour mental health crisis line.",
        content=content,
        contact_when=ContactWhen.OUT_OF_HOURS,
    )
    if not draft.welsh and draft.chance(0.3):
        draft.new_action(
            plan,
            PerformerKind.SERVICE,
            "SV-SANCTUARY",
            "Somewhere to go in the evening: the crisis cafe, 6pm to 11:30pm.",
            content=content,
            contact_when=ContactWhen.OUT_OF_HOURS,
        )
    if draft.chance(0.4):
        draft.new_action(
            plan,
            PerformerKind.SERVICE,
            "SV-111",
            "If I cannot get through: NHS 111 and choose the mental health option.",
            content=content,
            contact_when=ContactWhen.ANY_TIME,
        )
    if rng.random() < 0.5:
        draft.new_action(
            plan,
            PerformerKind.SERVICE,
            "SV-999",
            "If my life or someone else's is in immediate danger: 999.",
            content=content,
            contact_when=ContactWhen.ANY_TIME,
        )


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
    _contacts(draft, crisis, (PerformerKind.STAFF, draft.lead.staff_id))
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
            f"Call my {_lead_words(draft)} to arrange it.",
            content=content.CRISIS_CONTACT,
            contact_when=ContactWhen.OFFICE_HOURS,
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
    _contacts(draft, plan, (PerformerKind.SERVICE, DUTY_LINES[draft.episode.team_id]))
