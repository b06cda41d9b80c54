"""One service user's records, validated together: what the readers yield and the mapping
stage consumes.

Records are held flat, one tuple per record type, each sorted by its id, so the same data
gives an equal bundle whatever the extract's layout or row order. A bundle also carries
the directory entries (staff, teams, organisations) its records refer to, so that it can
be mapped on its own. The readers guarantee that every id a record refers to resolves
inside the bundle.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from fhircare.source.care_plan import (
    CarePlan,
    CarePlanAction,
    CarePlanNeed,
    CarePlanReview,
    CtpArea,
    Goal,
    PlanShare,
    PlanStatement,
    ReviewParticipant,
)
from fhircare.source.care_team import CareTeamMember, Organisation, Service, StaffMember, Team
from fhircare.source.carers import CarerInformation, CarersAssessment, ConsentDecision, Contact
from fhircare.source.clinical import Medication, RiskAssessment, RiskFactor
from fhircare.source.common import SourceModel, SourceRecord
from fhircare.source.dialog import DialogAssessment
from fhircare.source.episode import CareArrangement, CareEpisode
from fhircare.source.movement import InpatientStay, Leave, OutOfAreaPlacement, Section117Entitlement, TeamTransfer
from fhircare.source.service_user import CapacityAssessment, LegalStatus, ReasonableAdjustment, ServiceUser


class ServiceUserRecord(SourceModel):
    service_user: ServiceUser
    legal_statuses: tuple[LegalStatus, ...] = ()
    reasonable_adjustments: tuple[ReasonableAdjustment, ...] = ()
    capacity_assessments: tuple[CapacityAssessment, ...] = ()
    episodes: tuple[CareEpisode, ...] = ()
    arrangements: tuple[CareArrangement, ...] = ()
    transfers: tuple[TeamTransfer, ...] = ()
    care_plans: tuple[CarePlan, ...] = ()
    needs: tuple[CarePlanNeed, ...] = ()
    goals: tuple[Goal, ...] = ()
    actions: tuple[CarePlanAction, ...] = ()
    statements: tuple[PlanStatement, ...] = ()
    ctp_areas: tuple[CtpArea, ...] = ()
    reviews: tuple[CarePlanReview, ...] = ()
    review_participants: tuple[ReviewParticipant, ...] = ()
    plan_shares: tuple[PlanShare, ...] = ()
    care_team: tuple[CareTeamMember, ...] = ()
    contacts: tuple[Contact, ...] = ()
    carers_assessments: tuple[CarersAssessment, ...] = ()
    carer_information: tuple[CarerInformation, ...] = ()
    consents: tuple[ConsentDecision, ...] = ()
    dialog_assessments: tuple[DialogAssessment, ...] = ()
    inpatient_stays: tuple[InpatientStay, ...] = ()
    leave: tuple[Leave, ...] = ()
    out_of_area_placements: tuple[OutOfAreaPlacement, ...] = ()
    section_117: tuple[Section117Entitlement, ...] = ()
    risk_assessments: tuple[RiskAssessment, ...] = ()
    risk_factors: tuple[RiskFactor, ...] = ()
    medications: tuple[Medication, ...] = ()
    #: directory entries the records above refer to
    staff: tuple[StaffMember, ...] = ()
    teams: tuple[Team, ...] = ()
    organisations: tuple[Organisation, ...] = ()
    services: tuple[Service, ...] = ()

    @property
    def service_user_id(self) -> str:
        return self.service_user.service_user_id

    def records(self) -> Iterator[SourceRecord]:
        """Every record of the bundle, the service user first."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, tuple):
                yield from value
            else:
                yield value

    # --- look-ups the mapping needs ---------------------------------------------------

    def care_plan(self, care_plan_id: str) -> CarePlan | None:
        return next((p for p in self.care_plans if p.care_plan_id == care_plan_id), None)

    def goals_of(self, care_plan_id: str) -> tuple[Goal, ...]:
        return tuple(g for g in self.goals if g.care_plan_id == care_plan_id)

    def actions_of(self, care_plan_id: str) -> tuple[CarePlanAction, ...]:
        return tuple(a for a in self.actions if a.care_plan_id == care_plan_id)

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.contact_id == contact_id), None)

    def staff_member(self, staff_id: str) -> StaffMember | None:
        return next((s for s in self.staff if s.staff_id == staff_id), None)

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.team_id == team_id), None)

    def organisation(self, organisation_id: str) -> Organisation | None:
        return next((o for o in self.organisations if o.organisation_id == organisation_id), None)

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.service_id == service_id), None)

    def leads_on(self, day: date) -> tuple[CareTeamMember, ...]:
        """The care team's named leads (in any lead role) whose period includes ``day``.

        A handover written as the old allocation ending on the day the new one starts (as
        many EPRs write it) gives the new lead alone on that day: both periods include it,
        but the service user has one lead at a time, and reading both as current rejected
        them on every such day (fifth layout trial). A lead who started before ``day`` and
        goes on past it is still a second lead beside one starting that day."""
        leads = tuple(m for m in self.care_team if m.is_lead and m.current_on(day))
        if any(m.start_date == day for m in leads):
            leads = tuple(m for m in leads if not (m.end_date == day and m.start_date < day))
        return leads

    def capacity_assessment(self, capacity_assessment_id: str) -> CapacityAssessment | None:
        return next((a for a in self.capacity_assessments if a.capacity_assessment_id == capacity_assessment_id), None)
