"""Mental Health Act status and Section 117 after-care on the service user, whatever plan
is open (fhircare-flag): a community treatment order, guardianship or conditional
discharge outlives any inpatient stay (DD-06), and Section 117 after-care outlives
episodes and plans until both the health body and the local authority agree it ends
(DD-07, EC-25). A Flag is what GP, urgent-care and shared-record systems show with the
patient; labelled restricted, like the rest of the mental health record.

Each status carries fhircare's flag code and, where UK Core's legal status classification
has one for the service user's jurisdiction, that code too (England and Wales number
some differently: 35 is guardianship in England, a community treatment order in Wales).
An informal status is no legal power and is not flagged.
"""

from __future__ import annotations

from datetime import date

from fhircare.mapping.fhir import CODE_SYSTEM, Json, about_service_user, coding, concept, period, prune
from fhircare.mapping.narrative import EXTENSIONS, GENERATED, long_date, narrative, sentence
from fhircare.mapping.plan_extensions import section_117_extension
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.local_codes import Jurisdiction, LegalStatusKind
from fhircare.source.movement import Section117Entitlement
from fhircare.source.service_user import LegalStatus

_UKCORE = "https://fhir.hl7.org.uk/CodeSystem/"
LEGAL_STATUS_SYSTEM = {
    Jurisdiction.ENGLAND: _UKCORE + "UKCore-LegalStatusClassificationEngland",
    Jurisdiction.WALES: _UKCORE + "UKCore-LegalStatusClassificationWales",
}
_SHARED_CODES = {
    LegalStatusKind.INFORMAL: "01", LegalStatusKind.S2: "02", LegalStatusKind.S3: "03", LegalStatusKind.S4: "04",
    LegalStatusKind.S5: "05", LegalStatusKind.S35: "07", LegalStatusKind.S36: "08", LegalStatusKind.S37_41: "09",
    LegalStatusKind.S37: "10", LegalStatusKind.S38: "12", LegalStatusKind.S47: "16", LegalStatusKind.S48: "18",
    LegalStatusKind.S135: "19", LegalStatusKind.S136: "20",
}  # fmt: skip
#: UK Core legal status classification codes; statuses with no code in a list
#: (conditional discharge; a CTO in England) carry fhircare's flag code only
_CODES: dict[Jurisdiction, dict[LegalStatusKind, str]] = {
    Jurisdiction.ENGLAND: {**_SHARED_CODES, LegalStatusKind.S45A: "37", LegalStatusKind.GUARDIANSHIP: "35"},
    Jurisdiction.WALES: {**_SHARED_CODES, LegalStatusKind.S45A: "34", LegalStatusKind.CTO: "35"},
}
_FLAG_CODE = CODE_SYSTEM + "flag-code"
_FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
_COMMUNITY = {
    LegalStatusKind.CTO: ("community-treatment-order", "On a community treatment order (Mental Health Act 1983)"),
    LegalStatusKind.GUARDIANSHIP: ("guardianship", "Subject to guardianship (Mental Health Act 1983, section 7)"),
    LegalStatusKind.CONDITIONAL_DISCHARGE: (
        "conditional-discharge",
        "Conditionally discharged from a restricted hospital order (Mental Health Act 1983)",
    ),
}


def legal_status_code(kind: LegalStatusKind, jurisdiction: Jurisdiction) -> str | None:
    """UK Core's classification code for a status in a jurisdiction, or None."""
    return _CODES[jurisdiction].get(kind)


def jurisdiction_on(day: date, record: ServiceUserRecord) -> Jurisdiction:
    """Whose law applies: the episode open on the day, else the latest; England if none."""
    episodes = sorted(record.episodes, key=lambda e: (e.start_date, e.episode_id))
    current = [e for e in episodes if e.start_date <= day and (e.end_date is None or day <= e.end_date)]
    chosen = (current or episodes)[-1:] if episodes else []
    return chosen[0].jurisdiction if chosen else Jurisdiction.ENGLAND


