"""What a crisis plan points to, and how urgent care finds it.

- What to look out for and what helps (fhircare-crisis-plan-information): each trigger,
  early warning sign and coping strategy of a crisis, contingency or safety plan is an
  Observation the plan points to (supportingInfo): information about the person, in the
  plan's words, with who noticed it; not an activity somebody performs.
- The advance statement (fhircare-advance-statement): made when, and its key components
  ([000 §3.3.6]); not legally binding, but considered in best-interests decisions.
- The pointer (fhircare-crisis-plan-pointer): a DocumentReference in the style of the
  National Record Locator, typed 736253002 (mental health crisis plan) or
  325691000000100 (contingency plan), with the NHS number, so that an urgent-care system
  that knows only the NHS number finds the plan and fetches it ([001 ¶177]).
"""

from __future__ import annotations

from fhircare.mapping.context import ResourceKey
from fhircare.mapping.fhir import SNOMED_CT, Json, about_service_user, code, coding, concept, prune
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import NHS_NUMBER, who
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan, CarePlanAction
from fhircare.source.codes import CarePlanStatus, CarePlanType
from fhircare.source.local_codes import PerformerKind

ADVANCE_STATEMENT = "816281000000101"
_CARE_PLAN_CATEGORY = "734163000"
#: the National Record Locator record type of each plan an urgent-care system looks for;
#: a safety plan made while waiting for a key worker is that person's crisis plan
POINTER_TYPE = {
    CarePlanType.CRISIS_PLAN: "736253002",
    CarePlanType.SAFETY_PLAN: "736253002",
    CarePlanType.CONTINGENCY_PLAN: "325691000000100",
}
#: a plan still in force: its pointer is current (a draft is not published as the plan, EC-74)
_IN_FORCE = (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)


def crisis_information(action: CarePlanAction, plan: CarePlan, refs: Refs) -> Json:
    """A trigger, early warning sign or what helps, from one row of the plan."""
    assert action.content is not None
    key = refs.crisis_information(action.action_id)
    noticed = refs.performer(action.performer_kind, action.performer_id)
    by = (
        ""
        if action.performer_kind is PerformerKind.SERVICE_USER
        else f" (noticed by {who(action.performer_kind, action.performer_id, refs)})"
    )
    return {
        "resourceType": "Observation",
        "id": key.id,
        "meta": about_service_user(
            "fhircare-crisis-plan-information",
            withheld=refs.told_by_withholding_carer(action.performer_kind, action.performer_id),
        ),
        "text": narrative(
            sentence(f"{label(action.content).capitalize()}{by}: {action.description}"),
            status=GENERATED,
        ),
        "identifier": [key.identifier],
        "status": "final",
        "code": concept(code(action.content)),
        "subject": refs.patient.reference(),
        "effectiveDateTime": (plan.agreed_on or plan.created_on).isoformat(),
        "performer": [noticed.reference()],
        "valueString": action.description,
    }


def advance_statement_plan(plan: CarePlan, record: ServiceUserRecord) -> CarePlan | None:
    """The plan whose record holds the advance statement this plan must point to: its own,
    or (for a crisis plan) the main plan's."""
    if plan.advance_statement_made_on is not None:
        return plan
    parent = next((p for p in record.care_plans if p.care_plan_id == plan.parent_care_plan_id), None)
    return parent if parent is not None and parent.advance_statement_made_on is not None else None


def advance_statement(plan: CarePlan, refs: Refs) -> Json:
    assert plan.advance_statement_made_on is not None
    key = refs.advance_statement(plan.care_plan_id)
    su = refs.record.service_user.given_name
    summary = f": {plan.advance_statement_summary}" if plan.advance_statement_summary else ""
    return prune(
        {
            "resourceType": "Observation",
            "id": key.id,
            "meta": about_service_user("fhircare-advance-statement"),
            "text": narrative(
                sentence(f"{su} made an advance statement on {long_date(plan.advance_statement_made_on)}{summary}"),
                "Not legally binding, but to be considered in any best-interests decision.",
                status=GENERATED,
            ),
            "identifier": [key.identifier],
            "status": "final",
            "code": concept(coding(SNOMED_CT, ADVANCE_STATEMENT)),
            "subject": refs.patient.reference(),
            "effectiveDateTime": plan.advance_statement_made_on.isoformat(),
            "performer": [refs.patient.reference()],
            "valueString": plan.advance_statement_summary,
        }
    )


def crisis_plan_pointer(plan: CarePlan, author: ResourceKey, refs: Refs) -> Json | None:
    """Where urgent care finds the plan: None for a plan that is not a crisis, contingency
    or safety plan, or is still a draft."""
    record_type = POINTER_TYPE.get(plan.plan_type)
    if record_type is None or plan.status is CarePlanStatus.DRAFT:
        return None
    key = refs.crisis_plan_pointer(plan.care_plan_id)
    target = refs.care_plan(plan.care_plan_id)
    su = refs.record.service_user
    subject = refs.patient.reference()
    if su.nhs_number is not None:
        subject["identifier"] = {"system": NHS_NUMBER, "value": su.nhs_number}
    current = plan.status in _IN_FORCE
    status = (
        "current" if current else "entered-in-error" if plan.status is CarePlanStatus.ENTERED_IN_ERROR else "superseded"
    )
    kind = coding(SNOMED_CT, record_type)
    when = (
        f"current since {long_date(plan.start_date)}"
        if current
        else f"no longer in force ({plan.status.value.replace('-', ' ')})"
    )
    number = f" (NHS number {su.nhs_number})" if su.nhs_number else ""
    return prune(
        {
            "resourceType": "DocumentReference",
            "id": key.id,
            "meta": about_service_user("fhircare-crisis-plan-pointer"),
            "text": narrative(
                sentence(
                    f"{su.given_name} {su.family_name}'s {label(plan.plan_type)}{number},"
                    f" held by {refs.context.trust_name}: {when}"
                ),
                status=GENERATED,
            ),
            "masterIdentifier": target.identifier,
            "identifier": [key.identifier],
            "status": status,
            "docStatus": "final",
            "type": concept(kind),
            "category": [concept(coding(SNOMED_CT, _CARE_PLAN_CATEGORY))],
            "subject": subject,
            "date": _instant(plan),
            "author": [author.reference()],
            "custodian": refs.trust.reference(),
            "content": [
                {
                    "attachment": {
                        "contentType": "application/fhir+json",
                        "url": f"CarePlan?identifier={target.system}|{target.value}",
                        "title": plan.title or label(plan.plan_type).capitalize(),
                        "creation": plan.created_on.isoformat(),
                    }
                }
            ],
            "context": {"related": [target.reference()]},
        }
    )


def _instant(plan: CarePlan) -> str:
    """DocumentReference.date is an instant: the start of the day the plan was last
    updated (all the record says), in UTC."""
    return f"{(plan.agreed_on or plan.created_on).isoformat()}T00:00:00Z"
