"""Care plans (fhircare-care-plan) and their goals (fhircare-goal).

A plan follows the PRSB Personalised Care and Support Plan: its type, the care
coordination arrangement (dated, never defaulted), goals with their life areas, actions
saying who does them (service user, carer, service or partner), the next review,
Section 117 after-care, and the consents and copies that govern who has it. Crisis,
contingency and safety plans are plans of their own, ``partOf`` the main plan (DD-13).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhircare.mapping.care_team import awaited_role, current_leads, default_contacts, member_name, role_words
from fhircare.mapping.context import ResourceKey
from fhircare.mapping.fhir import (
    CODE_SYSTEM,
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    coding,
    complex_extension,
    concept,
    concept_of,
    extension,
    fhir_datetime,
    period,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import long_date, narrative, natural_key, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan, CarePlanAction, CarePlanNeed, Goal
from fhircare.source.codes import SNOMED, CarePlanType
from fhircare.source.episode import CareArrangement
from fhircare.source.local_codes import ConsentKind, NeedStatus
from fhircare.source.movement import Section117Entitlement

_GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
#: every main plan is also a mental health care plan (SNOMED CT 718347000)
_MENTAL_HEALTH_CARE_PLAN = coding(SNOMED, "718347000")
#: a plan that includes Section 117 after-care (001 ¶165: no separate after-care plan)
SECTION_117_CATEGORY = coding(CODE_SYSTEM + "care-plan-type", "section-117-aftercare")


# --- what a plan's extensions are made of ---------------------------------------------


def next_review(plan: CarePlan, record: ServiceUserRecord) -> tuple[str, Any] | None:
    """(value key, value) of the plan's next review: its date, else its timeframe in
    words (EC-73), else the next date its latest completed review set."""
    if plan.next_review_date is not None:
        return "valueDate", plan.next_review_date.isoformat()
    if plan.next_review_timeframe is not None:
        return "valueString", plan.next_review_timeframe
    reviews = [r for r in record.reviews if r.care_plan_id == plan.care_plan_id and r.completed and r.next_review_date]
    if reviews:
        latest = max(reviews, key=lambda r: (r.review_date, r.review_id))
        assert latest.next_review_date is not None
        return "valueDate", latest.next_review_date.isoformat()
    return None


def section_117_for(plan: CarePlan, record: ServiceUserRecord) -> Section117Entitlement | None:
    """The Section 117 entitlement the plan's period overlaps (the latest, if several)."""
    overlapping = [
        s
        for s in record.section_117
        if (plan.end_date is None or s.start_date <= plan.end_date)
        and (s.end_date is None or s.end_date >= plan.start_date)
    ]
    return max(overlapping, key=lambda s: (s.start_date, s.section_117_id)) if overlapping else None


def arrangements_for(episode_id: str | None, record: ServiceUserRecord) -> list[CareArrangement]:
    """The arrangements of an episode (and those recorded for no episode in particular);
    all of them when the plan or episode is not tied to one. Oldest first."""
    chosen = [a for a in record.arrangements if episode_id is None or a.episode_id in (None, episode_id)]
    return sorted(chosen, key=lambda a: (a.start_date, a.arrangement_id))


def arrangement_extensions(arrangements: list[CareArrangement]) -> list[Json]:
    return [
        complex_extension(
            STRUCTURE_DEFINITION + "care-coordination-arrangement",
            (
                ("arrangement", "valueCodeableConcept", concept_of(a.arrangement)),
                ("period", "valuePeriod", period(a.start_date, a.end_date)),
            ),
        )
        for a in arrangements
    ]


def _section_117(entitlement: Section117Entitlement, refs: Refs) -> Json:
    return complex_extension(
        STRUCTURE_DEFINITION + "section-117-aftercare",
        (
            ("period", "valuePeriod", period(entitlement.start_date, entitlement.end_date)),
            ("detentionSection", "valueCodeableConcept", concept_of(entitlement.detention_section)),
            (
                "responsibleOrganisation",
                "valueReference",
                refs.organisation(entitlement.health_body_organisation_id).reference(),
            ),
            (
                "responsibleOrganisation",
                "valueReference",
                refs.organisation(entitlement.local_authority_organisation_id).reference(),
            ),
        ),
    )


