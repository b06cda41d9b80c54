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
from fhircare.source.local_codes import (
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
    LegalBasis,
    SharedInformation,
)


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
    #: the service user does not want this person involved (DE-173), since when: never
    #: published as a contact (no telephone number leaves the trust, EC-44). None when the
    #: extract says nothing (a blank cell): only an explicit no lifts a flag the store holds
    do_not_involve: bool | None = None
    do_not_involve_recorded_at: Instant | None = None
    #: the carer asked that what they share is not passed to the service user (IS-13)
    withhold_from_service_user: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.roles)) != len(self.roles):
            raise field_error("roles", "lists a role twice")
        if self.young_carer and ContactRole.CARER not in self.roles:
            raise field_error("young_carer", "applies only to a contact with the carer role")
        if bool(self.do_not_involve) != (self.do_not_involve_recorded_at is not None):
            raise field_error("do_not_involve_recorded_at", "goes with do_not_involve (both or neither)")
        if self.do_not_involve and ContactRole.CARER in self.roles:
            raise field_error("do_not_involve", "contradicts the carer role")
        if self.do_not_involve and ContactRole.EMERGENCY_CONTACT in self.roles:
            raise field_error("do_not_involve", "contradicts the emergency contact role (004 §3.14)")
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
    """One sharing decision (DD-16): who decided, permit or deny, about disclosing what
    (``shares``: every care plan, the crisis plan only, DIALOG, the Section 117 after-care
    plan, a carer's own details; optionally one plan and the plans part of it) to whom (a
    contact, a named organisation, or every partner of some types); or a carer's consent
    to have their own details recorded (``collection``). The basis is the decider's own
    decision, a best-interests decision after a recorded capacity assessment
    (``capacity_assessment_id``), a ``legal_basis``, or an ``override`` for risk; a
    refusal or an override records its rationale (DE-175)."""

    consent_id: LocalId
    service_user_id: LocalId
    kind: ConsentKind
    decision: ConsentDecisionType
    decided_at: Instant
    decided_by: ConsentDecider
    decided_by_contact_id: LocalId | None = None
    #: who decided for the service user in their best interests, or under a legal duty or
    #: for risk (``decided_by`` best-interests or staff)
    decided_by_staff_id: LocalId | None = None
    recipient_contact_id: LocalId | None = None
    recipient_organisation_id: LocalId | None = None
    recipient_partner_types: tuple[PartnerOrganisationType, ...] = ()
    #: what is shared (one kind of information per decision, DD-16). A permit that records
    #: none covers every care plan; a refusal that records none covers everything
    shares: SharedInformation | None = None
    care_plan_id: LocalId | None = None
    end_date: date | None = None
    #: confidence broken for risk or safety (IS-07, EC-48), by a member of staff
    override: bool = False
    legal_basis: LegalBasis | None = None
    #: the assessment that found the service user lacks capacity for this decision (EC-40)
    capacity_assessment_id: LocalId | None = None
    rationale: Text | None = Field(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        by_staff = (ConsentDecider.BEST_INTERESTS, ConsentDecider.STAFF)
        if (self.decided_by is ConsentDecider.CONTACT) != (self.decided_by_contact_id is not None):
            raise field_error("decided_by_contact_id", "is required exactly when a contact decided")
        if (self.decided_by in by_staff) != (self.decided_by_staff_id is not None):
            raise field_error(
                "decided_by_staff_id", "is required exactly when staff decided (best interests, legal duty or risk)"
            )
        if (self.decided_by is ConsentDecider.BEST_INTERESTS) != (self.capacity_assessment_id is not None):
            raise field_error(
                "capacity_assessment_id",
                "is required exactly when the decision is a best-interests one (a recorded capacity assessment)",
            )
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
        if self.kind is ConsentKind.COLLECTION and self.shares not in (None, SharedInformation.CARER_DETAILS):
            raise field_error("shares", "a collection decision is about the contact's own details only")
        if len(set(self.recipient_partner_types)) != len(self.recipient_partner_types):
            raise field_error("recipient_partner_types", "lists a type twice")
        if self.care_plan_id is not None and self.scope not in (
            SharedInformation.CARE_PLANS,
            SharedInformation.CRISIS_PLAN,
            None,
        ):
            raise field_error("care_plan_id", f"names a plan, but the decision is about {self.scope}")
        self._check_basis()
        needs_reason = self.override or (
            self.decision is ConsentDecisionType.DENY and self.decided_by is ConsentDecider.SERVICE_USER
        )
        if needs_reason and self.rationale is None:
            raise field_error("rationale", "is required for a refusal or an override (004 §3.14)")
        if self.end_date is not None and self.end_date < self.decided_at.date():
            raise field_error("end_date", "is before the decision")
        return self

    def _check_basis(self) -> None:
        carer_details = self.shares is SharedInformation.CARER_DETAILS
        disclosure = self.kind is ConsentKind.DISCLOSURE
        if disclosure and carer_details != (self.decided_by is ConsentDecider.CONTACT):
            raise field_error(
                "shares", "a contact decides about disclosing their own details (carer-details), and only that"
            )
        if self.decided_by is ConsentDecider.STAFF and not (self.override or self.legal_basis):
            raise field_error(
                "decided_by", "staff decide alone only under a legal duty or to break confidence for risk"
            )
        if self.override and (self.decided_by is not ConsentDecider.STAFF or self.decision is ConsentDecisionType.DENY):
            raise field_error("override", "confidence is broken by a member of staff, to disclose (004 §3.14)")
        if self.legal_basis is None:
            return
        if self.override or self.kind is not ConsentKind.DISCLOSURE or self.decision is not ConsentDecisionType.PERMIT:
            raise field_error("legal_basis", "applies to a disclosure made under that duty, not an override")
        if self.recipient_contact_id is not None:
            raise field_error("legal_basis", "a legal duty is owed to a public body, not to a person")
        if self.legal_basis is LegalBasis.CARERS_ASSESSMENT:
            if not carer_details or self.decided_by is not ConsentDecider.CONTACT:
                raise field_error(
                    "legal_basis", "a carer's assessment referral shares the carer's own details, on their decision"
                )
        elif self.decided_by is not ConsentDecider.STAFF:
            raise field_error("decided_by", "a disclosure under a legal duty is decided by a member of staff")
        if self.legal_basis is LegalBasis.SECTION_117 and self.shares is not SharedInformation.SECTION_117:
            raise field_error("shares", "a Section 117 disclosure shares the Section 117 after-care plan")

    @property
    def scope(self) -> SharedInformation | None:
        """What the decision covers: as recorded; a contact's own details for a collection
        decision; every care plan for a permit that records nothing; None (everything)
        for a refusal that records nothing."""
        if self.kind is ConsentKind.COLLECTION:
            return SharedInformation.CARER_DETAILS
        if self.shares is None and self.decision is ConsentDecisionType.PERMIT:
            return SharedInformation.CARE_PLANS
        return self.shares
