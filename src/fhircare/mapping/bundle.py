"""One service user's records → one FHIR R4 transaction Bundle (all or nothing).

Entries refer to each other by ``urn:uuid:`` fullUrls. Each is a conditional update on
its business identifier (``PUT CarePlan?identifier=system|value``), so sending a bundle
twice changes nothing and a server keeps one copy of the trust, its teams and staff
however many bundles name them (DESIGN.md "Identity"). Provenance has no identifier in
R4 and is put by its derived id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

from fhircare.mapping.capacity import capacity_assessment
from fhircare.mapping.care_plan import care_plan, goal, look_out_for, plan_author
from fhircare.mapping.care_team import care_team
from fhircare.mapping.carer_information import carer_communication
from fhircare.mapping.clinical import medication_statement, risk_assessment
from fhircare.mapping.consent import consent
from fhircare.mapping.context import MappingContext, business_identifier
from fhircare.mapping.crisis import advance_statement, crisis_information, crisis_plan_pointer
from fhircare.mapping.dialog import dialog_care_plan, dialog_items, dialog_offer, dialog_response, dialog_scores
from fhircare.mapping.episodes import episode_of_care, inpatient_encounter, placement_encounter
from fhircare.mapping.fhir import Json
from fhircare.mapping.flags import do_not_involve_flag, nearest_relative_flag, not_involved, reasonable_adjustment_flag
from fhircare.mapping.legal import legal_status_flag, section_117_flag
from fhircare.mapping.narrative import natural_key
from fhircare.mapping.needs import about_me, need_condition
from fhircare.mapping.organisations import partner_organization, team_organization, trust_organization
from fhircare.mapping.people import patient, practitioner, practitioner_role, related_person
from fhircare.mapping.provenance import carer_information_provenance, decision_provenance, plan_agreed_provenance
from fhircare.mapping.refs import Refs
from fhircare.mapping.reviews import review_encounter
from fhircare.mapping.services import healthcare_service
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan
from fhircare.source.common import SourceRecord
from fhircare.source.local_codes import DialogStatus


@dataclass(frozen=True)
class MappedBundle:
    """The transaction Bundle of one service user, and how many resources of each type."""

    service_user_id: str
    bundle: Json
    counts: dict[str, int] = field(default_factory=dict)
    #: the source record each entry was made from (by entry index), for reports
    sources: tuple[SourceRecord, ...] = ()

    @property
    def resources(self) -> list[Json]:
        return [entry["resource"] for entry in self.bundle["entry"]]


def _resources(record: ServiceUserRecord, refs: Refs) -> Iterator[tuple[Json, SourceRecord]]:
    """Every resource of the bundle with the record it comes from, in a stable order: who
    and where first, then the service user and the flags on them, their people, capacity
    assessments, decisions, team, plans, DIALOG, what carers told the team and the
    evidence."""
    su = record.service_user
    yield trust_organization(refs.context), su
    for org in sorted(record.organisations, key=lambda o: natural_key(o.organisation_id)):
        yield partner_organization(org, refs), org
    for team in sorted(record.teams, key=lambda t: natural_key(t.team_id)):
        yield team_organization(team, refs), team
    for staff in sorted(record.staff, key=lambda s: natural_key(s.staff_id)):
        yield practitioner(staff, refs), staff
        yield practitioner_role(staff, refs), staff
    for service in sorted(record.services, key=lambda s: natural_key(s.service_id)):
        yield healthcare_service(service, refs), service
    yield patient(record, refs), su
    for person in not_involved(record):
        yield do_not_involve_flag(person, record, refs), person
        conflict = nearest_relative_flag(person, record, refs)
        if conflict is not None:
            yield conflict, person
    for status in sorted(record.legal_statuses, key=lambda s: natural_key(s.legal_status_id)):
        flag = legal_status_flag(status, record, refs)
        if flag is not None:
            yield flag, status
    for entitlement in sorted(record.section_117, key=lambda s: natural_key(s.section_117_id)):
        yield section_117_flag(entitlement, refs), entitlement
    for adjustment in sorted(record.reasonable_adjustments, key=lambda a: natural_key(a.reasonable_adjustment_id)):
        yield reasonable_adjustment_flag(adjustment, record, refs), adjustment
    for contact in sorted(record.contacts, key=lambda c: natural_key(c.contact_id)):
        yield related_person(contact, record, refs), contact
    for capacity in sorted(record.capacity_assessments, key=lambda a: natural_key(a.capacity_assessment_id)):
        yield capacity_assessment(capacity, refs), capacity
    decisions = sorted(record.consents, key=lambda c: natural_key(c.consent_id))
    for decision in decisions:
        yield consent(decision, refs), decision
    care_team_resource = care_team(record, refs)
    if care_team_resource is not None:
        yield care_team_resource, min(record.care_team, key=lambda m: natural_key(m.membership_id))
    has_care_team = care_team_resource is not None
    for episode in sorted(record.episodes, key=lambda e: natural_key(e.episode_id)):
        yield episode_of_care(episode, record, refs, has_care_team=has_care_team), episode
    for stay in sorted(record.inpatient_stays, key=lambda s: natural_key(s.stay_id)):
        yield inpatient_encounter(stay, record, refs), stay
    for placement in sorted(record.out_of_area_placements, key=lambda p: natural_key(p.placement_id)):
        yield placement_encounter(placement, record, refs), placement
    for item in sorted(record.goals, key=lambda g: natural_key(g.goal_id)):
        yield goal(item, record, refs), item
    plans = sorted(record.care_plans, key=lambda p: (p.is_sub_plan, natural_key(p.care_plan_id)))
    for plan in plans:
        yield care_plan(plan, record, refs, has_care_team=has_care_team), plan
        yield from _what_the_plan_holds(plan, record, refs)
    for review in sorted(record.reviews, key=lambda r: natural_key(r.review_id)):
        yield review_encounter(review, record, refs), review
    for risk in sorted(record.risk_assessments, key=lambda a: natural_key(a.risk_assessment_id)):
        yield risk_assessment(risk, record, refs), risk
    for medication in sorted(record.medications, key=lambda m: natural_key(m.medication_id)):
        yield medication_statement(medication, refs), medication
    for assessment in sorted(record.dialog_assessments, key=lambda d: natural_key(d.dialog_assessment_id)):
        based_on = dialog_care_plan(assessment, record)
        assert based_on is not None  # checked by the consistency rules
        if assessment.status is not DialogStatus.COMPLETED:  # declined or not appropriate: never a response
            yield dialog_offer(assessment, based_on, refs), assessment
            continue
        yield dialog_response(assessment, based_on, refs), assessment
        for score_item in dialog_items(assessment, refs):
            yield score_item, assessment
        for score in dialog_scores(assessment, refs):
            yield score, assessment
    for plan in plans:
        agreed = plan_agreed_provenance(plan, plan_author(plan, record, refs), refs)
        if agreed is not None:
            yield agreed, plan
    for decision in decisions:
        evidence = decision_provenance(decision, refs)
        if evidence is not None:
            yield evidence, decision
    for information in sorted(record.carer_information, key=lambda i: natural_key(i.carer_information_id)):
        yield carer_communication(information, refs), information
        yield carer_information_provenance(information, refs), information


def _what_the_plan_holds(plan: CarePlan, record: ServiceUserRecord, refs: Refs) -> Iterator[tuple[Json, SourceRecord]]:
    """The needs a plan addresses, what it points to, and where urgent care finds it."""
    for need in sorted(
        (n for n in record.needs if n.care_plan_id == plan.care_plan_id), key=lambda n: natural_key(n.need_id)
    ):
        yield need_condition(need, plan, refs), need
    for statement in sorted(
        (s for s in record.statements if s.care_plan_id == plan.care_plan_id), key=lambda s: natural_key(s.statement_id)
    ):
        yield about_me(statement, plan, refs), statement
    for action in look_out_for(plan, record):
        yield crisis_information(action, plan, refs), action
    if plan.advance_statement_made_on is not None:
        yield advance_statement(plan, refs), plan
    pointer = crisis_plan_pointer(plan, plan_author(plan, record, refs), refs)
    if pointer is not None:
        yield pointer, plan


def _request(resource: Json) -> Json:
    """A conditional update on the identifier the resource's id is derived from."""
    rtype, rid = resource["resourceType"], resource["id"]
    identifier = business_identifier(resource)
    if identifier is not None:
        token = quote(f"{identifier[0]}|{identifier[1]}", safe=":/|")
        return {"method": "PUT", "url": f"{rtype}?identifier={token}"}
    return {"method": "PUT", "url": f"{rtype}/{rid}"}


def map_service_user(record: ServiceUserRecord, context: MappingContext) -> MappedBundle:
    """The transaction Bundle of one service user's records (checked with
    :func:`~fhircare.mapping.consistency.check_consistency` first: the mapping assumes
    the records agree)."""
    refs = Refs(record, context)
    entries = []
    sources = []
    counts: Counter[str] = Counter()
    for resource, source in _resources(record, refs):
        counts[resource["resourceType"]] += 1
        entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource, "request": _request(resource)})
        sources.append(source)
    bundle: Json = {
        "resourceType": "Bundle",
        "id": context.key("Bundle", "bundle", record.service_user_id).id,
        "identifier": context.key("Bundle", "bundle", record.service_user_id).identifier,
        "type": "transaction",
        "entry": entries,
    }
    return MappedBundle(record.service_user_id, bundle, dict(counts), tuple(sources))
