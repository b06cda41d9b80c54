"""Sharing decisions (fhircare-consent) and the record-keeping evidence behind them and
behind plans (fhircare-provenance).

One Consent per decision (DD-16): the service user's permit or refusal to disclose to a
named carer, a named organisation or every partner of some types, optionally scoped to
one plan; or a carer's own decision about having their details recorded. R4 Consent has
no note, so the rationale of a refusal or an override is a Provenance (004 §3.14).
"""

from __future__ import annotations

from datetime import date, datetime, time

from fhircare.mapping.context import ResourceKey
from fhircare.mapping.fhir import (
    CODE_SYSTEM,
    STRUCTURE_DEFINITION,
    Json,
    code,
    coding,
    concept,
    extension,
    fhir_datetime,
    meta,
    period,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import listing, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.care_plan import CarePlan
from fhircare.source.carers import CarerInformation, ConsentDecision
from fhircare.source.local_codes import ConsentDecider, ConsentDecisionType, ConsentKind, PerformerKind

_CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
_DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_RECORD_ACTIVITY = CODE_SYSTEM + "record-activity"

#: a recipient of disclosure (v3 ParticipationType IRCP), as the profile fixes it
_RECIPIENT_ROLE = concept(coding(_PARTICIPATION, "IRCP"))


def _performer(decision: ConsentDecision, refs: Refs) -> ResourceKey:
    if decision.decided_by is ConsentDecider.CONTACT:
        assert decision.decided_by_contact_id is not None
        return refs.contact(decision.decided_by_contact_id)
    if decision.decided_by is ConsentDecider.BEST_INTERESTS:
        assert decision.decided_by_staff_id is not None  # the source model requires it
        return refs.practitioner_role(decision.decided_by_staff_id)
    return refs.patient


def _provision(decision: ConsentDecision, refs: Refs) -> Json:
    if decision.kind is ConsentKind.COLLECTION:
        # a carer's decision about the trust keeping a record of their own details
        assert decision.decided_by_contact_id is not None
        actors = [{"role": _RECIPIENT_ROLE, "reference": refs.trust.reference()}]
        data = [{"meaning": "instance", "reference": refs.contact(decision.decided_by_contact_id).reference()}]
        action = "collect"
    else:
        actors = []
        if decision.recipient_contact_id is not None:
            actors.append(
                {"role": _RECIPIENT_ROLE, "reference": refs.contact(decision.recipient_contact_id).reference()}
            )
        if decision.recipient_organisation_id is not None:
            recipient = refs.organisation(decision.recipient_organisation_id)
            actors.append({"role": _RECIPIENT_ROLE, "reference": recipient.reference()})
        # a plan and the plans that are part of it ("related")
        plan = decision.care_plan_id
        data = [{"meaning": "related", "reference": refs.care_plan(plan).reference()}] if plan else []
        action = "disclose"
    types = [
        extension(STRUCTURE_DEFINITION + "partner-organisation-type", valueCodeableConcept=concept(code(t)))
        for t in decision.recipient_partner_types
    ]
    return prune(
        {
            "extension": types,
            "type": decision.decision.value,
            "period": period(decision.decided_at.date(), decision.end_date),
            "actor": actors,
            "action": [concept(coding(_CONSENT_ACTION, action))],
            "data": data,
        }
    )


def _recipient_words(decision: ConsentDecision, refs: Refs) -> str:
    if decision.recipient_contact_id is not None:
        return who(PerformerKind.CARER, decision.recipient_contact_id, refs)
    if decision.recipient_organisation_id is not None:
        return who(PerformerKind.PARTNER_ORGANISATION, decision.recipient_organisation_id, refs)
    return listing(label(t).removeprefix("a ").removeprefix("an ") + "s" for t in decision.recipient_partner_types)


def _consent_words(decision: ConsentDecision, refs: Refs) -> str:
    when = long_date(decision.decided_at)
    su = refs.record.service_user.given_name
    if decision.kind is ConsentKind.COLLECTION:
        carer = who(PerformerKind.CARER, decision.decided_by_contact_id, refs)
        verb = "agreed" if decision.decision is ConsentDecisionType.PERMIT else "did not agree"
        return sentence(f"On {when} {carer} {verb} that the trust may keep a record of their details as {su}'s carer")
    decider = (
        su
        if decision.decided_by is ConsentDecider.SERVICE_USER
        else who(
            PerformerKind.CARER if decision.decided_by is ConsentDecider.CONTACT else PerformerKind.STAFF,
            decision.decided_by_contact_id or decision.decided_by_staff_id,
            refs,
        )
    )
    what = "their care plans" if decision.care_plan_id is None else "this care plan"
    verb = "agreed that" if decision.decision is ConsentDecisionType.PERMIT else "did not agree that"
    best = " in their best interests" if decision.decided_by is ConsentDecider.BEST_INTERESTS else ""
    until = f", until {long_date(decision.end_date)}" if decision.end_date else ""
    return sentence(
        f"On {when} {decider} {verb} {what} may be shared with {_recipient_words(decision, refs)}{best}{until}"
    )


def consent(decision: ConsentDecision, refs: Refs) -> Json:
    key = refs.consent(decision.consent_id)
    ended = decision.end_date is not None and decision.end_date < refs.context.as_of
    category = "ICOL" if decision.kind is ConsentKind.COLLECTION else "IDSCL"
    return {
        "resourceType": "Consent",
        "id": key.id,
        "meta": meta("fhircare-consent"),
        "text": narrative(_consent_words(decision, refs)),
        "identifier": [key.identifier],
        "status": "inactive" if ended else "active",
        "scope": concept(coding(_CONSENT_SCOPE, "patient-privacy")),
        "category": [concept(coding(_ACT_CODE, category))],
        "patient": refs.patient.reference(),
        "dateTime": fhir_datetime(decision.decided_at),
        "performer": [_performer(decision, refs).reference()],
        "organization": [refs.trust.reference()],
        "policy": [{"uri": refs.context.consent_policy_uri}],
        "provision": _provision(decision, refs),
    }


# --- Provenance ---------------------------------------------------------------------


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
    carer_confidential: bool = False,
) -> Json:
    return prune(
        {
            "resourceType": "Provenance",
            "id": key.id,
            "meta": meta("fhircare-provenance", carer_confidential=carer_confidential),
            "text": narrative(words),
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
    target = refs.consent(decision.consent_id)
    return _provenance(
        refs.context.key("Provenance", "provenance", f"{activity}|{decision.consent_id}"),
        activity=activity,
        target=target,
        occurred=decision.decided_at,
        recorded=decision.decided_at,
        agents=[_agent("author", refs.trust)],
        words=sentence(f"{what} recorded with its rationale on {long_date(decision.decided_at)}"),
        reason=decision.rationale,
    )


def carer_information_provenance(information: CarerInformation, refs: Refs) -> Json:
    """What a carer told the team, whoever's permission (IS-12); labelled when the carer
    asked that it is not passed to the service user (IS-13)."""
    carer = refs.contact(information.contact_id)
    agents = [_agent("informant", carer)]
    if information.recorded_by_staff_id is not None:
        agents.append(_agent("author", refs.practitioner_role(information.recorded_by_staff_id), refs.trust))
    else:
        agents.append(_agent("author", refs.trust))
    su = refs.record.service_user.given_name
    withheld = f" They asked that this is not passed on to {su}." if information.withhold_from_service_user else ""
    words = (
        f"On {long_date(information.received_at)} {who(PerformerKind.CARER, information.contact_id, refs)}"
        f" told the team: {information.summary}{withheld}"
    )
    return _provenance(
        refs.context.key("Provenance", "carer_information", information.carer_information_id),
        activity="carer-provided-information",
        target=carer,
        occurred=information.received_at,
        recorded=information.received_at,
        agents=agents,
        words=words,
        carer_confidential=information.withhold_from_service_user,
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