def section_words(kind: LegalStatusKind) -> str:
    """``under section 3 of the Mental Health Act`` (section 37/41 for a restricted order)."""
    return f"under section {kind.value[1:].replace('-', '/').upper()} of the Mental Health Act"


def _flag_text(kind: LegalStatusKind) -> tuple[str, str]:
    if kind in _COMMUNITY:
        return _COMMUNITY[kind]
    return "detained", f"Detained {section_words(kind)} 1983"


def legal_status_flag(status: LegalStatus, record: ServiceUserRecord, refs: Refs) -> Json | None:
    """The status on the service user (None for informal: no legal power applies)."""
    if status.status is LegalStatusKind.INFORMAL:
        return None
    key = refs.legal_status(status.legal_status_id)
    flag_code, shown = _flag_text(status.status)
    jurisdiction = jurisdiction_on(status.start_date, record)
    codings = [coding(_FLAG_CODE, flag_code)]
    ukcore = legal_status_code(status.status, jurisdiction)
    if ukcore is not None:
        codings.append(coding(LEGAL_STATUS_SYSTEM[jurisdiction], ukcore))
    ended = status.end_date is not None and status.end_date < refs.context.as_of
    until = f" to {long_date(status.end_date)}" if status.end_date else ""
    return prune(
        {
            "resourceType": "Flag",
            "id": key.id,
            "meta": about_service_user("fhircare-flag"),
            "text": narrative(
                sentence(f"{shown}, from {long_date(status.start_date)}{until}"),
                "This has ended." if ended else None,
                status=GENERATED,
            ),
            "identifier": [key.identifier],
            "status": "inactive" if ended else "active",
            "category": [concept(coding(_FLAG_CATEGORY, "admin"))],
            "code": concept(*codings, text=shown),
            "subject": refs.patient.reference(),
            "period": period(status.start_date, status.end_date),
            "author": refs.trust.reference(),
        }
    )


def section_117_flag(entitlement: Section117Entitlement, refs: Refs) -> Json:
    """Section 117 after-care on the service user, with the bodies responsible (R-48)."""
    key = refs.section_117(entitlement.section_117_id)
    shown = "Entitled to Section 117 after-care (Mental Health Act 1983)"
    ended = entitlement.end_date is not None and entitlement.end_date < refs.context.as_of
    health = refs.organisations[entitlement.health_body_organisation_id].name
    council = refs.organisations[entitlement.local_authority_organisation_id].name
    agreed = [
        name
        for name, said in (
            (health, entitlement.ended_agreed_by_health_body),
            (council, entitlement.ended_agreed_by_local_authority),
        )
        if said
    ]
    until = f" to {long_date(entitlement.end_date)}" if entitlement.end_date else ""
    return prune(
        {
            "resourceType": "Flag",
            "id": key.id,
            "meta": about_service_user("fhircare-flag"),
            "text": narrative(
                sentence(
                    f"{shown} from {long_date(entitlement.start_date)}{until}, after detention"
                    f" {section_words_117(entitlement)}"
                ),
                sentence(f"Responsible: {health} and {council}"),
                sentence(f"Agreed that it can end: {' and '.join(agreed)}") if agreed and not ended else None,
                status=EXTENSIONS,
            ),
            "extension": [section_117_extension(entitlement, refs)],
            "identifier": [key.identifier],
            "status": "inactive" if ended else "active",
            "category": [concept(coding(_FLAG_CATEGORY, "admin"))],
            "code": concept(coding(_FLAG_CODE, "section-117-aftercare"), text=shown),
            "subject": refs.patient.reference(),
            "period": period(entitlement.start_date, entitlement.end_date),
            "author": refs.trust.reference(),
        }
    )


def section_words_117(entitlement: Section117Entitlement) -> str:
    return f"under section {entitlement.detention_section.value.removeprefix('s').upper()}"
