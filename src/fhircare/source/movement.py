"""Admissions and discharges, leave, transfers between teams, out-of-area placements and
Section 117 after-care (§1.10, DE-007)."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import model_validator

from fhircare.source.codes import DischargeDisposition, MhaSection
from fhircare.source.common import Dated, Instant, Label, LocalId, SourceRecord, field_error
from fhircare.source.local_codes import AdmissionMethod, LeaveKind, LegalStatusKind, PlacementType, TransferStatus

#: the sections after which leaving hospital brings Section 117 after-care (001 ¶163)
SECTION_117_SECTIONS = frozenset({MhaSection.S3, MhaSection.S37, MhaSection.S45A, MhaSection.S47, MhaSection.S48})


class InpatientStay(SourceRecord):
    """An inpatient admission and, once it happened, the discharge (DE-200..205). The
    provider is the trust unless ``provider_organisation_id`` names another (an acute bed
    out of area, DE-207)."""

    stay_id: LocalId
    service_user_id: LocalId
    episode_id: LocalId | None = None
    provider_organisation_id: LocalId | None = None
    ward: Label | None = None
    admitted_at: Instant
    admission_method: AdmissionMethod
    legal_status_on_admission: LegalStatusKind
    estimated_discharge_date: date | None = None
    discharged_at: Instant | None = None
    discharge_disposition: DischargeDisposition | None = None
    #: False for an unplanned discharge (EC-20), which must be notified to the key worker
    discharge_planned: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        discharged = self.discharged_at is not None
        if discharged != (self.discharge_disposition is not None) or discharged != (self.discharge_planned is not None):
            raise field_error(
                "discharge_disposition", "discharged_at, discharge_disposition and discharge_planned go together"
            )
        if self.discharged_at is not None and self.discharged_at < self.admitted_at:
            raise field_error("discharged_at", "is before admitted_at")
        return self


class Leave(SourceRecord):
    """Leave of absence during a stay (EC-18): section 17 or informal, short or extended."""

    leave_id: LocalId
    stay_id: LocalId
    kind: LeaveKind
    start_at: Instant
    planned_end_at: Instant
    returned_at: Instant | None = None
    extended: bool = False
    gp_informed: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.planned_end_at < self.start_at:
            raise field_error("planned_end_at", "is before start_at")
        if self.returned_at is not None and self.returned_at < self.start_at:
            raise field_error("returned_at", "is before start_at")
        return self


class TeamTransfer(SourceRecord):
    """A transfer of care from one team to another (DE-206, EC-10). Until it is completed
    the key worker stays with the originating episode's team."""

    transfer_id: LocalId
    service_user_id: LocalId
    from_episode_id: LocalId
    to_team_id: LocalId
    to_episode_id: LocalId | None = None
    status: TransferStatus
    requested_on: date
    completed_on: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.status is TransferStatus.COMPLETED) != (self.completed_on is not None):
            raise field_error("completed_on", "is set exactly when the transfer is completed")
        if self.completed_on is not None and self.completed_on < self.requested_on:
            raise field_error("completed_on", "is before requested_on")
        return self


class OutOfAreaPlacement(Dated):
    """A placement with a provider outside the trust's area (DE-207, EC-13). Whether it is
    exempt from data collection is the trust's policy (004 §3.6 vs 000 §3.9), recorded."""

    placement_id: LocalId
    service_user_id: LocalId
    provider_organisation_id: LocalId
    placement_type: PlacementType
    exempt_from_data_collection: bool


class Section117Entitlement(Dated):
    """Section 117 after-care (DE-007, DD-07): from leaving hospital, after detention under
    one of the qualifying sections, until both the ICB (Wales: local health board) and the
    local authority agree it has ended (R-48). Independent of episodes (EC-25)."""

    section_117_id: LocalId
    service_user_id: LocalId
    detention_section: MhaSection
    health_body_organisation_id: LocalId
    local_authority_organisation_id: LocalId
    ended_agreed_by_health_body: bool = False
    ended_agreed_by_local_authority: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.detention_section not in SECTION_117_SECTIONS:
            raise field_error("detention_section", "does not give Section 117 after-care (s3, s37, s45A, s47, s48)")
        both = self.ended_agreed_by_health_body and self.ended_agreed_by_local_authority
        if self.end_date is not None and not both:
            raise field_error("end_date", "needs the agreement of both the health body and the local authority")
        if self.end_date is None and both:
            raise field_error("end_date", "is required once both bodies agreed the entitlement ended")
        return self
