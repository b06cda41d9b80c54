"""Organizations: the trust, its teams and the partner organisations (fhircare-organization).

Every Organization is typed with its partner organisation type, because what a partner
may see is decided by that type (DESIGN.md "Partner access"; fhircare-organization-1).
"""

from __future__ import annotations

from fhircare.mapping.context import MappingContext
from fhircare.mapping.fhir import Json, code, coding, concept, meta, phone, prune
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import ADDITIONAL, GENERATED, narrative, sentence
from fhircare.mapping.refs import Refs
from fhircare.source.care_team import Organisation, Team
from fhircare.source.codes import PartnerOrganisationType

_ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
_PROFILE = "fhircare-organization"

#: the HL7 organisation type that goes with a partner type, where one fits
_HL7_TYPE = {
    PartnerOrganisationType.NHS_MENTAL_HEALTH_TRUST: "prov",
    PartnerOrganisationType.OTHER_PROVIDER: "prov",
    PartnerOrganisationType.PRISON_MENTAL_HEALTH: "prov",
    PartnerOrganisationType.GP_PRACTICE: "prov",
    PartnerOrganisationType.CARE_PROVIDER: "prov",
    PartnerOrganisationType.LOCAL_AUTHORITY: "govt",
    PartnerOrganisationType.VCSE: "cg",
}


def _types(kind: PartnerOrganisationType, hl7: str | None) -> list[Json]:
    codings = [coding(_ORGANIZATION_TYPE, hl7)] if hl7 else []
    return [concept(*codings, code(kind))]


def trust_organization(context: MappingContext) -> Json:
    key = context.trust_key
    return {
        "resourceType": "Organization",
        "id": key.id,
        "meta": meta(_PROFILE),
        "text": narrative(
            sentence(f"{context.trust_name} (ODS code {context.trust_ods_code}), {label(context.trust_kind)}"),
            status=GENERATED,
        ),
        "identifier": [key.identifier],
        "active": True,
        "type": _types(context.trust_kind, _HL7_TYPE.get(context.trust_kind, "prov")),
        "name": context.trust_name,
    }


def team_organization(team: Team, refs: Refs) -> Json:
    """A team, as an Organization that is part of the trust or of a partner."""
    key = refs.team(team.team_id)
    if team.organisation_id is None:
        owner_name, kind = refs.context.trust_name, refs.context.trust_kind
    else:
        owner = refs.organisations[team.organisation_id]
        owner_name, kind = owner.name, owner.kind
    service = f" ({label(team.service_line)} service)" if team.service_line else ""
    contact = f" Contact the team on {team.phone}." if team.phone else ""
    return prune(
        {
            "resourceType": "Organization",
            "id": key.id,
            "meta": meta(_PROFILE),
            # the service line is not an element of the Organization
            "text": narrative(
                sentence(f"{team.name}{service}, part of {owner_name}.{contact}"),
                status=ADDITIONAL if team.service_line else GENERATED,
            ),
            "identifier": [key.identifier],
            "active": True,
            "type": [concept(coding(_ORGANIZATION_TYPE, "team"), code(kind))],
            "name": team.name,
            "telecom": phone(team.phone),
            "partOf": refs.team_parent(team).reference(),
        }
    )


def partner_organization(organisation: Organisation, refs: Refs) -> Json:
    """A GP practice, local authority, ICB, VCSE partner, out-of-area provider, ..."""
    key = refs.organisation(organisation.organisation_id)
    identifiers = [key.identifier]
    local = refs.context.key("Organization", "organisation", organisation.organisation_id)
    if local != key:  # keyed by ODS code: the trust's own id for it too
        identifiers.append(local.identifier)
    ods = f" (ODS code {organisation.ods_code})" if organisation.ods_code else ""
    return prune(
        {
            "resourceType": "Organization",
            "id": key.id,
            "meta": meta(_PROFILE),
            "text": narrative(sentence(f"{organisation.name}{ods}, {label(organisation.kind)}"), status=GENERATED),
            "identifier": identifiers,
            "active": organisation.active,
            "type": _types(organisation.kind, _HL7_TYPE.get(organisation.kind)),
            "name": organisation.name,
            "telecom": phone(organisation.phone),
        }
    )
