"""The source models: strict, frozen, their record rules, and equality without origin."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from fhircare.source.care_plan import CarePlan, CarePlanAction
from fhircare.source.care_team import CareTeamMember, StaffMember
from fhircare.source.carers import ConsentDecision, Contact
from fhircare.source.codes import (
    ActivityStatus,
    CarePlanStatus,
    CarePlanType,
    ContactRole,
    CoordinationRole,
    DataAbsentReason,
    DialogItem,
    DialogTimepoint,
    MhaSection,
    Relationship,
)
from fhircare.source.common import Origin
from fhircare.source.dialog import DialogAssessment, DialogRating
from fhircare.source.local_codes import (
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
    DialogCompletionMethod,
    DialogStatus,
    LegalBasis,
    MemberKind,
    PerformerKind,
    SharedInformation,
)
from fhircare.source.movement import Section117Entitlement

WHEN = datetime(2025, 1, 20, 10, 30, tzinfo=UTC)


def plan(**fields: object) -> CarePlan:
    base: dict[str, object] = {
        "care_plan_id": "CP1",
        "service_user_id": "P1",
        "plan_type": CarePlanType.PCSP,
        "version": 1,
        "status": CarePlanStatus.ACTIVE,
        "created_on": date(2025, 2, 1),
        "start_date": date(2025, 2, 1),
        "service_user_contributed": True,
    }
    return CarePlan.model_validate(base | fields)


def rule_errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    """Record-rule errors by the field they name (what readers report the column of)."""
    return {e["ctx"]["field"]: e["ctx"]["reason"] for e in exc.value.errors() if e["type"] == "record_rule"}


def test_models_are_strict_and_frozen() -> None:
    with pytest.raises(ValidationError):
        plan(start_date="2025-02-01")  # a string is not a date: readers convert, models do not
    with pytest.raises(ValidationError):
        plan(version="1")
    record = plan()
    with pytest.raises(ValidationError):
        record.version = 2  # type: ignore[misc]
    with pytest.raises(ValidationError):
        plan(unknown_field=1)


def test_json_form_accepts_iso_dates_and_codes() -> None:
    record = CarePlan.model_validate_json(plan().model_dump_json())
    assert record == plan()


def test_equality_and_hash_ignore_origin() -> None:
    a = plan(origin=Origin(file="a.csv", line=2))
    b = plan(origin=Origin(file="b.jsonl", line=9))
    assert a == b and hash(a) == hash(b)
    assert a != plan(version=2)
    assert "origin" not in a.model_dump()


def test_a_plan_without_the_service_user_needs_a_planning_exception() -> None:
    with pytest.raises(ValidationError) as exc:
        plan(service_user_contributed=False)
    assert "planning_exception" in rule_errors(exc)


def test_end_before_start_names_the_end() -> None:
    with pytest.raises(ValidationError) as exc:
        plan(end_date=date(2025, 1, 1))
    assert rule_errors(exc) == {"end_date": "is before start_date"}


def test_performers_need_ids_except_the_service_user() -> None:
    common = {"action_id": "A1", "care_plan_id": "CP1", "description": "x", "status": ActivityStatus.IN_PROGRESS}
    CarePlanAction(**common, performer_kind=PerformerKind.SERVICE_USER)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as exc:
        CarePlanAction(**common, performer_kind=PerformerKind.CARER)  # type: ignore[arg-type]
    assert "performer_id" in rule_errors(exc)


def test_young_carer_only_with_the_carer_role_and_do_not_involve_never_a_carer() -> None:
    base = {"contact_id": "C1", "service_user_id": "P1", "relationship": Relationship.SON}
    Contact.model_validate(base | {"roles": (ContactRole.CARER,), "young_carer": True})
    with pytest.raises(ValidationError, match="young_carer"):
        Contact.model_validate(base | {"young_carer": True})
    with pytest.raises(ValidationError, match="do_not_involve"):
        Contact.model_validate(
            base | {"roles": (ContactRole.CARER,), "do_not_involve": True, "do_not_involve_recorded_at": WHEN}
        )


def test_consent_rules() -> None:
    base = {"consent_id": "CN1", "service_user_id": "P1", "decided_at": WHEN}
    disclosure = base | {"kind": ConsentKind.DISCLOSURE, "decided_by": ConsentDecider.SERVICE_USER}
    ConsentDecision.model_validate(disclosure | {"decision": ConsentDecisionType.PERMIT, "recipient_contact_id": "C1"})
    with pytest.raises(ValidationError, match="rationale"):  # a refusal records why (DE-175)
        ConsentDecision.model_validate(
            disclosure | {"decision": ConsentDecisionType.DENY, "recipient_contact_id": "C1"}
        )
    with pytest.raises(ValidationError, match="exactly one"):
        ConsentDecision.model_validate(disclosure | {"decision": ConsentDecisionType.PERMIT})
    collection = base | {"kind": ConsentKind.COLLECTION, "decision": ConsentDecisionType.DENY}
    ConsentDecision.model_validate(collection | {"decided_by": ConsentDecider.CONTACT, "decided_by_contact_id": "C1"})
    with pytest.raises(ValidationError, match="collection"):
        ConsentDecision.model_validate(collection | {"decided_by": ConsentDecider.SERVICE_USER})


def test_dialog_ratings_are_keyed_by_item_and_complete() -> None:
    base = {
        "dialog_assessment_id": "D1",
        "service_user_id": "P1",
        "timepoint": DialogTimepoint.BASELINE,
        "offered_at": WHEN,
    }
    ratings = [DialogRating(item=item, rating=4) for item in reversed(DialogItem)]
    done = DialogAssessment.model_validate(
        base
        | {
            "status": DialogStatus.COMPLETED,
            "completed_at": WHEN,
            "completion_method": DialogCompletionMethod.TEXT_LINK,
            "ratings": tuple(ratings),
        }
    )
    assert [r.item for r in done.ratings] == list(DialogItem)  # policy order whatever the input order
    assert done.rating_for(DialogItem.MEETINGS) == DialogRating(item=DialogItem.MEETINGS, rating=4)
    with pytest.raises(ValidationError, match="missing: dialog-meetings"):
        DialogAssessment.model_validate(
            base
            | {
                "status": DialogStatus.COMPLETED,
                "completed_at": WHEN,
                "completion_method": DialogCompletionMethod.TEXT_LINK,
                "ratings": tuple(ratings[1:]),
            }
        )
    with pytest.raises(ValidationError, match="rating"):
        DialogRating(item=DialogItem.MEETINGS, rating=8)
    # fifth layout trial: an item not answered was told "a rating or a reason, not both"
    with pytest.raises(ValidationError, match="has neither a rating 1-7 nor a not-rated reason"):
        DialogRating(item=DialogItem.MEETINGS)
    with pytest.raises(ValidationError, match="has both a rating and a not-rated reason"):
        DialogRating(item=DialogItem.MEETINGS, rating=4, not_rated_reason=DataAbsentReason.ASKED_DECLINED)
    with pytest.raises(ValidationError, match="declined_reason"):
        DialogAssessment.model_validate(base | {"status": DialogStatus.DECLINED})


def test_section_117_ends_only_with_both_bodies() -> None:
    base = {
        "section_117_id": "S1",
        "service_user_id": "P1",
        "detention_section": MhaSection.S3,
        "start_date": date(2024, 1, 1),
        "health_body_organisation_id": "ICB",
        "local_authority_organisation_id": "LA",
    }
    with pytest.raises(ValidationError, match="both"):
        Section117Entitlement.model_validate(base | {"end_date": date(2025, 1, 1), "ended_agreed_by_health_body": True})
    with pytest.raises(ValidationError, match="detention_section"):
        Section117Entitlement.model_validate(base | {"detention_section": MhaSection.S17_LEAVE})


def test_staff_members_need_a_role_people_do_not() -> None:
    base = {"membership_id": "M1", "service_user_id": "P1", "team_id": "T1", "start_date": date(2025, 1, 1)}
    CareTeamMember.model_validate(base | {"member_kind": MemberKind.CONTACT, "member_id": "C1"})
    with pytest.raises(ValidationError, match="coordination_role"):
        CareTeamMember.model_validate(base | {"member_kind": MemberKind.STAFF, "member_id": "S1"})
    key_worker = CareTeamMember.model_validate(
        base | {"member_kind": MemberKind.STAFF, "member_id": "S1", "coordination_role": CoordinationRole.KEY_WORKER}
    )
    assert key_worker.is_key_worker and key_worker.current_on(date(2025, 6, 1))


def test_times_in_the_repeated_autumn_hour_compare_by_instant() -> None:
    """01:15 on 27 October 2024 happened twice in London; a record holds the instant with
    its offset, so the same instant read from a local time or an ISO offset is equal."""
    from zoneinfo import ZoneInfo

    from fhircare.source.carers import CarerInformation

    local = datetime(2024, 10, 27, 1, 15, tzinfo=ZoneInfo("Europe/London"))  # first time: BST
    base = {"carer_information_id": "I1", "contact_id": "C1", "summary": "x", "withhold_from_service_user": False}
    a = CarerInformation.model_validate(base | {"received_at": local})
    b = CarerInformation.model_validate_json(
        '{"carer_information_id": "I1", "contact_id": "C1", "summary": "x", "withhold_from_service_user": false,'
        ' "received_at": "2024-10-27T01:15:00+01:00"}'
    )
    assert a == b and hash(a) == hash(b)
    assert a.received_at.utcoffset() == b.received_at.utcoffset()


def test_every_lead_role_is_a_lead_and_a_lead_is_a_person() -> None:
    """The named lead is whichever lead role the arrangement uses; cover roles are not leads."""
    leads = {r for r in CoordinationRole if r.is_lead}
    assert leads == {
        CoordinationRole.KEY_WORKER, CoordinationRole.CARE_COORDINATOR, CoordinationRole.LEAD_CLINICIAN,
        CoordinationRole.LEAD_PROFESSIONAL, CoordinationRole.TEMPORARY_CARE_COORDINATOR, CoordinationRole.NAMED_NURSE,
        CoordinationRole.TCP_CASE_MANAGER,
    }  # fmt: skip
    base = {"membership_id": "M1", "service_user_id": "P1", "team_id": "T1", "start_date": date(2025, 1, 1)}
    care_coordinator = CareTeamMember.model_validate(
        base
        | {"member_kind": MemberKind.STAFF, "member_id": "S1", "coordination_role": CoordinationRole.CARE_COORDINATOR}
    )
    assert care_coordinator.is_lead and not care_coordinator.is_key_worker
    with pytest.raises(ValidationError) as exc:  # a team cannot be the named lead (001 ¶150)
        CareTeamMember.model_validate(
            base | {"member_kind": MemberKind.TEAM, "member_id": "T1", "coordination_role": CoordinationRole.KEY_WORKER}
        )
    assert "member_kind" in rule_errors(exc)
    with pytest.raises(ValidationError) as exc:  # only a lead is a lead by default
        CareTeamMember.model_validate(
            base
            | {"member_kind": MemberKind.STAFF, "member_id": "S1", "coordination_role": CoordinationRole.TEAM_MANAGER}
            | {"defaulted": True}
        )
    assert "defaulted" in rule_errors(exc)


def test_a_person_not_to_be_involved_is_no_emergency_contact() -> None:
    base = {"contact_id": "C1", "service_user_id": "P1", "relationship": Relationship.FATHER}
    not_involved = base | {"do_not_involve": True, "do_not_involve_recorded_at": WHEN}
    Contact.model_validate(not_involved | {"roles": (ContactRole.NEAREST_RELATIVE, ContactRole.NEXT_OF_KIN)})
    with pytest.raises(ValidationError, match="emergency contact"):
        Contact.model_validate(not_involved | {"roles": (ContactRole.EMERGENCY_CONTACT,)})


def test_what_a_consent_covers_and_its_basis() -> None:
    base = {
        "consent_id": "CN1", "service_user_id": "P1", "kind": ConsentKind.DISCLOSURE,
        "decision": ConsentDecisionType.PERMIT, "decided_at": WHEN,
    }  # fmt: skip
    own = base | {"decided_by": ConsentDecider.SERVICE_USER, "recipient_contact_id": "C1"}
    assert ConsentDecision.model_validate(own).scope is SharedInformation.CARE_PLANS  # a permit that says nothing
    refusal = own | {"decision": ConsentDecisionType.DENY, "rationale": "x"}
    assert ConsentDecision.model_validate(refusal).scope is None  # a refusal that says nothing: everything
    with pytest.raises(ValidationError, match="names a plan"):
        ConsentDecision.model_validate(own | {"shares": SharedInformation.DIALOG, "care_plan_id": "CP1"})
    with pytest.raises(ValidationError, match="capacity_assessment_id"):  # best interests rest on an assessment
        ConsentDecision.model_validate(own | {"decided_by": ConsentDecider.BEST_INTERESTS, "decided_by_staff_id": "S1"})
    best = own | {
        "decided_by": ConsentDecider.BEST_INTERESTS,
        "decided_by_staff_id": "S1",
        "capacity_assessment_id": "MC1",
    }
    ConsentDecision.model_validate(best)
    staff = base | {"decided_by": ConsentDecider.STAFF, "decided_by_staff_id": "S1", "recipient_organisation_id": "LA"}
    with pytest.raises(ValidationError, match="legal duty or to break confidence"):
        ConsentDecision.model_validate(staff)
    with pytest.raises(ValidationError, match="Section 117"):
        ConsentDecision.model_validate(staff | {"legal_basis": LegalBasis.SECTION_117})
    ConsentDecision.model_validate(
        staff | {"legal_basis": LegalBasis.SECTION_117, "shares": SharedInformation.SECTION_117}
    )
    with pytest.raises(ValidationError, match="owed to a public body"):
        ConsentDecision.model_validate(own | {"legal_basis": LegalBasis.CARE_ACT, "decided_by": ConsentDecider.STAFF,
                                              "decided_by_staff_id": "S1"})  # fmt: skip
    with pytest.raises(ValidationError, match="override"):  # confidence is broken by staff, never by a refusal
        ConsentDecision.model_validate(refusal | {"override": True})
    ConsentDecision.model_validate(staff | {"override": True, "rationale": "Risk to life."})
    carer = base | {
        "decided_by": ConsentDecider.CONTACT,
        "decided_by_contact_id": "C1",
        "recipient_organisation_id": "LA",
    }
    with pytest.raises(ValidationError, match="only that"):  # a carer decides about their own details only
        ConsentDecision.model_validate(carer)
    ConsentDecision.model_validate(
        carer | {"shares": SharedInformation.CARER_DETAILS, "legal_basis": LegalBasis.CARERS_ASSESSMENT}
    )


@pytest.mark.parametrize("number", ["PYL12345", "ODP123456", "HAD01234", "OT12345", "PA123456"])
def test_every_hcpc_register_prefix_is_read(number: str) -> None:
    """The HCPC register numbers practitioner psychologists (PYL), operating department
    practitioners (ODP) and hearing aid dispensers (HAD) with three letters: a trial of a new
    layout found a real psychologist's number refused, and with it every service user whose
    care team named them (2026-12-07)."""
    staff = StaffMember(staff_id="S1", family_name="Doe", given_name="Jo", team_id="T1", hcpc_number=number)
    assert staff.hcpc_number == number


@pytest.mark.parametrize("number", ["P12345", "PYLX12345", "pyl12345", "PYL1234"])
def test_what_is_not_an_hcpc_number_is_refused(number: str) -> None:
    with pytest.raises(ValidationError, match="hcpc_number"):
        StaffMember(staff_id="S1", family_name="Doe", given_name="Jo", team_id="T1", hcpc_number=number)
