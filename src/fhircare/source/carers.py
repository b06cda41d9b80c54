"""Carers and significant others, carer's assessments, what carers tell the team, and
every consent decision (§1.9, §3).

Kinship (``relationship``) and the caring or legal role (``roles``) are kept apart
(EC-41). A carer who refused to have their details recorded is a contact without a name
(EC-45); a person the service user does not want involved is a contact with
``do_not_involve`` and a deny decision (EC-43, EC-44).
"""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import Field, model_validator

from fhircare.source.codes import CarersAssessmentStatus, ContactRole, PartnerOrganisationType, Relationship
from fhircare.source.common import Instant, Label, LocalId, Phone, SourceRecord, Text, field_error
from fhircare.source.local_codes import ConsentDecider, ConsentDecisionType, ConsentKind


class Contact(SourceRecord):
    """A carer, relative, friend or other significant person (DE-170..187)."""

    contact_id: LocalId
    service_user_id: LocalId
    family_name: Label | None = None
    given_name: Label | None = None
    relationship: Relationship
    roles: tuple[ContactRole, ...] = ()
    birth_date: date | None = None
    #: as recorded: the age threshold differs between policies (EC-42)
    young_carer: bool = False
    phone: Phone | None = None
    active: bool = True
    #: the service user does not want this person involved (DE-173), since when
    do_not_involve: bool = False
    do_not_involve_recorded_at: Instant | None = None
    #: the carer asked that what they share is not passed to the service user (IS-13)
    withhold_from_service_user: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.roles)) != len(self.roles):
            raise field_error("roles", "lists a role twice")
        if self.young_carer and ContactRole.CARER not in self.roles:
            raise field_error("young_carer", "applies only to a contact with the carer role")
        if self.do_not_involve != (self.do_not_involve_recorded_at is not None):
            raise field_error("do_not_involve_recorded_at", "goes with do_not_involve (both or neither)")
        if self.do_not_involve and ContactRole.CARER in self.roles:
            raise field_error("do_not_involve", "contradicts the carer role")
        if self.given_name is not None and self.family_name is None:
            raise field_error("family_name", "is required with a given name")
        return self

    @property
    def is_carer(self) -> bool:
        return ContactRole.CARER in self.roles

    @property
    def is_anonymous(self) -> bool:
        return self.family_name is None


class CarersAssessment(SourceRecord):
    """One step of a carer's own assessment (offered, accepted, declined, completed), owned
    by the local authority (DE-179, DD-18)."""

    carers_assessment_id: LocalId
    contact_id: LocalId
    status: CarersAssessmentStatus
    status_date: date
    assessing_organisation_id: LocalId | None = None


class CarerInformation(SourceRecord):
    """Something a carer told the team (DE-178), which may be given whatever the service
    user's consent (IS-12) and may have to be withheld from the service user (IS-13)."""

    carer_information_id: LocalId
    contact_id: LocalId
    received_at: Instant
    summary: Text
    withhold_from_service_user: bool
    recorded_by_staff_id: LocalId | None = None


class ConsentDecision(SourceRecord):
    """One sharing decision (DD-16): who decided, permit or deny, about disclosing to whom
    (a contact, a named organisation, or every partner of some types), optionally scoped to
    one plan; or a carer's consent to have their own details recorded (``collection``).
    A refusal or an override records its rationale (DE-175)."""

    consent_id: LocalId
    service_user_id: LocalId
    kind: ConsentKind
    decision: ConsentDecisionType
    decided_at: Instant
    decided_by: ConsentDecider
    decided_by_contact_id: LocalId | None = None
    #: who took a best-interests decision for a service user who lacks capacity for it
    decided_by_staff_id: LocalId | None = None
    recipient_contact_id: LocalId | None = None
    recipient_organisation_id: LocalId | None = None
    recipient_partner_types: tuple[PartnerOrganisationType, ...] = ()
    care_plan_id: LocalId | None = None
    end_date: date | None = None
    #: confidence broken for risk, safety or capacity reasons (IS-07, EC-48)
    override: bool = False
    rationale: Text | None = Field(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.decided_by is ConsentDecider.CONTACT) != (self.decided_by_contact_id is not None):
            raise field_error("decided_by_contact_id", "is required exactly when a contact decided")
        if (self.decided_by is ConsentDecider.BEST_INTERESTS) != (self.decided_by_staff_id is not None):
            raise field_error("decided_by_staff_id", "is required exactly when the decision is a best-interests one")
        recipients = sum(
            (
                self.recipient_contact_id is not None,
                self.recipient_organisation_id is not None,
                bool(self.recipient_partner_types),
            )
        )
        if self.kind is ConsentKind.DISCLOSURE and recipients != 1:
            raise field_error(
                "recipient_contact_id",
                "a disclosure decision names exactly one of: a contact, an organisation, partner types",
            )
        if self.kind is ConsentKind.COLLECTION and (recipients or self.decided_by is not ConsentDecider.CONTACT):
            raise field_error("decided_by", "a collection decision is the contact's own, with no recipient")
        if len(set(self.recipient_partner_types)) != len(self.recipient_partner_types):
            raise field_error("recipient_partner_types", "lists a type twice")
        needs_reason = self.override or (
            self.decision is ConsentDecisionType.DENY and self.decided_by is ConsentDecider.SERVICE_USER
        )
        if needs_reason and self.rationale is None:
            raise field_error("rationale", "is required for a refusal or an override (004 §3.14)")
        if self.end_date is not None and self.end_date < self.decided_at.date():
            raise field_error("end_date", "is before the decision")
        return self
