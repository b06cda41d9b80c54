"""Care team membership (§1.5) and the trust's directory of staff, teams and organisations.

Membership rows belong to a service user; the directory is trust-wide reference data that
membership, plans and other records refer to by id. A service user's record bundle carries
the directory entries it refers to, so it can be mapped on its own.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from fhircare.source.codes import CoordinationRole, Discipline, PartnerOrganisationType, UrgentCareServiceType, Weekday
from fhircare.source.common import ClockTime, Label, LocalId, OdsCode, Phone, ServicePhone, SourceRecord, field_error
from fhircare.source.local_codes import MemberKind, ServiceLine

SdsUserId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
GmcNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{7}$")]
NmcNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}[A-Z][0-9]{4}[A-Z]$")]
#: the HCPC register's prefix for the profession (two letters, or three: PYL practitioner
#: psychologists, ODP operating department practitioners, HAD hearing aid dispensers)
HcpcNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,3}[0-9]{5,6}$")]
SdsJobRole = Annotated[str, StringConstraints(pattern=r"^R[0-9]{4}$")]


class CareTeamMember(SourceRecord):
    """One participant of a service user's care team over a period (DE-110..131): a member
    of staff, a partner organisation, a carer or other contact, or the service user. The
    named lead has the lead role the service user's arrangement uses (``key-worker``,
    ``care-coordinator``, ``lead-clinician``, ...: :attr:`CoordinationRole.is_lead`), never
    relabelled (002 ¶13, EC-09); carers and the service user take part without a staff
    role; a change of lead is a closed period and a new one, never an overwrite (EC-06).
    ``defaulted`` marks the receiving team's manager standing in as the lead because none
    was identified at inpatient discharge (004 §3.11, EC-02)."""

    membership_id: LocalId
    service_user_id: LocalId
    episode_id: LocalId | None = None
    #: the team the participant works in or with for this service user
    team_id: LocalId
    member_kind: MemberKind
    member_id: LocalId | None = None
    coordination_role: CoordinationRole | None = None
    discipline: Discipline | None = None
    start_date: date
    end_date: date | None = None
    defaulted: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end_date is not None and self.end_date < self.start_date:
            raise field_error("end_date", "is before start_date")
        people = (MemberKind.CONTACT, MemberKind.SERVICE_USER)
        if self.coordination_role is None and self.discipline is None and self.member_kind not in people:
            raise field_error("coordination_role", "or discipline is required for staff, teams and organisations")
        if (self.member_kind is MemberKind.SERVICE_USER) != (self.member_id is None):
            raise field_error("member_id", "is required unless the member is the service user")
        if self.is_lead and self.member_kind is not MemberKind.STAFF:
            raise field_error("member_kind", "a named lead is a member of staff (001 ¶150: a named person)")
        if self.defaulted and not self.is_lead:
            raise field_error("defaulted", "only applies to a lead role (key worker, care co-ordinator, ...)")
        return self

    @property
    def is_key_worker(self) -> bool:
        return self.coordination_role is CoordinationRole.KEY_WORKER

    @property
    def is_lead(self) -> bool:
        """Fills the named-lead slot (in whichever role the arrangement uses)."""
        return self.coordination_role is not None and self.coordination_role.is_lead

    def current_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class StaffMember(SourceRecord):
    """A member of staff (or a partner's worker) who can be a care team member, author a
    plan or perform an action. Registration numbers evidence a registered professional
    (EC-08)."""

    staff_id: LocalId
    family_name: Label
    given_name: Label
    title: Label | None = None
    #: the team the worker belongs to (their PractitionerRole's organisation)
    team_id: LocalId
    discipline: Discipline | None = None
    sds_job_role: SdsJobRole | None = None
    sds_user_id: SdsUserId | None = None
    sds_role_profile_id: SdsUserId | None = None
    gmc_number: GmcNumber | None = None
    nmc_number: NmcNumber | None = None
    hcpc_number: HcpcNumber | None = None
    phone: Phone | None = None


class Team(SourceRecord):
    """A team of the trust or of a partner (``organisation_id``; None is the trust itself)."""

    team_id: LocalId
    name: Label
    organisation_id: LocalId | None = None
    service_line: ServiceLine | None = None
    phone: Phone | None = None
    manager_staff_id: LocalId | None = None


class Organisation(SourceRecord):
    """Another organisation: GP practice, local authority, ICB or local health board, VCSE
    partner, out-of-area provider, ... (§4). ``kind`` decides what a partner may see."""

    organisation_id: LocalId
    name: Label
    kind: PartnerOrganisationType
    ods_code: OdsCode | None = None
    phone: Phone | None = None
    active: bool = Field(default=True)


class Service(SourceRecord):
    """A service to contact in a crisis or at short notice (DE-059, DE-078): the trust's
    24-hour crisis line, home treatment, NHS 111's mental health option, a crisis
    sanctuary, emergency services. Directory data, the same for everyone who uses it. It
    says when it can be reached: around the clock, or on some days between two times (all
    day when no times are given), with any closure ([000 §3.3.11] "information about 24
    hour access to services")."""

    service_id: LocalId
    name: Label
    service_type: UrgentCareServiceType
    #: who provides it (None: the trust itself)
    organisation_id: LocalId | None = None
    #: the team that answers it, where it is one of the trust's or a partner's teams
    team_id: LocalId | None = None
    phone: ServicePhone
    available_24_7: bool
    days: tuple[Weekday, ...] = ()
    opens_at: ClockTime | None = None
    closes_at: ClockTime | None = None
    #: when it is closed, in words ("closed on 25 December"), and the dates if known
    not_available: Label | None = None
    not_available_from: date | None = None
    not_available_to: date | None = None
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        hours = bool(self.days) or self.opens_at is not None or self.closes_at is not None
        if self.available_24_7 and hours:
            raise field_error("days", "a service available 24 hours a day, 7 days a week has no opening days or times")
        if not self.available_24_7 and not self.days:
            raise field_error("days", "are required unless the service is available 24 hours a day, 7 days a week")
        if len(set(self.days)) != len(self.days):
            raise field_error("days", "lists a day twice")
        if (self.opens_at is None) != (self.closes_at is None):
            raise field_error("closes_at", "goes with opens_at (both, or neither for all day)")
        if self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            raise field_error("closes_at", "is not after opens_at (hours that run past midnight: two services)")
        dated = self.not_available_from is not None or self.not_available_to is not None
        if dated and self.not_available is None:
            raise field_error("not_available", "says in words when the service is closed, with the dates")
        if self.not_available_from and self.not_available_to and self.not_available_to < self.not_available_from:
            raise field_error("not_available_to", "is before not_available_from")
        return self
