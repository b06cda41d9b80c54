"""What a care plan says that R4 CarePlan has no element for: the care coordination
arrangement (dated, never defaulted), the next review, Section 117 after-care, the
consents and copies that govern who has it, planning exceptions, the named lead, and the
eight areas of a Welsh Care and Treatment Plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhircare.mapping.care_team import current_leads
from fhircare.mapping.fhir import (
    CODE_SYSTEM,
    STRUCTURE_DEFINITION,
    Json,
    coding,
    complex_extension,
    concept_of,
    extension,
    fhir_datetime,
    period,
)
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import MEASURE_AREAS, CarePlan, CtpArea
from fhircare.source.care_team import CareTeamMember
from fhircare.source.episode import CareArrangement
from fhircare.source.local_codes import ConsentKind
from fhircare.source.movement import Section117Entitlement

#: a plan that includes Section 117 after-care (001 ¶165: no separate after-care plan)
SECTION_117_CATEGORY = coding(CODE_SYSTEM + "care-plan-type", "section-117-aftercare")


def next_review(plan: CarePlan, record: ServiceUserRecord) -> tuple[str, Any] | None:
    """(value key, value) of the plan's next review: its date, else its timeframe in
    words (EC-73), else the next date its latest completed review set."""
    if plan.next_review_date is not None:
        return "valueDate", plan.next_review_date.isoformat()
    if plan.next_review_timeframe is not None:
        return "valueString", plan.next_review_timeframe
    reviews = [r for r in record.reviews if r.care_plan_id == plan.care_plan_id and r.completed and r.next_review_date]
    if reviews:
        latest = max(reviews, key=lambda r: (r.review_date, r.review_id))
        assert latest.next_review_date is not None
        return "valueDate", latest.next_review_date.isoformat()
    return None


def section_117_for(plan: CarePlan, record: ServiceUserRecord) -> Section117Entitlement | None:
    """The Section 117 entitlement the plan's period overlaps (the latest, if several)."""
    overlapping = [
        s
        for s in record.section_117
        if (plan.end_date is None or s.start_date <= plan.end_date)
        and (s.end_date is None or s.end_date >= plan.start_date)
    ]
    return max(overlapping, key=lambda s: (s.start_date, s.section_117_id)) if overlapping else None


def arrangements_for(episode_id: str | None, record: ServiceUserRecord) -> list[CareArrangement]:
    """The arrangements of an episode (and those recorded for no episode in particular);
    all of them when the plan or episode is not tied to one. Oldest first."""
    chosen = [a for a in record.arrangements if episode_id is None or a.episode_id in (None, episode_id)]
    return sorted(chosen, key=lambda a: (a.start_date, a.arrangement_id))


def arrangement_extensions(arrangements: list[CareArrangement]) -> list[Json]:
    return [
        complex_extension(
            STRUCTURE_DEFINITION + "care-coordination-arrangement",
            (
                ("arrangement", "valueCodeableConcept", concept_of(a.arrangement)),
                ("period", "valuePeriod", period(a.start_date, a.end_date)),
            ),
        )
        for a in arrangements
    ]


def section_117_extension(entitlement: Section117Entitlement, refs: Refs) -> Json:
    """The entitlement: on the plan that holds the after-care part, and on the patient-level
    flag; ``endAgreedBy`` names each body that has agreed it can end (R-48)."""
    health_body = refs.organisation(entitlement.health_body_organisation_id)
    local_authority = refs.organisation(entitlement.local_authority_organisation_id)
    agreed = [
        body
        for body, said in (
            (health_body, entitlement.ended_agreed_by_health_body),
            (local_authority, entitlement.ended_agreed_by_local_authority),
        )
        if said
    ]
    return complex_extension(
        STRUCTURE_DEFINITION + "section-117-aftercare",
        (
            ("period", "valuePeriod", period(entitlement.start_date, entitlement.end_date)),
            ("detentionSection", "valueCodeableConcept", concept_of(entitlement.detention_section)),
            ("responsibleOrganisation", "valueReference", health_body.reference()),
            ("responsibleOrganisation", "valueReference", local_authority.reference()),
            *(("endAgreedBy", "valueReference", body.reference()) for body in agreed),
        ),
    )