def governing_consents(plan: CarePlan, record: ServiceUserRecord) -> list[str]:
    """The disclosure decisions that govern who may have this plan: those about it (or
    about the main plan it is part of) and those about every plan."""
    scope = {None, plan.care_plan_id, plan.parent_care_plan_id}
    chosen = [c for c in record.consents if c.kind is ConsentKind.DISCLOSURE and c.care_plan_id in scope]
    return [c.consent_id for c in sorted(chosen, key=lambda c: (c.decided_at, c.consent_id))]


def _plan_extensions(plan: CarePlan, record: ServiceUserRecord, refs: Refs) -> list[Json]:
    extensions = [] if plan.is_sub_plan else arrangement_extensions(arrangements_for(plan.episode_id, record))
    review = next_review(plan, record)
    if review is not None:
        extensions.append(extension(STRUCTURE_DEFINITION + "next-review", **{review[0]: review[1]}))
    entitlement = None if plan.is_sub_plan else section_117_for(plan, record)
    if entitlement is not None:
        extensions.append(_section_117(entitlement, refs))
    for consent_id in governing_consents(plan, record):
        extensions.append(
            extension(STRUCTURE_DEFINITION + "consent-to-share", valueReference=refs.consent(consent_id).reference())
        )
    shares = sorted(
        (s for s in record.plan_shares if s.care_plan_id == plan.care_plan_id), key=lambda s: (s.shared_at, s.share_id)
    )
    for share in shares:
        extensions.append(
            complex_extension(
                STRUCTURE_DEFINITION + "plan-shared",
                (
                    (
                        "recipient",
                        "valueReference",
                        refs.performer(share.recipient_kind, share.recipient_id).reference(),
                    ),
                    ("date", "valueDateTime", fhir_datetime(share.shared_at)),
                    (
                        "consent",
                        "valueReference",
                        refs.consent(share.consent_id).reference() if share.consent_id else None,
                    ),
                ),
            )
        )
    if plan.planning_exception is not None:
        extensions.append(
            complex_extension(
                STRUCTURE_DEFINITION + "planning-exception",
                (
                    ("type", "valueCodeableConcept", concept_of(plan.planning_exception)),
                    ("statement", "valueString", plan.planning_exception_statement),
                ),
            )
        )
    return extensions


# --- activities ---------------------------------------------------------------------


def _scheduled(action: CarePlanAction) -> tuple[str, Json | str] | None:
    """When or how often: a period, a frequency in words, or both (as a Timing)."""
    bounds = period(action.scheduled_start, action.scheduled_end)
    if bounds is not None and action.frequency is not None:
        return "scheduledTiming", {"code": {"text": action.frequency}, "repeat": {"boundsPeriod": bounds}}
    if bounds is not None:
        return "scheduledPeriod", bounds
    if action.frequency is not None:
        return "scheduledString", action.frequency
    return None


def _activity(action: CarePlanAction, refs: Refs) -> Json:
    performer = refs.performer(action.performer_kind, action.performer_id)
    detail: Json = {
        "code": concept_of(action.content) if action.content else None,
        "reasonCode": [concept_of(action.life_area)] if action.life_area else None,
        "goal": [refs.goal(action.goal_id).reference()] if action.goal_id else None,
        "status": action.status.value,
        "performer": [{"reference": performer.full_url, "type": performer.resource_type}],
        "description": action.description,
    }
    scheduled = _scheduled(action)
    if scheduled is not None:
        detail[scheduled[0]] = scheduled[1]
    return prune(
        {
            "extension": (
                [extension(STRUCTURE_DEFINITION + "section-117-activity", valueBoolean=True)]
                if action.section_117
                else None
            ),
            "detail": prune(detail),
        }
    )


