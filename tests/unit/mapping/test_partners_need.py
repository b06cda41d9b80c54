"""Issue 10's done-when measures, on 500 synthetic service users in each shipped layout
(``fhircare synth --patients 500`` + mapping), each printed with its figure:

- every coding has a display (checked against the terminology: test_displays.py);
- every active crisis plan references at least one contact available 24 hours a day, 7
  days a week (resolved in the bundle: a HealthcareService whose availableTime is every
  day, all day), to use out of hours or at any time;
- no declined (or not appropriate) DIALOG is a completed response: each is a Task;
- every completed DIALOG has 11 per-item Observations with its SNOMED CT item codes, each
  a rating 1-7 or the reason it is missing;
- every review in the extract is an Encounter of the plan it reviewed;
- every Mental Health Act status (other than informal) and Section 117 entitlement is a
  Flag on the service user;
and the bundles validate with zero errors against fhircare's profiles and UK Core (on two
blocks of scenarios here; ``fhircare map --ig`` on 500 for the report).
"""

from __future__ import annotations

from typing import Any

import pytest

from fhircare.mapping.dialog import ITEM_CODES
from fhircare.source.local_codes import DialogStatus, LegalStatusKind
from fhircare.validation.api import Validator
from tests.unit.mapping.conftest import LAYOUTS, MappedRun, errors
from tests.unit.mapping.fhir_helpers import CS, SD, SNOMED, Bundle, extensions, has_code
from tests.unit.mapping.test_displays import codings, problems

WEEK = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


def around_the_clock(service: dict[str, Any]) -> bool:
    return service.get("active") is True and any(
        t.get("allDay") is True and set(t.get("daysOfWeek", [])) == WEEK for t in service.get("availableTime", [])
    )


