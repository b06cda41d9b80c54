"""Flags on the service user (fhircare-flag): "do not involve or contact" for every person
the service user does not want involved, and "decision needed" when that person is their
nearest relative under the Mental Health Act 1983.

A Flag is what GP, urgent-care and shared-record systems show on the patient's banner, so
the do-not-involve marker is a Flag on the Patient ([004 §3.14] "staff must also record
... any people identified that service user's do not want involved in their care"), with
the person named in ``code.text`` for systems that show only that, and labelled normal
(v3 Confidentiality N): whoever may see the service user at all must see it. The person
and the refusal are linked with the core ``flag-detail`` extension.

A nearest relative has rights the service user's wish alone does not remove, so that
case is flagged for a human decision (EC-44) rather than resolved here.

A reasonable adjustment the service user needs (DE-002, DE-004) is the Core Information
Standard's reasonable adjustment flag (SNOMED CT 1108111000000107), one per adjustment: the
adjustment in the trust's words as ``code.text`` (what systems that show only text show),
its kind among the categories when the trust codes it, and the condition it is for in the
``reasonable-adjustment-condition`` extension. Labelled restricted like the rest of the
mental health record (it may name an impairment); who sees it is the partner policy's
(api/policy_table.py). Its words are personal data, never logged.
"""

from __future__ import annotations