# --- narrative ------------------------------------------------------------------------


def _plan_paragraphs(plan: CarePlan, record: ServiceUserRecord, refs: Refs) -> list[str | None]:
    su = record.service_user.given_name
    status = {"active": "in use", "draft": "a draft, not yet agreed"}.get(
        plan.status.value, plan.status.value.replace("-", " ")
    )
    since = f"from {long_date(plan.start_date)}" + (f" to {long_date(plan.end_date)}" if plan.end_date else "")
    agreed = f", agreed on {long_date(plan.agreed_on)}" if plan.agreed_on else ""
    paragraphs: list[str | None] = [
        sentence(f"{su}'s {label(plan.plan_type)} (version {plan.version}), {status}, {since}{agreed}")
    ]
    review = next_review(plan, record)
    if review is not None:
        when = long_date(date.fromisoformat(review[1])) if review[0] == "valueDate" else review[1]
        paragraphs.append(sentence(f"Next review: {when}"))
    paragraphs.append(named_contact(record, refs))
    if not plan.is_sub_plan:
        for a in arrangements_for(plan.episode_id, record):
            until = f" to {long_date(a.end_date)}" if a.end_date else ""
            paragraphs.append(
                sentence(f"Care coordination: {label(a.arrangement)}, from {long_date(a.start_date)}{until}")
            )
        entitlement = section_117_for(plan, record)
        if entitlement is not None:
            paragraphs.append(
                sentence(
                    f"Section 117 after-care since {long_date(entitlement.start_date)}"
                    f" (after detention under section {entitlement.detention_section.value.removeprefix('s').upper()})"
                )
            )
    if plan.planning_exception_statement:
        paragraphs.append(plan.planning_exception_statement)
    if plan.advance_statement_made_on is not None:
        summary = f": {plan.advance_statement_summary}" if plan.advance_statement_summary else ""
        paragraphs.append(sentence(f"Advance statement made on {long_date(plan.advance_statement_made_on)}{summary}"))
    elif plan.advance_statement_offered_on is not None:
        paragraphs.append(
            sentence(
                f"Offered the chance to make an advance statement on {long_date(plan.advance_statement_offered_on)}"
            )
        )
    return paragraphs


def named_contact(record: ServiceUserRecord, refs: Refs) -> str:
    """Whom to contact about the plan: the named lead, in their own role ([001 ¶150] "The
    name and contact details of the care coordinator should be known and available to the
    service user."), or while one is awaited the team's duty worker (004 §3.4)."""
    as_of = refs.context.as_of
    leads = current_leads(record, as_of)
    if leads:
        lead = leads[0]
        assert lead.member_id is not None  # a lead is a member of staff (the source model says so)
        phone = refs.staff[lead.member_id].phone or refs.teams[lead.team_id].phone
        call = f", on {phone}" if phone else ""
        by_default = " (by default, until one is allocated)" if lead.defaulted else ""
        return sentence(f"Named contact: {member_name(lead, refs)}, {role_words(lead)}{by_default}{call}")
    duty = default_contacts(record, as_of)
    team = refs.teams[duty[0].team_id] if duty else None
    call = f" on {team.phone}" if team and team.phone else ""
    awaited = label(awaited_role(record, as_of))
    return sentence(f"Named contact: the team's duty worker{call}, until a {awaited} is allocated")


def _need_heading(need: CarePlanNeed) -> str:
    return f"Need ({label(need.life_area)})" if need.life_area else "Need"


def _need_words(need_status: NeedStatus, reason: str | None) -> str:
    words = {NeedStatus.MET: "met", NeedStatus.PARTLY_MET: "partly met", NeedStatus.UNMET: "not met"}[need_status]
    return words + (f" ({reason})" if reason else "")


# --- resources ------------------------------------------------------------------------


def plan_author(plan: CarePlan, record: ServiceUserRecord, refs: Refs) -> ResourceKey:
    """Who wrote the plan: the member of staff, else the episode's team, else the trust."""
    if plan.author_staff_id is not None:
        return refs.practitioner_role(plan.author_staff_id)
    episode = next((e for e in record.episodes if e.episode_id == plan.episode_id), None)
    return refs.team(episode.team_id) if episode is not None else refs.trust


