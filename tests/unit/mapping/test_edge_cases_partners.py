"""Issue 10's edge cases (what partners need to act on the plan) in the synthetic
extracts of both layouts, found by what the records show (scenarios.edge_cases), and
what each becomes in FHIR."""

from __future__ import annotations

import pytest

from fhircare.source.codes import DialogItem, MedicationAlert
from fhircare.source.local_codes import DialogStatus, LegalStatusKind, NeedStatus
from fhircare.synth import DEFAULT_AS_OF, EdgeCase, edge_cases
from tests.unit.mapping.conftest import LAYOUTS, MappedRun
from tests.unit.mapping.fhir_helpers import CS, SD, SNOMED, Bundle, codes, extensions, has_code, part

ITEM_CODES = {
    "dialog-mental-health": "1037651000000100",
    "dialog-job-situation": "1037671000000109",
}


def _cases(run: MappedRun, case: EdgeCase) -> list[str]:
    found = [su for su, record in run.records.items() if case in edge_cases(record, DEFAULT_AS_OF)]
    assert found, f"no synthetic service user shows {case}"
    assert all(su in run.bundles for su in found), "every synthetic service user maps"
    return found


def _profiled(bundle: Bundle, resource_type: str, profile: str) -> list[dict[str, object]]:
    return [r for r in bundle.all(resource_type) if r["meta"]["profile"] == [SD + profile]]  # type: ignore[index]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_community_legal_status(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-006, DD-06: a community treatment order, guardianship or conditional discharge is
    a Flag on the service user, whatever plan is open, with UK Core's code where it has one."""
    run = mapped_runs[layout]
    wanted = {
        LegalStatusKind.CTO: "community-treatment-order",
        LegalStatusKind.GUARDIANSHIP: "guardianship",
        LegalStatusKind.CONDITIONAL_DISCHARGE: "conditional-discharge",
    }
    for su in _cases(run, EdgeCase.COMMUNITY_LEGAL_STATUS):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for status in (s for s in record.legal_statuses if s.status in wanted):
            flag = bundle.identified("Flag", status.legal_status_id)
            assert has_code([flag["code"]], CS + "flag-code", wanted[status.status])
            assert bundle.resolve(flag["subject"]) is bundle.one("Patient")
            assert flag["period"]["start"] == status.start_date.isoformat() and flag["status"] == "active"
            assert "Mental Health Act" in flag["code"]["text"]
            england = "https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusClassificationEngland"
            if status.status is LegalStatusKind.GUARDIANSHIP:  # England 35 is guardianship
                assert (england, "35") in codes(flag["code"])
            if status.status is LegalStatusKind.CTO:  # England has no code for a CTO: ours only
                assert {s for s, _ in codes(flag["code"])} == {CS + "flag-code"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_dialog_not_appropriate(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-60: DIALOG not appropriate is a cancelled Task with the reason: "not applicable",
    not non-compliance, and never a completed response."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.DIALOG_NOT_APPROPRIATE):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for offer in (d for d in record.dialog_assessments if d.status is DialogStatus.NOT_APPROPRIATE):
            task = bundle.identified("Task", offer.dialog_assessment_id)
            assert task["status"] == "cancelled"
            assert offer.not_appropriate_reason is not None
            assert codes(task["statusReason"]) == {
                (CS + "dialog-not-completed-reason", offer.not_appropriate_reason.value)
            }
            assert "not a missed one" in task["text"]["div"]
        assert all(r["status"] == "completed" for r in bundle.all("QuestionnaireResponse"))
        assert len(bundle.all("QuestionnaireResponse")) == sum(
            d.status is DialogStatus.COMPLETED for d in record.dialog_assessments
        )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_unmet_need(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-051/052, EC-75: every need is a Condition the plan addresses; an unmet one says why."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.UNMET_NEED):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for need in record.needs:
            condition = bundle.identified("Condition", need.need_id)
            [marker] = extensions(condition, "need-status")
            assert codes(part(marker, "status")) == {(CS + "need-status", need.status.value)}
            assert part(marker, "unmetReason") == need.unmet_reason
            if need.status is NeedStatus.UNMET:
                assert need.unmet_reason and need.unmet_reason in condition["text"]["div"]
            plan = bundle.identified("CarePlan", need.care_plan_id)
            assert any(bundle.resolve(a) is condition for a in plan["addresses"])
            assert condition["code"] == {"text": need.description}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_ctp_area_self_managed(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-76: an area considered with no action needed (self-managed) is recorded as such,
    unlike one never considered."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.CTP_AREA_SELF_MANAGED):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for area in record.ctp_areas:
            plan = bundle.identified("CarePlan", area.care_plan_id)
            [found] = [
                e for e in extensions(plan, "ctp-area") if (CS + "life-area", area.area.value) in codes(part(e, "area"))
            ]
            assert part(found, "considered") is area.considered
            assert part(found, "actionNeeded") is area.action_needed
            assert part(found, "outcome") == area.outcome


@pytest.mark.parametrize("layout", LAYOUTS)
def test_review_by_representative(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-140..145, EC-52, EC-53: a review is an Encounter of the plan it reviewed; the
    service user's attendance is said either way; a representative took part for them;
    someone invited who did not come is there, marked so."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.REVIEW_BY_REPRESENTATIVE):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for review in record.reviews:
            encounter = bundle.identified("Encounter", review.review_id)
            assert has_code(encounter["type"], SNOMED, "425268008")
            assert has_code(encounter["type"], CS + "review-type", review.review_type.value)
            [reviewed] = extensions(encounter, "reviewed-plan")
            assert bundle.resolve(reviewed["valueReference"]) is bundle.identified("CarePlan", review.care_plan_id)
            [attended] = extensions(encounter, "attended")
            assert attended["valueBoolean"] is review.service_user_attended
            assert encounter["status"] == ("finished" if review.completed else "in-progress")
            rows = [p for p in record.review_participants if p.review_id == review.review_id]
            for row in rows:
                [participant] = [
                    p
                    for p in encounter["participant"]
                    if p["individual"]["reference"].endswith(_key(bundle, row.participant_id))
                ]
                assert extensions(participant, "attended")[0]["valueBoolean"] is row.attended
                behalf = extensions(participant, "on-behalf-of-service-user")
                assert bool(behalf) is row.on_behalf_of_service_user
        assert any(p.on_behalf_of_service_user and p.attended for p in record.review_participants)


def _key(bundle: Bundle, local_id: str) -> str:
    """The fullUrl of the RelatedPerson or PractitionerRole identified by ``local_id``."""
    for kind in ("RelatedPerson", "PractitionerRole"):
        found = [r for r in bundle.all(kind) if any(i["value"] == local_id for i in r["identifier"])]
        if found:
            return str(found[0]["id"])
    raise AssertionError(local_id)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_plan_version_replaced(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DD-13: a new version of a plan replaces the old (no longer in force); the review that
    made it is of the old one."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.PLAN_VERSION_REPLACED):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for plan in (p for p in record.care_plans if p.replaces_care_plan_id):
            new = bundle.identified("CarePlan", plan.care_plan_id)
            [replaced] = new["replaces"]
            old = bundle.resolve(replaced)
            assert old is bundle.identified("CarePlan", plan.replaces_care_plan_id)  # type: ignore[arg-type]
            assert old["status"] in ("completed", "revoked") and new["status"] == "active"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_more_help_goal(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-154 (DIALOG+): a goal that came from a "more help" answer addresses that item's
    score Observation, which says more help was wanted."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.MORE_HELP_GOAL):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for goal in (g for g in record.goals if g.dialog_assessment_id):
            resource = bundle.identified("Goal", goal.goal_id)
            [addressed] = resource["addresses"]
            item = bundle.resolve(addressed)
            assert item["meta"]["profile"] == [SD + "fhircare-dialog-item"]
            assert goal.dialog_item is not None
            response = bundle.resolve(item["derivedFrom"][0])
            assert response is bundle.identified("QuestionnaireResponse", goal.dialog_assessment_id)  # type: ignore[arg-type]
            assert item["component"][0]["valueBoolean"] is True
            assert DialogItem(goal.dialog_item).life_area.value in {
                c["code"] for c in resource["category"][0]["coding"]
            }


@pytest.mark.parametrize("layout", LAYOUTS)
def test_medication_alert(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-070: a depot (with the next dose due), clozapine or lithium is a MedicationStatement
    that the main and crisis plans point to, with why it matters."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.MEDICATION_ALERT):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for medication in (m for m in record.medications if m.alert is not None):
            statement = bundle.identified("MedicationStatement", medication.medication_id)
            [alert] = extensions(statement, "medication-alert")
            assert codes(alert["valueCodeableConcept"]) == {(CS + "medication-alert", medication.alert.value)}
            due = extensions(statement, "next-dose-due")
            assert bool(due) is (medication.next_due_date is not None)
            if medication.alert is MedicationAlert.DEPOT_INJECTION:
                assert due and due[0]["valueDate"] == medication.next_due_date.isoformat()  # type: ignore[union-attr]
            if medication.status.value == "active":
                pointing = [
                    p
                    for p in bundle.all("CarePlan")
                    if any(bundle.resolve(s) is statement for s in p.get("supportingInfo", []))
                ]
                assert pointing
