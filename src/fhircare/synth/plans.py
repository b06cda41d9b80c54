"""Synthetic care plans: the main plan with needs, goals, actions, what the person says
about themselves, the Welsh areas, reviews and copies shared, and the version it
replaced; its crisis plan (and, in Wales, a separate contingency plan, 001 ¶86); or, for
someone still waiting for a key worker, the safety plan made at assessment (004 §3.4)."""

from __future__ import annotations

from datetime import date, timedelta

from fhircare.source.care_plan import MEASURE_AREAS, CarePlan, CarePlanNeed, CtpArea, Goal, PlanShare, PlanStatement
from fhircare.source.carers import ConsentDecision
from fhircare.source.codes import (
    ActivityStatus,
    CareCoordinationArrangement,
    CarePlanStatus,
    CarePlanType,
    GoalAchievement,
    GoalLifecycleStatus,
    LifeArea,
    PlanningException,
)
from fhircare.source.episode import CareArrangement
from fhircare.source.local_codes import (
    NeedStatus,
    PerformerKind,
    PlanStatementKind,
)
from fhircare.synth.carers import vcse_consents
from fhircare.synth.crisis import add_crisis_plans, add_safety_plan
from fhircare.synth.directory import VCSE
from fhircare.synth.draft import Draft
from fhircare.synth.reviews import add_reviews
from fhircare.synth.scenarios import EdgeCase

#: goal in the person's words, Welsh Measure area, DIALOG domain
_GOALS = (
    ("I want to move into a flat of my own.", LifeArea.ACCOMMODATION, LifeArea.DIALOG_ACCOMMODATION),
    ("Get back to volunteering two days a week.", LifeArea.WORK_AND_OCCUPATION, LifeArea.DIALOG_JOB_SITUATION),
    (
        "Sleep better and feel less anxious in the evenings.",
        LifeArea.MEDICAL_AND_OTHER_TREATMENT,
        LifeArea.DIALOG_MENTAL_HEALTH,
    ),
    ("Walk to the park three times a week.", LifeArea.PERSONAL_CARE, LifeArea.DIALOG_PHYSICAL_HEALTH),
    ("See my friends at least once a week.", LifeArea.SOCIAL_CULTURAL_SPIRITUAL, LifeArea.DIALOG_FRIENDSHIPS),
    ("Sort out my benefits and the gas bill.", LifeArea.FINANCE_AND_MONEY, LifeArea.DIALOG_PRACTICAL_HELP),
    ("Start an evening course at the college.", LifeArea.EDUCATION_AND_TRAINING, LifeArea.DIALOG_JOB_SITUATION),
    ("Spend more time with my children.", LifeArea.PARENTING_OR_CARING, LifeArea.DIALOG_PARTNER_FAMILY),
    (
        "Understand my medication and its side effects.",
        LifeArea.MEDICAL_AND_OTHER_TREATMENT,
        LifeArea.DIALOG_MEDICATION,
    ),
)
_NEEDS = (
    ("Support to manage low mood and anxiety.", LifeArea.MEDICAL_AND_OTHER_TREATMENT),
    ("Safe and settled accommodation.", LifeArea.ACCOMMODATION),
    ("Help with debts and benefits.", LifeArea.FINANCE_AND_MONEY),
    ("Regular physical health checks with the GP.", LifeArea.PERSONAL_CARE),
    ("Meaningful daytime activity.", LifeArea.WORK_AND_OCCUPATION),
)
_STRENGTHS = (
    "I am a good listener and my friends come to me for advice.",
    "I have kept my allotment going for ten years.",
    "I am honest about how I am feeling when I trust someone.",
    "I can cook for my family and I enjoy it.",
)
_WHAT_MATTERS = (
    "Seeing my children every weekend.",
    "Keeping my flat and my cat.",
    "Getting back to work in the garden centre.",
    "Being treated as a person, not a diagnosis.",
)
#: Welsh Measure area → (action needed?, outcome) for a Care and Treatment Plan (001 ¶77)
_CTP_OUTCOMES = {
    LifeArea.FINANCE_AND_MONEY: "Welfare rights advice booked to sort out the benefits claim.",
    LifeArea.ACCOMMODATION: "Rents a flat that suits them and manages it well: will continue to maintain the tenancy.",
    LifeArea.PERSONAL_CARE: "Annual physical health check with the GP; support to stop smoking.",
    LifeArea.EDUCATION_AND_TRAINING: "Not looking for a course at the moment; to be asked again at the next review.",
    LifeArea.WORK_AND_OCCUPATION: "Referral to the employment support service.",
    LifeArea.PARENTING_OR_CARING: "No caring responsibilities; sees their sister weekly and wants to keep to that.",
    LifeArea.SOCIAL_CULTURAL_SPIRITUAL: "Goes to the chapel choir on Thursdays: no support needed.",
    LifeArea.MEDICAL_AND_OTHER_TREATMENT: "Medication reviewed every three months; psychology referral made.",
}
_CTP_SELF_MANAGED = (
    LifeArea.ACCOMMODATION,
    LifeArea.EDUCATION_AND_TRAINING,
    LifeArea.PARENTING_OR_CARING,
    LifeArea.SOCIAL_CULTURAL_SPIRITUAL,
)