def care_plan(plan: CarePlan, record: ServiceUserRecord, refs: Refs, *, has_care_team: bool) -> Json:
    key = refs.care_plan(plan.care_plan_id)
    author = plan_author(plan, record, refs)
    contributors = ([refs.patient] if plan.service_user_contributed else []) + [author]
    categories = [concept_of(plan.plan_type)]
    if plan.plan_type in (CarePlanType.PCSP, CarePlanType.WELSH_CTP):
        categories.append(concept(_MENTAL_HEALTH_CARE_PLAN))
    if not plan.is_sub_plan and section_117_for(plan, record) is not None:
        # marks the Section 117 after-care part for readers and consents (fhircare-care-plan-5)
        categories.append(concept(SECTION_117_CATEGORY))
    goals = sorted(
        (g for g in record.goals if g.care_plan_id == plan.care_plan_id), key=lambda g: natural_key(g.goal_id)
    )
    actions = sorted(
        (a for a in record.actions if a.care_plan_id == plan.care_plan_id), key=lambda a: natural_key(a.action_id)
    )
    needs = sorted(
        (n for n in record.needs if n.care_plan_id == plan.care_plan_id), key=lambda n: natural_key(n.need_id)
    )
    items = [f"{_need_heading(n)}: {n.description} — {_need_words(n.status, n.unmet_reason)}" for n in needs]
    items += [f"{a.description} ({who(a.performer_kind, a.performer_id, refs)})" for a in actions]
    return prune(
        {
            "resourceType": "CarePlan",
            "id": key.id,
            "meta": about_service_user("fhircare-care-plan"),
            "text": narrative(*_plan_paragraphs(plan, record, refs), items=items),
            "extension": _plan_extensions(plan, record, refs),
            "identifier": [key.identifier],
            "status": plan.status.value,
            "intent": "plan",
            "category": categories,
            "title": plan.title or label(plan.plan_type).capitalize(),
            "description": plan.description,
            "subject": refs.patient.reference(),
            "period": period(plan.start_date, plan.end_date),
            "created": plan.created_on.isoformat(),
            "author": author.reference(),
            "contributor": [c.reference() for c in dict.fromkeys(contributors)],
            "careTeam": [refs.care_team.reference()] if has_care_team else None,
            "partOf": [refs.care_plan(plan.parent_care_plan_id).reference()] if plan.parent_care_plan_id else None,
            "goal": [refs.goal(g.goal_id).reference() for g in goals],
            "activity": [_activity(a, refs) for a in actions],
        }
    )


def goal(item: Goal, record: ServiceUserRecord, refs: Refs) -> Json:
    key = refs.goal(item.goal_id)
    areas = "; ".join(label(a) for a in item.life_areas)
    target = sentence(f"Aiming for {long_date(item.target_date)}") if item.target_date else None
    achievement = (
        {"coding": [coding(_GOAL_ACHIEVEMENT, item.achievement_status.value)]} if item.achievement_status else None
    )
    return prune(
        {
            "resourceType": "Goal",
            "id": key.id,
            "meta": about_service_user("fhircare-goal"),
            "text": narrative(
                sentence(f"{record.service_user.given_name}'s goal: {item.description}"),
                target,
                sentence(f"Life areas: {areas}"),
            ),
            "identifier": [key.identifier],
            "lifecycleStatus": item.lifecycle_status.value,
            "achievementStatus": achievement,
            "category": [concept_of(a) for a in item.life_areas],
            "description": {"text": item.description},
            "subject": refs.patient.reference(),
            "startDate": item.start_date.isoformat() if item.start_date else None,
            "target": [{"dueDate": item.target_date.isoformat()}] if item.target_date else None,
            "expressedBy": refs.performer(item.expressed_by, item.expressed_by_id).reference(),
        }
    )