def contacts_24_7(plan: dict[str, Any], bundle: Bundle) -> list[dict[str, Any]]:
    """The plan's crisis contacts, to use out of hours or at any time, that answer 24/7."""
    found = []
    for activity in plan.get("activity", []):
        detail = activity["detail"]
        if not has_code([detail.get("code", {})], CS + "crisis-contingency-content", "crisis-contact"):
            continue
        when = {c["code"] for e in extensions(activity, "contact-when") for c in e["valueCodeableConcept"]["coding"]}
        for performer in detail["performer"]:
            target = bundle.resolve(performer)
            usable = target["resourceType"] == "HealthcareService" and when & {"out-of-hours", "any-time"}
            if usable and around_the_clock(target):
                found.append(target)
    return found


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_coding_has_a_display(extracts_500: dict[str, MappedRun], layout: str) -> None:
    resources = [r for b in extracts_500[layout].bundles.values() for r in b.resources]
    walked = sum(len(codings(r)) for r in resources)
    print(f"\n{layout}: {walked} codings walked, {sum(problems(resources).values())} without the terminology's display")
    assert walked > 100_000 and problems(resources) == {}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_active_crisis_plan_names_a_contact_available_24_7(
    extracts_500: dict[str, MappedRun], layout: str
) -> None:
    run = extracts_500[layout]
    counted = covered = 0
    for mapped in run.bundles.values():
        bundle = Bundle(mapped)
        for plan in bundle.all("CarePlan"):
            is_crisis = has_code(plan["category"], SNOMED, "736253002") or has_code(
                plan["category"], CS + "care-plan-type", "safety-plan"
            )
            if not is_crisis or plan["status"] != "active":
                continue
            counted += 1
            covered += bool(contacts_24_7(plan, bundle))
    print(f"\n{layout}: {covered} of {counted} active crisis and safety plans name a contact available 24/7")
    assert counted >= 450 and covered == counted


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_declined_dialog_is_completed(extracts_500: dict[str, MappedRun], layout: str) -> None:
    run = extracts_500[layout]
    offers = completed = 0
    for su, record in run.records.items():
        bundle = Bundle(run.bundles[su])
        for assessment in record.dialog_assessments:
            responses = [
                r
                for r in bundle.all("QuestionnaireResponse")
                if r["identifier"]["value"] == assessment.dialog_assessment_id
            ]
            if assessment.status is DialogStatus.COMPLETED:
                assert [r["status"] for r in responses] == ["completed"]
                continue
            offers += 1
            completed += bool(responses)
            task = bundle.identified("Task", assessment.dialog_assessment_id)
            assert task["status"] == ("rejected" if assessment.status is DialogStatus.DECLINED else "cancelled")
            assert task["statusReason"]["coding"][0]["system"] == CS + "dialog-not-completed-reason"
    print(f"\n{layout}: {offers} DIALOG offers declined or not appropriate, {completed} of them a completed response")
    assert offers >= 500 // 15 and completed == 0


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_completed_dialog_has_eleven_item_scores(extracts_500: dict[str, MappedRun], layout: str) -> None:
    run = extracts_500[layout]
    responses = missing_reasons = 0
    for mapped in run.bundles.values():
        bundle = Bundle(mapped)
        items = [o for o in bundle.all("Observation") if o["meta"]["profile"] == [SD + "fhircare-dialog-item"]]
        for response in bundle.all("QuestionnaireResponse"):
            responses += 1
            mine = [o for o in items if bundle.resolve(o["derivedFrom"][0]) is response]
            assert sorted(o["code"]["coding"][0]["code"] for o in mine) == sorted(ITEM_CODES.values())
            assert all(o["code"]["coding"][0]["system"] == SNOMED for o in mine)
            for item in mine:
                assert ("valueInteger" in item) != ("dataAbsentReason" in item)
                if "valueInteger" in item:
                    assert 1 <= item["valueInteger"] <= 7
                else:
                    missing_reasons += 1
    print(
        f"\n{layout}: {responses} completed DIALOGs, each with 11 item scores ({missing_reasons} items with a reason)"
    )
    assert responses > 400 and missing_reasons > 0


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_review_is_an_encounter(extracts_500: dict[str, MappedRun], layout: str) -> None:
    run = extracts_500[layout]
    reviews = 0
    for su, record in run.records.items():
        bundle = Bundle(run.bundles[su])
        for review in record.reviews:
            reviews += 1
            encounter = bundle.identified("Encounter", review.review_id)
            assert encounter["meta"]["profile"] == [SD + "fhircare-care-plan-review"]
            [reviewed] = extensions(encounter, "reviewed-plan")
            assert bundle.resolve(reviewed["valueReference"]) is bundle.identified("CarePlan", review.care_plan_id)
    print(f"\n{layout}: {reviews} reviews in the extract, {reviews} Encounters")
    assert reviews > 300


@pytest.mark.parametrize("layout", LAYOUTS)
def test_legal_status_and_section_117_on_the_service_user(extracts_500: dict[str, MappedRun], layout: str) -> None:
    run = extracts_500[layout]
    statuses = entitlements = 0
    for su, record in run.records.items():
        bundle = Bundle(run.bundles[su])
        patient = bundle.one("Patient")
        for status in (s for s in record.legal_statuses if s.status is not LegalStatusKind.INFORMAL):
            statuses += 1
            flag = bundle.identified("Flag", status.legal_status_id)
            assert bundle.resolve(flag["subject"]) is patient
        for entitlement in record.section_117:
            entitlements += 1
            flag = bundle.identified("Flag", entitlement.section_117_id)
            assert has_code([flag["code"]], CS + "flag-code", "section-117-aftercare") and extensions(
                flag, "section-117-aftercare"
            )
            assert bundle.resolve(flag["subject"]) is patient
    print(f"\n{layout}: {statuses} Mental Health Act statuses and {entitlements} Section 117 entitlements, all Flags")
    assert statuses > 50 and entitlements > 30


@pytest.mark.parametrize("layout", LAYOUTS)
def test_bundles_validate_against_the_profiles_and_ukcore(
    mapped_runs: dict[str, MappedRun], layout: str, ukcore_validator: Validator
) -> None:
    for mapped in mapped_runs[layout].bundles.values():
        assert errors(ukcore_validator.validate(mapped.bundle)) == [], mapped.service_user_id
