"""The keys of the resources one service user's bundle holds, and their records by id.

Every reference inside a bundle is to a ``urn:uuid:`` fullUrl made from a
:class:`~fhircare.mapping.context.ResourceKey`; this is where each kind of source
record gets its key, so that a record and every reference to it agree.
"""

from __future__ import annotations

from fhircare.mapping.context import ODS_ORGANISATION_CODE, MappingContext, ResourceKey
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan, Goal
from fhircare.source.care_team import Organisation, Service, StaffMember, Team
from fhircare.source.carers import ConsentDecision, Contact
from fhircare.source.local_codes import MemberKind, PerformerKind

#: a care team member's kind as the kind of performer it is
MEMBER_AS_PERFORMER = {
    MemberKind.SERVICE_USER: PerformerKind.SERVICE_USER,
    MemberKind.CONTACT: PerformerKind.CARER,
    MemberKind.STAFF: PerformerKind.STAFF,
    MemberKind.TEAM: PerformerKind.TEAM,
    MemberKind.ORGANISATION: PerformerKind.PARTNER_ORGANISATION,
}


class Refs:
    """Look-ups and keys for one service user's records (built once per bundle)."""

    def __init__(self, record: ServiceUserRecord, context: MappingContext) -> None:
        self.record = record
        self.context = context
        self.staff: dict[str, StaffMember] = {s.staff_id: s for s in record.staff}
        self.teams: dict[str, Team] = {t.team_id: t for t in record.teams}
        self.organisations: dict[str, Organisation] = {o.organisation_id: o for o in record.organisations}
        self.services: dict[str, Service] = {s.service_id: s for s in record.services}
        self.contacts: dict[str, Contact] = {c.contact_id: c for c in record.contacts}
        self.care_plans: dict[str, CarePlan] = {p.care_plan_id: p for p in record.care_plans}
        self.goals: dict[str, Goal] = {g.goal_id: g for g in record.goals}
        self.consents: dict[str, ConsentDecision] = {c.consent_id: c for c in record.consents}
        self.patient = context.key("Patient", "service_user", record.service_user_id)
        self.care_team = context.key("CareTeam", "care_team", record.service_user_id)
        self.trust = context.trust_key

    # --- directory ------------------------------------------------------------------

    def practitioner(self, staff_id: str) -> ResourceKey:
        return self.context.key("Practitioner", "staff", staff_id)

    def practitioner_role(self, staff_id: str) -> ResourceKey:
        """A member of staff in their team: what care teams, plans and actions refer to."""
        return self.context.key("PractitionerRole", "practitioner_role", staff_id)

    def team(self, team_id: str) -> ResourceKey:
        return self.context.key("Organization", "team", team_id)

    def organisation(self, organisation_id: str) -> ResourceKey:
        """A partner organisation: by its ODS code where it has one, so that every trust
        sending to the shared record refers to the same GP practice or council."""
        org = self.organisations[organisation_id]
        if org.ods_code is not None:
            return ResourceKey("Organization", ODS_ORGANISATION_CODE, org.ods_code)
        return self.context.key("Organization", "organisation", organisation_id)

    def service(self, service_id: str) -> ResourceKey:
        """A crisis or urgent care contact (shared: the same in every bundle)."""
        return self.context.key("HealthcareService", "service", service_id)

    def service_provider(self, service: Service) -> ResourceKey:
        """Who provides a service: a partner, else the team's organisation, else the trust."""
        if service.organisation_id is not None:
            return self.organisation(service.organisation_id)
        if service.team_id is not None:
            return self.team_parent(self.teams[service.team_id])
        return self.trust

    def team_parent(self, team: Team) -> ResourceKey:
        """The organisation a team belongs to: a partner, or the trust itself."""
        return self.trust if team.organisation_id is None else self.organisation(team.organisation_id)

    # --- the service user's own records ----------------------------------------------

    def contact(self, contact_id: str) -> ResourceKey:
        return self.context.key("RelatedPerson", "contact", contact_id)

    def care_plan(self, care_plan_id: str) -> ResourceKey:
        return self.context.key("CarePlan", "care_plan", care_plan_id)

    def goal(self, goal_id: str) -> ResourceKey:
        return self.context.key("Goal", "goal", goal_id)

    def consent(self, consent_id: str) -> ResourceKey:
        return self.context.key("Consent", "consent_decision", consent_id)

    def dialog(self, dialog_assessment_id: str) -> ResourceKey:
        return self.context.key("QuestionnaireResponse", "dialog_assessment", dialog_assessment_id)

    def episode(self, episode_id: str) -> ResourceKey:
        return self.context.key("EpisodeOfCare", "care_episode", episode_id)

    def encounter(self, kind: str, local_id: str) -> ResourceKey:
        return self.context.key("Encounter", kind, local_id)

    def flag(self, code: str, contact_id: str) -> ResourceKey:
        """A flag about one contact (``do-not-involve``, ``nearest-relative-not-involved``)."""
        return self.context.key("Flag", f"flag_{code.replace('-', '_')}", contact_id)

    def capacity_assessment(self, capacity_assessment_id: str) -> ResourceKey:
        return self.context.key("Observation", "capacity_assessment", capacity_assessment_id)

    def carer_information(self, carer_information_id: str) -> ResourceKey:
        return self.context.key("Communication", "carer_information", carer_information_id)

    def need(self, need_id: str) -> ResourceKey:
        return self.context.key("Condition", "care_plan_need", need_id)

    def statement(self, statement_id: str) -> ResourceKey:
        return self.context.key("Observation", "plan_statement", statement_id)

    def crisis_information(self, action_id: str) -> ResourceKey:
        """A trigger, early warning sign or what helps (a crisis plan's content row)."""
        return self.context.key("Observation", "crisis_plan_information", action_id)

    def advance_statement(self, care_plan_id: str) -> ResourceKey:
        return self.context.key("Observation", "advance_statement", care_plan_id)

    def crisis_plan_pointer(self, care_plan_id: str) -> ResourceKey:
        return self.context.key("DocumentReference", "crisis_plan_pointer", care_plan_id)

    def review(self, review_id: str) -> ResourceKey:
        return self.context.key("Encounter", "care_plan_review", review_id)

    def legal_status(self, legal_status_id: str) -> ResourceKey:
        return self.context.key("Flag", "legal_status", legal_status_id)

    def reasonable_adjustment(self, reasonable_adjustment_id: str) -> ResourceKey:
        return self.context.key("Flag", "reasonable_adjustment", reasonable_adjustment_id)

    def section_117(self, section_117_id: str) -> ResourceKey:
        return self.context.key("Flag", "section_117", section_117_id)

    def risk_assessment(self, risk_assessment_id: str) -> ResourceKey:
        return self.context.key("RiskAssessment", "risk_assessment", risk_assessment_id)

    def medication(self, medication_id: str) -> ResourceKey:
        return self.context.key("MedicationStatement", "medication", medication_id)

    def dialog_item(self, dialog_assessment_id: str, item: str) -> ResourceKey:
        """One DIALOG item's score (``item``: its linkId)."""
        return self.context.key("Observation", "dialog_item", f"{dialog_assessment_id}-{item}")

    def dialog_offer(self, dialog_assessment_id: str) -> ResourceKey:
        """An offer of DIALOG that was not rated (a Task, never a response)."""
        return self.context.key("Task", "dialog_assessment", dialog_assessment_id)

    # --- who does or receives something -----------------------------------------------

    def performer(self, kind: PerformerKind, local_id: str | None) -> ResourceKey:
        """The resource a performer, recipient or goal holder of some kind is."""
        if kind is PerformerKind.SERVICE_USER:
            return self.patient
        assert local_id is not None  # the source model requires an id for every other kind
        if kind is PerformerKind.CARER:
            return self.contact(local_id)
        if kind is PerformerKind.STAFF:
            return self.practitioner_role(local_id)
        if kind is PerformerKind.TEAM:
            return self.team(local_id)
        if kind is PerformerKind.SERVICE:
            return self.service(local_id)
        return self.organisation(local_id)

    def told_by_withholding_carer(self, kind: PerformerKind, local_id: str | None) -> bool:
        """The carer or contact who noticed or said this asked that what they tell the team
        is not passed on to the service user (DE-178, IS-13): what they told is labelled
        withheld wherever it goes, and left out of what the service user is given."""
        contact = self.contacts.get(local_id) if kind is PerformerKind.CARER and local_id else None
        return contact is not None and contact.withhold_from_service_user

    def member(self, kind: MemberKind, local_id: str | None) -> ResourceKey:
        """The resource a care team member of some kind is."""
        return self.performer(MEMBER_AS_PERFORMER[kind], local_id)
