"""The record-keeping evidence the policies ask for (fhircare-provenance): the rationale
of a refusal or of a confidence broken (R4 Consent has no note, 004 §3.14), who recorded
what a carer told the team, and that a plan was agreed."""

from __future__ import annotations

from datetime import date, datetime, time

from fhircare.mapping.context import ResourceKey
from fhircare.mapping.fhir import CODE_SYSTEM, Json, about_service_user, coding, concept, fhir_datetime, prune
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.care_plan import CarePlan
from fhircare.source.carers import CarerInformation, ConsentDecision
from fhircare.source.local_codes import ConsentDecisionType, PerformerKind

_DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_RECORD_ACTIVITY = CODE_SYSTEM + "record-activity"


def _agent(kind: str, who_key: ResourceKey, on_behalf_of: ResourceKey | None = None) -> Json:
    return prune(
        {
            "type": concept(coding(_PARTICIPANT_TYPE, kind)),
            "who": who_key.reference(),
            "onBehalfOf": on_behalf_of.reference() if on_behalf_of else None,
        }
    )


def _provenance(
    key: ResourceKey,
    *,
    activity: str,
    target: ResourceKey,
    occurred: datetime | date,
    recorded: datetime,
    agents: list[Json],
    words: str,
    reason: str | None = None,
    withheld: bool = False,
) -> Json:
    return prune(
        {
            "resourceType": "Provenance",
            "id": key.id,
            "meta": about_service_user("fhircare-provenance", withheld=withheld),
            "text": narrative(words, status=GENERATED),
            "target": [target.reference()],
            "occurredDateTime": fhir_datetime(occurred),
            "recorded": fhir_datetime(recorded),
            "reason": [{"text": reason}] if reason else None,
            "activity": concept(coding(_DATA_OPERATION, "CREATE"), coding(_RECORD_ACTIVITY, activity)),
            "agent": agents,
        }
    )


def decision_provenance(decision: ConsentDecision, refs: Refs) -> Json | None:
    """The rationale of a confidence broken or of a refusal (004 §3.14), if there is one."""
    if decision.rationale is None:
        return None
    if decision.override:
        activity, what = "confidentiality-override", "Confidence broken"
    elif decision.decision is ConsentDecisionType.DENY:
        activity, what = "consent-refusal", "Refusal"
    else:
        return None
    staff = decision.decided_by_staff_id
    author = _agent("author", refs.practitioner_role(staff), refs.trust) if staff else _agent("author", refs.trust)
    return _provenance(
        refs.context.key("Provenance", "provenance", f"{activity}|{decision.consent_id}"),
        activity=activity,
        target=refs.consent(decision.consent_id),
        occurred=decision.decided_at,
        recorded=decision.decided_at,
        agents=[author],
        words=sentence(f"{what} recorded with its rationale on {long_date(decision.decided_at)}"),
        reason=decision.rationale,
    )


def carer_information_provenance(information: CarerInformation, refs: Refs) -> Json:
    """Who told the team and who recorded it (the information itself is a Communication),
    labelled like the information when the carer asked that it is withheld (IS-13)."""
    carer = refs.contact(information.contact_id)
    agents = [_agent("informant", carer)]
    if information.recorded_by_staff_id is not None:
        agents.append(_agent("author", refs.practitioner_role(information.recorded_by_staff_id), refs.trust))
    else:
        agents.append(_agent("author", refs.trust))
    carer_name = who(PerformerKind.CARER, information.contact_id, refs)
    return _provenance(
        refs.context.key("Provenance", "carer_information", information.carer_information_id),
        activity="carer-provided-information",
        target=refs.carer_information(information.carer_information_id),
        occurred=information.received_at,
        recorded=information.received_at,
        agents=agents,
        words=sentence(f"Information given by {carer_name} on {long_date(information.received_at)}, recorded"),
        withheld=information.withhold_from_service_user,
    )


def plan_agreed_provenance(plan: CarePlan, author: ResourceKey, refs: Refs) -> Json | None:
    """The plan was agreed (001 ¶90), with the service user when they took part."""
    if plan.agreed_on is None:
        return None
    agents = [_agent("author", author)]
    if plan.service_user_contributed:
        agents.append(_agent("attester", refs.patient))
    # the day is all the record says: recorded as the start of that day, trust time
    recorded = datetime.combine(plan.agreed_on, time(0), tzinfo=refs.context.timezone)
    with_whom = f" with {refs.record.service_user.given_name}" if plan.service_user_contributed else ""
    return _provenance(
        refs.context.key("Provenance", "plan_agreed", plan.care_plan_id),
        activity="plan-agreed",
        target=refs.care_plan(plan.care_plan_id),
        occurred=plan.agreed_on,
        recorded=recorded,
        agents=agents,
        words=sentence(f"{label(plan.plan_type).capitalize()} agreed on {long_date(plan.agreed_on)}{with_whom}"),
    )
