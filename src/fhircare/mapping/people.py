"""People: the service user (Patient), staff (Practitioner and PractitionerRole) and
carers and other significant people (RelatedPerson)."""

from __future__ import annotations

from fhircare.mapping.fhir import (
    IDENTITY_LABELS,
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    coding,
    complex_extension,
    concept,
    concept_of,
    display,
    extension,
    fhir_datetime,
    meta,
    phone,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import ADDITIONAL, EXTENSIONS, GENERATED, listing, long_date, narrative, sentence
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_team import StaffMember
from fhircare.source.carers import Contact
from fhircare.source.codes import ContactRole
from fhircare.source.local_codes import ConsentDecider, ConsentDecisionType, ConsentKind, PerformerKind
from fhircare.source.service_user import ServiceUser

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
NHS_NUMBER_VERIFICATION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
_SDS_USER_ID = "https://fhir.nhs.uk/Id/sds-user-id"
_SDS_ROLE_PROFILE_ID = "https://fhir.nhs.uk/Id/sds-role-profile-id"
_SDS_JOB_ROLE = "https://fhir.hl7.org.uk/CodeSystem/UKCore-SDSJobRoleName"
_REGISTERS = (
    ("gmc_number", "https://fhir.hl7.org.uk/Id/gmc-number"),
    ("nmc_number", "https://fhir.hl7.org.uk/Id/nmc-number"),
    ("hcpc_number", "https://fhir.hl7.org.uk/Id/hcpc-number"),
)
_BCP47 = "urn:ietf:bcp:47"
_UKCORE_ETHNIC_CATEGORY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
_ETHNIC_CATEGORY_ENGLAND = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
_INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


def _name(family: str, given: list[str | None], title: str | None, use: str | None = None) -> Json:
    return prune({"use": use, "family": family, "given": [g for g in given if g], "prefix": [title] if title else None})


def full_name(given: str | None, family: str | None, title: str | None = None) -> str:
    return " ".join(p for p in (title, given, family) if p)


def who(kind: PerformerKind, local_id: str | None, refs: Refs) -> str:
    """Who a performer, recipient or care team member is, in words."""
    if kind is PerformerKind.SERVICE_USER or local_id is None:
        return refs.record.service_user.given_name
    if kind is PerformerKind.STAFF:
        staff = refs.staff[local_id]
        return full_name(staff.given_name, staff.family_name, staff.title)
    if kind is PerformerKind.TEAM:
        return refs.teams[local_id].name
    if kind is PerformerKind.PARTNER_ORGANISATION:
        return refs.organisations[local_id].name
    if kind is PerformerKind.SERVICE:
        service = refs.services[local_id]
        return f"{service.name} ({service.phone})"
    contact = refs.contacts[local_id]
    return "a carer" if contact.is_anonymous else full_name(contact.given_name, contact.family_name)


def _spaced_nhs_number(value: str) -> str:
    return f"{value[:3]} {value[3:6]} {value[6:]}"


def _death(su: ServiceUser) -> str | None:
    """Said at once, as data too (deceased[x]): a reader must not contact the person, or
    their family, as if they were alive."""
    if su.date_of_death is not None:
        return sentence(f"Died on {long_date(su.date_of_death)}")
    return "Has died (no date of death recorded)." if su.deceased else None


def patient(record: ServiceUserRecord, refs: Refs) -> Json:
    su = record.service_user
    identifiers: list[Json] = []
    if su.nhs_number is not None and su.nhs_number_status is not None:
        status = extension(NHS_NUMBER_VERIFICATION, valueCodeableConcept=concept_of(su.nhs_number_status))
        identifiers.append({"extension": [status], "system": NHS_NUMBER, "value": su.nhs_number})
    identifiers.append(refs.patient.identifier)
    address = prune(
        {
            "use": "home",
            "line": [su.address_line] if su.address_line else None,
            "city": su.town,
            "postalCode": su.postcode,
        }
    )
    gp = refs.organisations.get(su.gp_practice_id) if su.gp_practice_id else None
    language = display(_BCP47, su.preferred_language) or su.preferred_language if su.preferred_language else None
    needs = [label(n) for n in su.communication_needs]
    # communication needs other than an interpreter have no element: the narrative says them
    text = narrative(
        sentence(f"{full_name(su.given_name, su.family_name, su.title)}, born {long_date(su.birth_date)}"),
        _death(su),
        f"NHS number {_spaced_nhs_number(su.nhs_number)}." if su.nhs_number else "No NHS number recorded.",
        sentence(f"Registered with {gp.name}") if gp else "No GP practice recorded.",
        sentence(f"Prefers to communicate in {language}") if language else None,
        "Needs an interpreter." if su.interpreter_required else None,
        sentence(f"Communication needs: {listing(needs)}") if needs else None,
        status=ADDITIONAL if needs else EXTENSIONS if su.interpreter_required else GENERATED,
    )
    return prune(
        {
            "resourceType": "Patient",
            "id": refs.patient.id,
            "meta": meta("fhircare-patient", IDENTITY_LABELS),
            "text": text,
            "identifier": identifiers,
            "active": True,
            "name": [_name(su.family_name, [su.given_name, su.other_given_names], su.title, "official")],
            "telecom": phone(su.phone, "mobile" if (su.phone or "").startswith("07") else "home"),
            "gender": su.gender.value,
            "birthDate": su.birth_date.isoformat(),
            # a date alone is a dateTime at day precision: the day is all a record holds
            "deceasedDateTime": fhir_datetime(su.date_of_death) if su.date_of_death is not None else None,
            # a death with no date recorded is still a death (deceased[x] is one or the other)
            "deceasedBoolean": True if su.deceased and su.date_of_death is None else None,
            "address": [address] if len(address) > 1 else None,
            "communication": (
                [{"language": concept(coding(_BCP47, su.preferred_language)), "preferred": True}]
                if su.preferred_language
                else None
            ),
            "generalPractitioner": [refs.organisation(gp.organisation_id).reference()] if gp else None,
            "managingOrganization": refs.trust.reference(),
            "extension": _patient_extensions(su) or None,
        }
    )


def _patient_extensions(su: ServiceUser) -> list[Json]:
    """UK Core's ethnic category (England's code system: the NHS Data Dictionary codes the
    source model reads), and R4's patient-interpreterRequired (the language is
    ``communication.language``)."""
    found: list[Json] = []
    if su.ethnic_category is not None:
        category = concept(coding(_ETHNIC_CATEGORY_ENGLAND, su.ethnic_category.value))
        found.append(extension(_UKCORE_ETHNIC_CATEGORY, valueCodeableConcept=category))
    if su.interpreter_required:
        found.append(extension(_INTERPRETER_REQUIRED, valueBoolean=True))
    return found


def _what_they_do(staff: StaffMember) -> str:
    return label(staff.discipline) if staff.discipline else "member of staff"


def practitioner(staff: StaffMember, refs: Refs) -> Json:
    key = refs.practitioner(staff.staff_id)
    identifiers = [{"system": _SDS_USER_ID, "value": staff.sds_user_id}] if staff.sds_user_id else []
    identifiers += [{"system": s, "value": getattr(staff, f)} for f, s in _REGISTERS if getattr(staff, f)]
    identifiers.append(key.identifier)
    name = full_name(staff.given_name, staff.family_name, staff.title)
    return {
        "resourceType": "Practitioner",
        "id": key.id,
        "meta": meta("fhircare-practitioner"),
        # what they do is their role's, not the Practitioner's
        "text": narrative(sentence(f"{name}, {_what_they_do(staff)}"), status=ADDITIONAL),
        "identifier": identifiers,
        "name": [_name(staff.family_name, [staff.given_name], staff.title)],
    }


def role_codings(staff: StaffMember) -> list[Json]:
    """The job role and discipline of a member of staff (SDS job role, SNOMED CT, local)."""
    codings = [coding(_SDS_JOB_ROLE, staff.sds_job_role)] if staff.sds_job_role else []
    if staff.discipline is not None:
        codings.append(code(staff.discipline))
    return codings


def practitioner_role(staff: StaffMember, refs: Refs) -> Json:
    """A member of staff in their team: what care teams, plans and actions refer to."""
    key = refs.practitioner_role(staff.staff_id)
    identifiers = (
        [{"system": _SDS_ROLE_PROFILE_ID, "value": staff.sds_role_profile_id}] if staff.sds_role_profile_id else []
    )
    identifiers.append(key.identifier)
    team = refs.teams[staff.team_id]
    call = f" Phone {staff.phone}." if staff.phone else ""
    name = full_name(staff.given_name, staff.family_name, staff.title)
    return prune(
        {
            "resourceType": "PractitionerRole",
            "id": key.id,
            "meta": meta("fhircare-practitioner-role"),
            "text": narrative(sentence(f"{name}, {_what_they_do(staff)}, {team.name}.{call}"), status=GENERATED),
            "identifier": identifiers,
            "active": True,
            "practitioner": refs.practitioner(staff.staff_id).reference(),
            "organization": refs.team(staff.team_id).reference(),
            "code": [concept(*role_codings(staff))],
            "telecom": phone(staff.phone, "work"),
        }
    )


def _refused_recording(contact: Contact, record: ServiceUserRecord) -> bool:
    """The carer refused to have their details recorded (EC-45)."""
    return any(
        c.kind is ConsentKind.COLLECTION
        and c.decision is ConsentDecisionType.DENY
        and c.decided_by_contact_id == contact.contact_id
        for c in record.consents
    )


def do_not_involve_consent(contact: Contact, record: ServiceUserRecord) -> str | None:
    """The service user's latest refusal to involve this person (the deny Consent)."""
    denials = [
        c
        for c in record.consents
        if c.kind is ConsentKind.DISCLOSURE
        and c.decision is ConsentDecisionType.DENY
        and c.decided_by is ConsentDecider.SERVICE_USER
        and c.recipient_contact_id == contact.contact_id
    ]
    return max(denials, key=lambda c: c.decided_at).consent_id if denials else None


def _relationship_words(contact: Contact, owner: str) -> str:
    roles = [label(r) for r in contact.roles]
    kin = label(contact.relationship)
    return f"{owner}'s {kin}" + (f", {listing(roles)}" if roles else "")


def related_person(contact: Contact, record: ServiceUserRecord, refs: Refs) -> Json:
    key = refs.contact(contact.contact_id)
    su_name = record.service_user.given_name
    assessments = sorted(
        (a for a in record.carers_assessments if a.contact_id == contact.contact_id),
        key=lambda a: (a.status_date, a.carers_assessment_id),
    )
    extensions: list[Json] = []
    if contact.young_carer:
        extensions.append(extension(STRUCTURE_DEFINITION + "young-carer", valueBoolean=True))
    for assessment in assessments:
        owner = assessment.assessing_organisation_id
        extensions.append(
            complex_extension(
                STRUCTURE_DEFINITION + "carers-assessment",
                (
                    ("status", "valueCode", assessment.status.value),
                    ("date", "valueDate", assessment.status_date.isoformat()),
                    (
                        "assessingOrganisation",
                        "valueReference",
                        refs.organisation(owner).reference() if owner else None,
                    ),
                ),
            )
        )
    if contact.do_not_involve and contact.do_not_involve_recorded_at is not None:
        deny = do_not_involve_consent(contact, record)
        extensions.append(
            complex_extension(
                STRUCTURE_DEFINITION + "do-not-involve",
                (
                    ("recorded", "valueDateTime", fhir_datetime(contact.do_not_involve_recorded_at)),
                    ("consent", "valueReference", refs.consent(deny).reference() if deny else None),
                ),
            )
        )
    anonymous = contact.is_anonymous or _refused_recording(contact, record)
    who = "A person" if anonymous else full_name(contact.given_name, contact.family_name)
    paragraphs = [sentence(f"{who}: {_relationship_words(contact, su_name)}")]
    if anonymous:
        paragraphs.append("They asked that their personal details are not recorded.")
    if contact.young_carer:
        paragraphs.append("A young carer.")
    paragraphs += [sentence(f"Carer's assessment {a.status.value} on {long_date(a.status_date)}") for a in assessments]
    not_involved = contact.do_not_involve and contact.do_not_involve_recorded_at is not None
    if not_involved and contact.do_not_involve_recorded_at is not None:
        recorded = long_date(contact.do_not_involve_recorded_at)
        paragraphs.append(
            f"{su_name} does not want this person involved in their care (recorded on {recorded}):"
            " do not contact them about it or share information with them."
        )
        if ContactRole.NEAREST_RELATIVE in contact.roles:
            paragraphs.append(
                "They are the nearest relative under the Mental Health Act 1983, who has rights in law:"
                " the care team must decide how those rights are met."
            )
    if contact.withhold_from_service_user:
        paragraphs.append(f"They asked that what they tell the team is not passed on to {su_name}.")
    relationships = [concept_of(contact.relationship), *(concept_of(r) for r in contact.roles)]
    return prune(
        {
            "resourceType": "RelatedPerson",
            "id": key.id,
            "meta": about_service_user("fhircare-related-person", withheld=contact.withhold_from_service_user),
            # an anonymous carer's refusal is a Consent's; the markers are extensions
            "text": narrative(*paragraphs, status=ADDITIONAL if anonymous else EXTENSIONS if extensions else GENERATED),
            "extension": extensions,
            "identifier": [key.identifier],
            # a person not to be involved is never an active contact and no number of
            # theirs leaves the trust (EC-44, fhircare-related-person-2)
            "active": contact.active and not not_involved,
            "patient": refs.patient.reference(),
            "relationship": relationships,
            "name": None if anonymous else [_name(contact.family_name or "", [contact.given_name], None)],
            "telecom": None if anonymous or not_involved else phone(contact.phone, "home"),
            "birthDate": None if anonymous or contact.birth_date is None else contact.birth_date.isoformat(),
        }
    )
