"""What the mapping needs beyond one service user's records: the trust (its name, ODS
code, identifier systems and information-sharing policy), the date the extract is mapped
as of, and the identity of every resource.

Identity (DESIGN.md "Identity"): every resource carries a business identifier (system +
value) and its id is derived from that identifier alone, so the same record always gets
the same id, in every bundle and on every run, and a sync can update it in place.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, tzinfo
from functools import cached_property

from fhircare.mapping.fhir import Json
from fhircare.source.codes import PartnerOrganisationType
from fhircare.source.mapping_schema import TrustMapping

#: the namespace of every fhircare resource id (uuid5 of the project's canonical URL)
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://fhir.fhircare.nhs.uk")

ODS_ORGANISATION_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"


@functools.lru_cache(maxsize=100_000)
def resource_id(resource_type: str, system: str, value: str) -> str:
    """The id of the resource of this type with this business identifier (a UUID v5).
    Remembered: the trust, its teams and staff are named in every bundle."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{resource_type}|{system}|{value}"))


#: resources that many service users share (the trust, its teams and staff, partner
#: organisations, services): a sync keeps each current once, on its own, rather than in
#: every service user's transaction
SHARED_RESOURCE_TYPES = frozenset({"Organization", "Practitioner", "PractitionerRole", "HealthcareService", "Location"})


def business_identifier(resource: Json) -> tuple[str, str] | None:
    """The (system, value) of the identifier the resource's id is derived from, or None
    (Provenance has no identifier in R4: it is known by its derived id alone)."""
    rtype, rid = resource["resourceType"], resource.get("id")
    identifiers = resource.get("identifier") or []
    for identifier in identifiers if isinstance(identifiers, list) else [identifiers]:
        system, value = identifier.get("system"), identifier.get("value")
        if system and value and resource_id(rtype, system, value) == rid:
            return system, value
    return None


@dataclass(frozen=True)
class ResourceKey:
    """The identity of one resource: its type and the business identifier its id is
    derived from. ``id`` is a UUID, so ``full_url`` (``urn:uuid:<id>``) is what the
    resources of a transaction bundle refer to each other by."""

    resource_type: str
    system: str
    value: str

    @property
    def id(self) -> str:
        return resource_id(self.resource_type, self.system, self.value)

    @property
    def full_url(self) -> str:
        return f"urn:uuid:{self.id}"

    @property
    def identifier(self) -> Json:
        return {"system": self.system, "value": self.value}

    def reference(self) -> Json:
        return {"reference": self.full_url}


@dataclass(frozen=True)
class MappingContext:
    """The trust an extract comes from, and the day it is mapped as of (which care team
    members are current, which consents have ended)."""

    trust_name: str
    trust_ods_code: str
    identifier_system_base: str
    consent_policy_uri: str
    timezone: tzinfo
    as_of: date
    identifier_systems: Mapping[str, str]
    #: what kind of organisation the trust is (a local health board in Wales)
    trust_kind: PartnerOrganisationType = PartnerOrganisationType.NHS_MENTAL_HEALTH_TRUST

    @classmethod
    def from_mapping(cls, mapping: TrustMapping, *, as_of: date) -> MappingContext:
        trust = mapping.trust
        return cls(
            trust_name=trust.name,
            trust_ods_code=trust.ods_code,
            identifier_system_base=trust.identifier_system_base,
            consent_policy_uri=trust.consent_policy_uri,
            timezone=mapping.timezone,
            as_of=as_of,
            identifier_systems=dict(trust.identifier_systems),
            trust_kind=PartnerOrganisationType(trust.organisation_type),
        )

    def system(self, kind: str) -> str:
        """The business identifier system of a kind of record (a record type name such as
        ``care_plan``, or ``care_team`` / ``practitioner_role`` for what has no row)."""
        return self.identifier_systems.get(kind) or f"{self.identifier_system_base}/{kind.replace('_', '-')}"

    def key(self, resource_type: str, kind: str, value: str) -> ResourceKey:
        return ResourceKey(resource_type, self.system(kind), value)

    @cached_property
    def trust_key(self) -> ResourceKey:
        return ResourceKey("Organization", ODS_ORGANISATION_CODE, self.trust_ods_code)
