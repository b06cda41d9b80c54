"""The service user: demographics, communication needs, legal status, capacity (§1.1)."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import Field, model_validator

from fhircare.source.codes import Gender, NhsNumberStatus
from fhircare.source.common import (
    Dated,
    Label,
    LanguageTag,
    LocalId,
    NhsNumber,
    Phone,
    SourceRecord,
    Text,
    field_error,
)
from fhircare.source.local_codes import (
    CapacityDecision,
    CapacityOutcome,
    CommunicationNeed,
    EthnicCategory,
    LegalStatusKind,
    ReasonableAdjustmentKind,
)


class ServiceUser(SourceRecord):
    """One person receiving care (DE-001..004, DE-015). ``service_user_id`` is the trust's
    own id for them (RiO client id, SystmOne patient id); every other record of theirs
    refers to it."""

    service_user_id: LocalId
    nhs_number: NhsNumber | None = None
    #: UK Core verification status; required with an NHS number
    nhs_number_status: NhsNumberStatus | None = None
    family_name: Label
    given_name: Label
    other_given_names: Label | None = None
    title: Label | None = None
    birth_date: date
    #: when the trust's record says the person died: shared so that no partner contacts
    #: them, or their family, as if they were alive (found by a trial of a new layout)
    date_of_death: date | None = None
    #: whether the trust's record says the person has died, where it holds that as a flag
    #: (``DECEASED = Y``), with or without a date: a death with no date recorded is still
    #: shared (Patient.deceasedBoolean), or the person was shared as alive (fifth layout
    #: trial); None where the extract does not say
    deceased: bool | None = None
    gender: Gender
    ethnic_category: EthnicCategory | None = None
    religion: Label | None = None
    address_line: Label | None = None
    town: Label | None = None
    postcode: Label | None = None
    phone: Phone | None = None
    #: BCP-47 tag; ``cy`` for Welsh (DE-003)
    preferred_language: LanguageTag | None = None
    interpreter_required: bool = False
    communication_needs: tuple[CommunicationNeed, ...] = ()
    learning_disability: bool | None = None
    autism: bool | None = None
    #: the GP practice the person is registered with (an organisation record)
    gp_practice_id: LocalId | None = None

    @model_validator(mode="after")
    def _status_with_number(self) -> Self:
        if self.nhs_number is not None and self.nhs_number_status is None:
            raise field_error("nhs_number_status", "is required with an NHS number")
        if self.nhs_number is None and self.nhs_number_status is NhsNumberStatus.VERIFIED:
            raise field_error("nhs_number_status", "says verified but there is no NHS number")
        if len(set(self.communication_needs)) != len(self.communication_needs):
            raise field_error("communication_needs", "lists a need twice")
        if self.deceased is False and self.date_of_death is not None:
            # which of the two is wrong cannot be told: sharing either could harm
            raise field_error("deceased", "says the person has not died, but a date of death is given")
        return self


class LegalStatus(Dated):
    """A Mental Health Act status and when it applied (DE-006). Community statuses (CTO,
    guardianship, conditional discharge) outlive inpatient stays (DD-06)."""

    legal_status_id: LocalId
    service_user_id: LocalId
    status: LegalStatusKind


class ReasonableAdjustment(Dated):
    """A reasonable adjustment the service user needs so that services can be used by them
    (DE-002, DE-004; the Core Information Standard's "Individual requirements: reasonable
    adjustments"): what it is, in the trust's words (``adjustment``: "autistic: quiet room,
    no phone calls, text first") and/or coded (``adjustment_code``), the condition or
    impairment it is for when the record says (``condition``), from when it was recorded
    (``start_date``) and until it no longer applies (``end_date``). Shared as a Flag on the
    service user, so that whoever gives them care can make it. The words are personal
    data: they go into the record, never into a log."""

    reasonable_adjustment_id: LocalId
    service_user_id: LocalId
    adjustment: Text | None = None
    adjustment_code: ReasonableAdjustmentKind | None = None
    condition: Label | None = None

    @model_validator(mode="after")
    def _says_what(self) -> Self:
        if self.adjustment is None and self.adjustment_code is None:
            raise field_error("adjustment", "is required when there is no adjustment_code: what is the adjustment?")
        if self.adjustment is None and self.adjustment_code is ReasonableAdjustmentKind.OTHER:
            raise field_error("adjustment", "is required with adjustment_code other: only the words say what it is")
        return self


class CapacityAssessment(SourceRecord):
    """A decision-specific assessment of mental capacity (DE-009, DD-08): never a global flag."""

    capacity_assessment_id: LocalId
    service_user_id: LocalId
    decision: CapacityDecision
    outcome: CapacityOutcome
    assessed_on: date
    assessor_staff_id: LocalId | None = None
    note: Text | None = Field(default=None)