def add_plans(draft: Draft) -> None:
    if draft.scenario == EdgeCase.NO_LEAD_YET:
        add_safety_plan(draft)
        return
    episode, lead = draft.episode, draft.lead
    assert episode is not None and lead is not None
    rng = draft.rng
    level = next(a.arrangement for a in draft.records if isinstance(a, CareArrangement) and a.end_date is None)
    if draft.welsh:
        plan_type, title = CarePlanType.WELSH_CTP, "My care and treatment plan"
    elif level is CareCoordinationArrangement.KEY_WORKER:
        plan_type, title = CarePlanType.PCSP, "My care and support plan"
    else:
        plan_type, title = CarePlanType.MENTAL_HEALTH_CARE_PLAN, "My care plan"
    created = draft.between(max(episode.start_date, draft.day(365)), draft.day(7))
    review_date = draft.day(-rng.randint(14, 180)) if draft.chance(0.85) else None
    timeframe = None if review_date else "In about three months, after the housing panel"
    contributed = draft.chance(0.92)
    offered = draft.chance(0.6)
    made = offered and draft.chance(0.4)
    version = 2 if draft.scenario == EdgeCase.LEAD_CHANGE else rng.randint(1, 3)
    previous = _previous_version(draft, plan_type, title, created, version) if version > 1 else None
    main = draft.new_plan(
        plan_type,
        title,
        created,
        review_date,
        timeframe,
        version=version,
        replaces_care_plan_id=previous.care_plan_id if previous else None,
        description="What I want to work on, who will do what, and when we will look at it again.",
        service_user_contributed=contributed,
        planning_exception=None if contributed else PlanningException.SERVICE_USER_DECLINED,
        planning_exception_statement=None
        if contributed
        else "Declined to take part in planning; the plan records the team's understanding of their views.",
        advance_statement_offered_on=created if offered else None,
        advance_statement_made_on=created - timedelta(days=rng.randint(30, 400)) if made else None,
        advance_statement_summary="No home visits without a phone call first." if made else None,
    )
    draft.main_plan_id = main.care_plan_id
    needs = rng.sample(_NEEDS, rng.randint(1, 3))
    for index, (text, area) in enumerate(needs):
        # 001 ¶83: in Wales an unmet need is always recorded where there is one
        unmet = (draft.welsh and index == 0) or draft.chance(0.15)
        draft.add(
            CarePlanNeed(
                need_id=draft.new_id("ND"),
                care_plan_id=main.care_plan_id,
                description=text,
                life_area=area,
                status=NeedStatus.UNMET if unmet else rng.choice((NeedStatus.MET, NeedStatus.PARTLY_MET)),
                unmet_reason="No supported housing place available yet." if unmet else None,
            )
        )
    named_carers = [c for c in draft.carers if not c.is_anonymous]
    for text, area, domain in rng.sample(_GOALS, rng.randint(1, 3)):
        by_carer = named_carers and draft.chance(0.15)
        goal = Goal(
            goal_id=draft.new_id("GL"),
            care_plan_id=main.care_plan_id,
            description=text,
            life_areas=(area, domain),
            expressed_by=PerformerKind.CARER if by_carer else PerformerKind.SERVICE_USER,
            expressed_by_id=named_carers[0].contact_id if by_carer else None,
            lifecycle_status=GoalLifecycleStatus.ACTIVE,
            achievement_status=rng.choice((None, GoalAchievement.IN_PROGRESS, GoalAchievement.IMPROVING)),
            start_date=created,
            target_date=created + timedelta(days=rng.randint(90, 400)) if draft.chance(0.6) else None,
        )
        draft.add(goal)
        draft.new_action(
            main,
            PerformerKind.SERVICE_USER,
            None,
            f"I will take the first step: {text.lower()}",
            goal_id=goal.goal_id,
            life_area=area,
        )
        if area is LifeArea.ACCOMMODATION:
            s117 = draft.scenario == EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE
            la = "ORG-LA2" if draft.welsh else "ORG-LA1"
            draft.new_action(
                main,
                PerformerKind.PARTNER_ORGANISATION,
                la,
                "Supported housing application.",
                goal_id=goal.goal_id,
                section_117=s117,
                life_area=area,
            )
    draft.new_action(
        main,
        PerformerKind.STAFF,
        lead.staff_id,
        "Visit every two weeks and review how the medication is going.",
        frequency="Every two weeks",
    )
    if named_carers:
        draft.new_action(main, PerformerKind.CARER, named_carers[0].contact_id, "Come along to the first session.")
    if draft.chance(0.4):
        draft.new_action(
            main,
            PerformerKind.PARTNER_ORGANISATION,
            rng.choice(VCSE),
            "Weekly peer support group.",
            status=ActivityStatus.SCHEDULED,
        )
    if draft.chance(0.3):
        draft.new_action(main, PerformerKind.TEAM, episode.team_id, "Duty worker available in office hours.")
    _statements(draft, main)
    if draft.welsh:
        _ctp_areas(draft, main)
    add_reviews(draft, main, level, previous)
    add_crisis_plans(draft, main, made)
    vcse_consents(draft, main)
    _shares(draft, main)