from fhircare.mapping.fhir import (
    CODE_SYSTEM,
    IDENTITY_LABELS,
    SNOMED_CT,
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    coding,
    concept,
    display,
    extension,
    meta,
    period,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import EXTENSIONS, GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import do_not_involve_consent, full_name
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.carers import Contact
from fhircare.source.codes import ContactRole
from fhircare.source.service_user import ReasonableAdjustment

FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_CODE = CODE_SYSTEM + "flag-code"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
DO_NOT_INVOLVE = "do-not-involve"
NEAREST_RELATIVE_NOT_INVOLVED = "nearest-relative-not-involved"
#: the Core Information Standard's reasonable adjustment flag (standards.md §2.2)
REASONABLE_ADJUSTMENT_FLAG = "1108111000000107"
REASONABLE_ADJUSTMENT = CODE_SYSTEM + "reasonable-adjustment"
REASONABLE_ADJUSTMENT_CONDITION = STRUCTURE_DEFINITION + "reasonable-adjustment-condition"


def _person(contact: Contact, su_name: str) -> str:
    """``Lee Sample (Alex's father)``; a person known only by relationship as such."""
    kin = f"{su_name}'s {label(contact.relationship)}"
    if contact.family_name is None:
        return kin
    return f"{full_name(contact.given_name, contact.family_name)} ({kin})"


def not_involved(record: ServiceUserRecord) -> list[Contact]:
    """The people the service user does not want involved, in id order."""
    return sorted((c for c in record.contacts if c.do_not_involve), key=lambda c: c.contact_id)


def _details(contact: Contact, record: ServiceUserRecord, refs: Refs) -> list[Json]:
    details = [extension(FLAG_DETAIL, valueReference=refs.contact(contact.contact_id).reference())]
    deny = do_not_involve_consent(contact, record)
    if deny is not None:
        details.append(extension(FLAG_DETAIL, valueReference=refs.consent(deny).reference()))
    return details


def do_not_involve_flag(contact: Contact, record: ServiceUserRecord, refs: Refs) -> Json:
    """The banner flag: do not involve or contact this person."""
    assert contact.do_not_involve_recorded_at is not None  # the source model requires it with the flag
    key = refs.flag(DO_NOT_INVOLVE, contact.contact_id)
    su = record.service_user.given_name
    person = _person(contact, su)
    shown = f"Do not involve or contact {person} about {su}'s care"
    recorded = long_date(contact.do_not_involve_recorded_at)
    return prune(
        {
            "resourceType": "Flag",
            "id": key.id,
            "meta": meta("fhircare-flag", IDENTITY_LABELS),
            "text": narrative(
                sentence(f"{shown}, and share no information with them"),
                sentence(f"{su} asked for this; recorded on {recorded}"),
                status=GENERATED,
            ),
            "extension": _details(contact, record, refs),
            "identifier": [key.identifier],
            "status": "active",
            "category": [concept(coding(FLAG_CATEGORY, "contact"))],
            "code": concept(coding(FLAG_CODE, DO_NOT_INVOLVE), text=shown),
            "subject": refs.patient.reference(),
            "period": period(contact.do_not_involve_recorded_at),
            "author": refs.trust.reference(),
        }
    )


def nearest_relative_flag(contact: Contact, record: ServiceUserRecord, refs: Refs) -> Json | None:
    """For a nearest relative the service user does not want involved: a decision is
    needed, because their rights under the Act do not end with the service user's wish."""
    if ContactRole.NEAREST_RELATIVE not in contact.roles or contact.do_not_involve_recorded_at is None:
        return None
    key = refs.flag(NEAREST_RELATIVE_NOT_INVOLVED, contact.contact_id)
    su = record.service_user.given_name
    shown = (
        f"Decision needed: {_person(contact, su)} is {su}'s nearest relative under the Mental Health Act 1983"
        f" but {su} does not want them involved"
    )
    return prune(
        {
            "resourceType": "Flag",
            "id": key.id,
            "meta": about_service_user("fhircare-flag"),
            "text": narrative(
                sentence(shown),
                "The care team must decide, with an approved mental health professional where the Act is used,"
                " how the nearest relative's rights are met; nothing here resolves it.",
                status=GENERATED,
            ),
            "extension": _details(contact, record, refs),
            "identifier": [key.identifier],
            "status": "active",
            "category": [concept(coding(FLAG_CATEGORY, "admin"))],
            "code": concept(coding(FLAG_CODE, NEAREST_RELATIVE_NOT_INVOLVED), text=shown),
            "subject": refs.patient.reference(),
            "period": period(contact.do_not_involve_recorded_at),
            "author": refs.trust.reference(),
        }
    )


def reasonable_adjustment_flag(adjustment: ReasonableAdjustment, record: ServiceUserRecord, refs: Refs) -> Json:
    """One reasonable adjustment on the service user: active from when it was recorded
    until it no longer applies."""
    key = refs.reasonable_adjustment(adjustment.reasonable_adjustment_id)
    kind = adjustment.adjustment_code
    kind_words = display(REASONABLE_ADJUSTMENT, kind.value) if kind is not None else None
    words = adjustment.adjustment or kind_words
    assert words is not None  # the source model requires the words or a code
    shown = f"Reasonable adjustment{f' for {adjustment.condition}' if adjustment.condition else ''}: {words}"
    ended = adjustment.end_date is not None and adjustment.end_date < refs.context.as_of
    until = f"; needed until {long_date(adjustment.end_date)}" if adjustment.end_date else ""
    categories = [concept(coding(FLAG_CATEGORY, "contact"))]
    if kind is not None:
        categories.append(concept(coding(REASONABLE_ADJUSTMENT, kind.value)))
    condition = adjustment.condition
    return prune(
        {
            "resourceType": "Flag",
            "id": key.id,
            "meta": about_service_user("fhircare-flag"),
            "text": narrative(
                sentence(shown),
                # the kind's words, when the adjustment's own words say something else
                sentence(kind_words) if kind_words and adjustment.adjustment else None,
                sentence(f"Recorded on {long_date(adjustment.start_date)}{until}"),
                f"{record.service_user.given_name} no longer needs this." if ended else None,
                status=EXTENSIONS if condition else GENERATED,
            ),
            "extension": [extension(REASONABLE_ADJUSTMENT_CONDITION, valueString=condition)] if condition else None,
            "identifier": [key.identifier],
            "status": "inactive" if ended else "active",
            "category": categories,
            "code": concept(coding(SNOMED_CT, REASONABLE_ADJUSTMENT_FLAG), text=shown),
            "subject": refs.patient.reference(),
            "period": period(adjustment.start_date, adjustment.end_date),
            "author": refs.trust.reference(),
        }
    )