def governing_consents(plan: CarePlan, record: ServiceUserRecord) -> list[str]:
    """The disclosure decisions that govern who may have this plan: those about it (or
    about the main plan it is part of) and those about every plan."""
    scope = {None, plan.care_plan_id, plan.parent_care_plan_id}
    chosen = [c for c in record.consents if c.kind is ConsentKind.DISCLOSURE and c.care_plan_id in scope]
    return [c.consent_id for c in sorted(chosen, key=lambda c: (c.decided_at, c.consent_id))]


def plan_lead(plan: CarePlan, record: ServiceUserRecord, as_of: date) -> CareTeamMember | None:
    """The named lead of a main plan: current on the day the plan is mapped as of, or on
    its last day when it has ended (001 ¶150: clearly marked on the plan)."""
    if plan.is_sub_plan:
        return None
    day = min(as_of, plan.end_date) if plan.end_date else as_of
    leads = current_leads(record, day)
    return leads[0] if len(leads) == 1 else None


def ctp_areas_of(plan: CarePlan, record: ServiceUserRecord) -> list[CtpArea]:
    """A Welsh plan's areas, in the Measure's order."""
    areas = [a for a in record.ctp_areas if a.care_plan_id == plan.care_plan_id]
    return sorted(areas, key=lambda a: (MEASURE_AREAS.index(a.area), a.ctp_area_id))


def _ctp_area(area: CtpArea) -> Json:
    return complex_extension(
        STRUCTURE_DEFINITION + "ctp-area",
        (
            ("area", "valueCodeableConcept", concept_of(area.area)),
            ("considered", "valueBoolean", area.considered),
            ("actionNeeded", "valueBoolean", area.action_needed),
            ("outcome", "valueString", area.outcome),
        ),
    )


def plan_extensions(plan: CarePlan, record: ServiceUserRecord, refs: Refs) -> list[Json]:
    extensions = [] if plan.is_sub_plan else arrangement_extensions(arrangements_for(plan.episode_id, record))
    review = next_review(plan, record)
    if review is not None:
        extensions.append(extension(STRUCTURE_DEFINITION + "next-review", **{review[0]: review[1]}))
    entitlement = None if plan.is_sub_plan else section_117_for(plan, record)
    if entitlement is not None:
        extensions.append(section_117_extension(entitlement, refs))
    for consent_id in governing_consents(plan, record):
        extensions.append(
            extension(STRUCTURE_DEFINITION + "consent-to-share", valueReference=refs.consent(consent_id).reference())
        )
    shares = sorted(
        (s for s in record.plan_shares if s.care_plan_id == plan.care_plan_id), key=lambda s: (s.shared_at, s.share_id)
    )
    for share in shares:
        extensions.append(
            complex_extension(
                STRUCTURE_DEFINITION + "plan-shared",
                (
                    (
                        "recipient",
                        "valueReference",
                        refs.performer(share.recipient_kind, share.recipient_id).reference(),
                    ),
                    ("date", "valueDateTime", fhir_datetime(share.shared_at)),
                    (
                        "consent",
                        "valueReference",
                        refs.consent(share.consent_id).reference() if share.consent_id else None,
                    ),
                ),
            )
        )
    if plan.planning_exception is not None:
        extensions.append(
            complex_extension(
                STRUCTURE_DEFINITION + "planning-exception",
                (
                    ("type", "valueCodeableConcept", concept_of(plan.planning_exception)),
                    ("statement", "valueString", plan.planning_exception_statement),
                ),
            )
        )
    lead = plan_lead(plan, record, refs.context.as_of)
    if lead is not None and lead.member_id is not None:
        extensions.append(
            extension(
                STRUCTURE_DEFINITION + "named-lead", valueReference=refs.practitioner_role(lead.member_id).reference()
            )
        )
    extensions += [_ctp_area(a) for a in ctp_areas_of(plan, record)]
    return extensions