def _previous_version(draft: Draft, plan_type: CarePlanType, title: str, created: date, version: int) -> CarePlan:
    """The version the main plan replaced at its review: completed the day before."""
    assert draft.episode is not None
    start = max(draft.episode.start_date, created - timedelta(days=draft.rng.randint(120, 400)))
    start = min(start, created - timedelta(days=1))
    return draft.new_plan(
        plan_type,
        title,
        start,
        None,
        None,
        version=version - 1,
        status=CarePlanStatus.COMPLETED,
        end_date=created - timedelta(days=1),
        description="What I wanted to work on before the last review.",
    )


def _statements(draft: Draft, main: CarePlan) -> None:
    """Strengths and what matters most, in the person's words (DE-019, PRSB About Me)."""
    if not draft.chance(0.8):
        return
    rng = draft.rng
    for kind, texts, count in (
        (PlanStatementKind.STRENGTH, _STRENGTHS, rng.randint(1, 2)),
        (PlanStatementKind.WHAT_MATTERS, _WHAT_MATTERS, 1),
    ):
        for text in rng.sample(texts, count):
            draft.add(
                PlanStatement(
                    statement_id=draft.new_id("ST"),
                    care_plan_id=main.care_plan_id,
                    kind=kind,
                    description=text,
                )
            )


def _ctp_areas(draft: Draft, main: CarePlan) -> None:
    """The eight areas of a Welsh plan, each considered (EC-76), one now and then not yet."""
    skipped = draft.rng.choice(MEASURE_AREAS) if draft.chance(0.3) else None
    for area in MEASURE_AREAS:
        considered = area is not skipped
        draft.add(
            CtpArea(
                ctp_area_id=draft.new_id("AR"),
                care_plan_id=main.care_plan_id,
                area=area,
                considered=considered,
                action_needed=(area not in _CTP_SELF_MANAGED) if considered else None,
                outcome=_CTP_OUTCOMES[area] if considered else None,
            )
        )


def _shares(draft: Draft, main: CarePlan) -> None:
    """Copies of the plan given (DE-067, DE-093): to the service user, and to carers who
    may have it; the crisis plan to the GP where the service user agreed."""
    shared = min(main.created_on + timedelta(days=draft.rng.randint(1, 10)), draft.as_of)
    _share(draft, main.care_plan_id, PerformerKind.SERVICE_USER, None, shared, None)
    consents = {r.consent_id: r for r in draft.records if isinstance(r, ConsentDecision)}
    for contact_id, consent_id in draft.sharing_consents.items():
        _share(draft, main.care_plan_id, PerformerKind.CARER, contact_id, shared, consents[consent_id])
    partner = next((r for r in draft.records if isinstance(r, ConsentDecision) and r.recipient_partner_types), None)
    crisis = next(
        (r for r in draft.records if isinstance(r, CarePlan) and r.plan_type is CarePlanType.CRISIS_PLAN), None
    )
    gp = draft.service_user.gp_practice_id if draft.service_user else None
    if partner is not None and crisis is not None and gp is not None:
        _share(draft, crisis.care_plan_id, PerformerKind.PARTNER_ORGANISATION, gp, shared, partner)


def _share(
    draft: Draft, plan_id: str, kind: PerformerKind, recipient: str | None, day: date, consent: ConsentDecision | None
) -> None:
    """A copy given on ``day``, or, under a consent given later, just after the consent."""
    shared_at = draft.at(day)
    if consent is not None and shared_at <= consent.decided_at:
        shared_at = max(
            draft.at(min(consent.decided_at.date(), draft.as_of)), consent.decided_at + timedelta(minutes=30)
        )
    draft.add(
        PlanShare(
            share_id=draft.new_id("SH"),
            care_plan_id=plan_id,
            recipient_kind=kind,
            recipient_id=recipient,
            shared_at=shared_at,
            consent_id=consent.consent_id if consent is not None else None,
        )
    )
