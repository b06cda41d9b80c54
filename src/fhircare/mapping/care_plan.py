"""Care plans (fhircare-care-plan) and their goals (fhircare-goal).

A plan follows the PRSB Personalised Care and Support Plan: its type, the care
coordination arrangement (dated, never defaulted), the needs it addresses (Conditions,
met or not), goals with their life areas, actions saying who does them (service user,
carer, service or partner), the next review, Section 117 after-care, the version it
replaces, what it points to (strengths and what matters, the advance statement, the risk
assessment, medication partners must know about), and the consents and copies that
govern who has it. Crisis, contingency and safety plans are plans of their own,
``partOf`` the main plan (DD-13): what to look out for and what helps are information
they point to, not actions; their contacts are the activities, each saying when to use
it, a service among them that answers out of hours.
"""

from __future__ import annotations

from datetime import date

from fhircare.mapping.care_team import awaited_role, current_leads, default_contacts, member_name, role_words
from fhircare.mapping.clinical import latest_risk_assessment, partner_medications
from fhircare.mapping.context import ResourceKey
from fhircare.mapping.crisis import advance_statement_plan
from fhircare.mapping.fhir import (
    SNOMED_CT,
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    coding,
    concept,
    concept_of,
    extension,
    period,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import ADDITIONAL, GENERATED, long_date, narrative, natural_key, sentence
from fhircare.mapping.needs import need_words
from fhircare.mapping.people import who
from fhircare.mapping.plan_extensions import (
    SECTION_117_CATEGORY,
    arrangements_for,
    ctp_areas_of,
    next_review,
    plan_extensions,
    section_117_for,
)
from fhircare.mapping.refs import Refs
from fhircare.mapping.services import service_words
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan, CarePlanAction, Goal
from fhircare.source.codes import CarePlanStatus, CarePlanType, ContactWhen, CrisisContingencyContent
from fhircare.source.local_codes import PerformerKind

_GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
#: every main plan is also a mental health care plan (SNOMED CT 718347000)
_MENTAL_HEALTH_CARE_PLAN = coding(SNOMED_CT, "718347000")
#: plans a crisis-time reader needs: they point to the risk assessment and medication too
_CRISIS_TIME = (CarePlanType.CRISIS_PLAN, CarePlanType.SAFETY_PLAN)

__all__ = ["SECTION_117_CATEGORY", "care_plan", "goal", "named_contact", "plan_author", "supporting_info"]


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
    extensions = []
    if action.section_117:
        extensions.append(extension(STRUCTURE_DEFINITION + "section-117-activity", valueBoolean=True))
    if action.contact_when is not None:
        extensions.append(
            extension(STRUCTURE_DEFINITION + "contact-when", valueCodeableConcept=concept(code(action.contact_when)))
        )
    return prune({"extension": extensions, "detail": prune(detail)})


def plan_actions(plan: CarePlan, record: ServiceUserRecord) -> list[CarePlanAction]:
    """The plan's actions (what to look out for and what helps are not actions)."""
    chosen = [a for a in record.actions if a.care_plan_id == plan.care_plan_id and not a.is_look_out_for]
    return sorted(chosen, key=lambda a: natural_key(a.action_id))


def look_out_for(plan: CarePlan, record: ServiceUserRecord) -> list[CarePlanAction]:
    """Its triggers, early warning signs and what helps (Observations the plan points to)."""
    chosen = [a for a in record.actions if a.care_plan_id == plan.care_plan_id and a.is_look_out_for]
    return sorted(chosen, key=lambda a: natural_key(a.action_id))


# --- what the plan points to ------------------------------------------------------------


def supporting_info(plan: CarePlan, record: ServiceUserRecord, refs: Refs) -> list[ResourceKey]:
    """What the plan points to, in the order a reader needs it: what to look out for and
    what helps, what the service user says about themselves, the advance statement, and
    (for the main plan and a crisis or safety plan) the latest risk assessment and the
    medication a partner must know about."""
    keys = [refs.crisis_information(a.action_id) for a in look_out_for(plan, record)]
    statements = sorted(
        (s for s in record.statements if s.care_plan_id == plan.care_plan_id), key=lambda s: natural_key(s.statement_id)
    )
    keys += [refs.statement(s.statement_id) for s in statements]
    holder = advance_statement_plan(plan, record)
    if holder is not None:
        keys.append(refs.advance_statement(holder.care_plan_id))
    if not plan.is_sub_plan or plan.plan_type in _CRISIS_TIME:
        risk = latest_risk_assessment(record)
        if risk is not None:
            keys.append(refs.risk_assessment(risk.risk_assessment_id))
        keys += [refs.medication(m.medication_id) for m in partner_medications(record)]
    return keys


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
    if plan.replaces_care_plan_id is not None:
        old = refs.care_plans[plan.replaces_care_plan_id]
        paragraphs.append(sentence(f"It replaces version {old.version}, from {long_date(old.start_date)}"))
    review = next_review(plan, record)
    # a plan that has ended is not reviewed again: its next-review date is history, not
    # something to plan for (it stays in the plan's extension, as the trust recorded it)
    if review is not None and not has_ended(plan, refs.context.as_of):
        when = long_date(date.fromisoformat(review[1])) if review[0] == "valueDate" else review[1]
        # a review date passed without a review: partners act on the plan as current, so the
        # plan says it may not be (H09, R-07: a plan is reviewed at least every 12 months)
        overdue = review[0] == "valueDate" and date.fromisoformat(review[1]) < refs.context.as_of
        paragraphs.append(
            sentence(f"Next review: {when}" + (" (overdue: this plan may not be current)" if overdue else ""))
        )
    paragraphs.append(named_contact(record, refs, plan))
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
    holder = advance_statement_plan(plan, record)
    if holder is not None and holder.advance_statement_made_on is not None:
        summary = f": {holder.advance_statement_summary}" if holder.advance_statement_summary else ""
        paragraphs.append(sentence(f"Advance statement made on {long_date(holder.advance_statement_made_on)}{summary}"))
    elif plan.advance_statement_offered_on is not None:
        paragraphs.append(
            sentence(
                f"Offered the chance to make an advance statement on {long_date(plan.advance_statement_offered_on)}"
            )
        )
    return paragraphs


def has_ended(plan: CarePlan, as_of: date) -> bool:
    """Completed or revoked, or past its end date."""
    return plan.status in (CarePlanStatus.COMPLETED, CarePlanStatus.REVOKED) or (
        plan.end_date is not None and plan.end_date < as_of
    )


def named_contact(record: ServiceUserRecord, refs: Refs, plan: CarePlan | None = None) -> str:
    """Whom to contact about the plan: the named lead, in their own role ([001 ¶150] "The
    name and contact details of the care coordinator should be known and available to the
    service user."), or while one is awaited the team's duty worker (004 §3.4). Of a plan
    that has ended, the lead on its last day, said as such: a discharged service user's
    closed plan is not waiting for a lead to be allocated."""
    as_of = refs.context.as_of
    ended = plan is not None and has_ended(plan, as_of)
    day = min(as_of, plan.end_date) if plan is not None and plan.end_date is not None else as_of
    leads = current_leads(record, day)
    if leads:
        lead = leads[0]
        assert lead.member_id is not None  # a lead is a member of staff (the source model says so)
        phone = refs.staff[lead.member_id].phone or refs.teams[lead.team_id].phone
        call = f", on {phone}" if phone else ""
        by_default = " (by default, until one is allocated)" if lead.defaulted and not ended else ""
        heading = "Named contact"
        if ended:
            # the day it ended is not known without an end date: the lead named is today's
            known = plan is not None and plan.end_date is not None
            heading = "Named contact when the plan ended" if known else "The plan has ended; named contact now"
        return sentence(f"{heading}: {member_name(lead, refs)}, {role_words(lead)}{by_default}{call}")
    if ended:
        return sentence("The plan has ended, and no named lead is recorded for it")
    duty = default_contacts(record, as_of)
    team = refs.teams[duty[0].team_id] if duty else None
    call = f" on {team.phone}" if team and team.phone else ""
    awaited = label(awaited_role(record, as_of))
    return sentence(f"Named contact: the team's duty worker{call}, until a {awaited} is allocated")


def _action_words(action: CarePlanAction, refs: Refs) -> str:
    if action.performer_kind is PerformerKind.SERVICE:
        assert action.performer_id is not None
        return f"{action.description} ({service_words(refs.services[action.performer_id])})"
    return f"{action.description} ({who(action.performer_kind, action.performer_id, refs)})"


def _items(plan: CarePlan, record: ServiceUserRecord, refs: Refs) -> list[str]:
    needs = sorted(
        (n for n in record.needs if n.care_plan_id == plan.care_plan_id), key=lambda n: natural_key(n.need_id)
    )
    items = [need_words(n) for n in needs]
    # what a carer who asked that it be kept from the service user noticed is in its own
    # Observation, labelled withheld (supportingInfo); the plan, which the service user is
    # given, does not repeat it (DE-178)
    items += [
        f"{label(a.content).capitalize()}: {a.description}"
        for a in look_out_for(plan, record)
        if a.content and not refs.told_by_withholding_carer(a.performer_kind, a.performer_id)
    ]
    # whom to contact first, in the order of the day (office hours, out of hours, any time)
    order = {ContactWhen.OFFICE_HOURS: 0, ContactWhen.OUT_OF_HOURS: 1, ContactWhen.ANY_TIME: 2, None: 3}
    actions = sorted(
        plan_actions(plan, record),
        key=lambda a: (a.content is not CrisisContingencyContent.CRISIS_CONTACT, order[a.contact_when]),
    )
    items += [_action_words(a, refs) for a in actions]
    for area in ctp_areas_of(plan, record):
        if not area.considered:
            items.append(f"{label(area.area).capitalize()}: not yet considered")
        else:
            action = "action needed" if area.action_needed else "considered, no action needed"
            items.append(f"{label(area.area).capitalize()} ({action}): {area.outcome}")
    return items


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
    needs = sorted(
        (n for n in record.needs if n.care_plan_id == plan.care_plan_id), key=lambda n: natural_key(n.need_id)
    )
    return prune(
        {
            "resourceType": "CarePlan",
            "id": key.id,
            "meta": about_service_user("fhircare-care-plan"),
            # the named contact's number and the contacts' hours are other resources'
            "text": narrative(
                *_plan_paragraphs(plan, record, refs), items=_items(plan, record, refs), status=ADDITIONAL
            ),
            "extension": plan_extensions(plan, record, refs),
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
            "replaces": [refs.care_plan(plan.replaces_care_plan_id).reference()]
            if plan.replaces_care_plan_id
            else None,
            "partOf": [refs.care_plan(plan.parent_care_plan_id).reference()] if plan.parent_care_plan_id else None,
            "addresses": [refs.need(n.need_id).reference() for n in needs],
            "supportingInfo": [
                {"reference": k.full_url, "type": k.resource_type} for k in supporting_info(plan, record, refs)
            ],
            "goal": [refs.goal(g.goal_id).reference() for g in goals],
            "activity": [_activity(a, refs) for a in plan_actions(plan, record)],
        }
    )


def goal(item: Goal, record: ServiceUserRecord, refs: Refs) -> Json:
    key = refs.goal(item.goal_id)
    areas = "; ".join(label(a) for a in item.life_areas)
    target = sentence(f"Aiming for {long_date(item.target_date)}") if item.target_date else None
    achievement = concept(coding(_GOAL_ACHIEVEMENT, item.achievement_status.value)) if item.achievement_status else None
    came_from = None
    addresses = None
    if item.dialog_assessment_id is not None and item.dialog_item is not None:
        came_from = sentence(f"It came from wanting more help with {label(item.dialog_item)} in DIALOG")
        addresses = [refs.dialog_item(item.dialog_assessment_id, item.dialog_item.value).reference()]
    return prune(
        {
            "resourceType": "Goal",
            "id": key.id,
            "meta": about_service_user(
                "fhircare-goal", withheld=refs.told_by_withholding_carer(item.expressed_by, item.expressed_by_id)
            ),
            "text": narrative(
                sentence(f"{record.service_user.given_name}'s goal: {item.description}"),
                target,
                sentence(f"Life areas: {areas}"),
                came_from,
                status=GENERATED,
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
            "addresses": addresses,
        }
    )
