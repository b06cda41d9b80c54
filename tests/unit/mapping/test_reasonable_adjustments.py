"""A service user's reasonable adjustments (DE-002, DE-004; the Core Information Standard's
"Individual requirements: reasonable adjustments (flag 1108111000000107)") are Flags on the
service user, as data partners can find, not only words in the Patient narrative."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from fhircare.mapping import MappingContext
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.codes import CareCoordinationArrangement, CoordinationRole
from fhircare.source.local_codes import ReasonableAdjustmentKind
from fhircare.source.mapping_file import TrustMapping
from fhircare.source.service_user import ReasonableAdjustment
from fhircare.validation.api import Validator
from tests.unit.mapping import hand_built as hb
from tests.unit.mapping.conftest import AS_OF
from tests.unit.mapping.fhir_helpers import CS, SD
from tests.unit.mapping.test_safe_to_share import mapped

SNOMED = "http://snomed.info/sct"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"


@pytest.fixture(scope="module")
def context(layouts: dict[str, TrustMapping]) -> MappingContext:
    return MappingContext.from_mapping(layouts["rio-like"], as_of=AS_OF)


def _with(record: ServiceUserRecord, *adjustments: ReasonableAdjustment) -> ServiceUserRecord:
    return record.model_copy(update={"reasonable_adjustments": adjustments})


def _adjustment(local_id: str, **fields: object) -> ReasonableAdjustment:
    return ReasonableAdjustment.model_validate(
        {"reasonable_adjustment_id": local_id, "service_user_id": hb.SU, "start_date": date(2025, 3, 3), **fields}
    )


def test_a_reasonable_adjustment_is_a_flag_on_the_service_user(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """The gap: "autistic: quiet room, no phone calls, text first" reached partners only as
    words of the Patient narrative, and no reasonable adjustment Flag existed. Now one Flag
    per adjustment: active, on the Patient, coded with the Core Information Standard's flag
    (SNOMED CT 1108111000000107 and its display), the adjustment's own words in code.text
    (what a system that shows only text shows), its kind among the categories, the
    condition it is for in an extension and said in the narrative; labelled restricted
    like the rest of the mental health record; valid against fhircare's profile and UK
    Core. Someone with no adjustment has no such Flag."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)
    none = mapped(record, context, profiles_validator)
    assert not [f for f in none.all("Flag") if f["code"]["coding"][0]["code"] == "1108111000000107"]
    quiet = _adjustment(
        "HB-RA1",
        adjustment="Quiet room, no phone calls, text first",
        adjustment_code=ReasonableAdjustmentKind.CONTACT_METHOD,
        condition="autism",
    )
    bundle = mapped(_with(record, quiet), context, profiles_validator, ukcore_validator)
    flag = bundle.identified("Flag", "HB-RA1")
    assert flag["meta"]["profile"] == [SD + "fhircare-flag"]
    assert flag["status"] == "active"
    assert flag["code"]["coding"] == [
        {"system": SNOMED, "code": "1108111000000107", "display": "Reasonable adjustment flag"}
    ]
    assert flag["code"]["text"] == "Reasonable adjustment for autism: Quiet room, no phone calls, text first"
    assert [c["coding"][0] for c in flag["category"]] == [
        {"system": FLAG_CATEGORY, "code": "contact", "display": "Subject Contact"},
        {
            "system": CS + "reasonable-adjustment",
            "code": "contact-method",
            "display": "Needs to be contacted in a particular way",
        },
    ]
    assert flag["extension"] == [{"url": SD + "reasonable-adjustment-condition", "valueString": "autism"}]
    [patient] = bundle.all("Patient")
    assert flag["subject"] == {"reference": f"urn:uuid:{patient['id']}"}
    assert flag["period"] == {"start": "2025-03-03"}
    labels = {(s["system"].rsplit("/", 1)[1], s["code"]) for s in flag["meta"]["security"]}
    assert labels == {("v3-Confidentiality", "R"), ("v3-ActCode", "PSY")}
    assert flag["text"]["status"] == "extensions"  # the condition is said from the extension
    assert flag["text"]["div"].split("<p>")[1:] == [
        "Reasonable adjustment for autism: Quiet room, no phone calls, text first.</p>",
        "Needs to be contacted in a particular way.</p>",
        "Recorded on 3 March 2025.</p></div>",
    ]


def test_a_reasonable_adjustment_given_only_as_a_code_or_only_in_words(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """A trust may code an adjustment without words (its code's words are then said), or
    write words without a code (no kind among the categories); the narrative then comes
    wholly from core elements. One no longer needed (ended before the day of the run) is
    inactive, its period closed, and says so; one ending later is still active."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)
    coded = _adjustment("HB-RA1", adjustment_code=ReasonableAdjustmentKind.EASY_READ)
    worded = _adjustment("HB-RA2", adjustment="Needs a BSL interpreter at every appointment")
    ended = _adjustment(
        "HB-RA3",
        adjustment_code=ReasonableAdjustmentKind.LONGER_APPOINTMENT,
        end_date=date(2025, 6, 30),
    )
    later = _adjustment("HB-RA4", adjustment="Carer to attend appointments", end_date=date(2025, 7, 2))
    bundle = mapped(_with(record, coded, worded, ended, later), context, profiles_validator, ukcore_validator)
    easy = bundle.identified("Flag", "HB-RA1")
    assert easy["code"]["text"] == "Reasonable adjustment: Needs information in easy read"
    assert easy["category"][1]["coding"][0]["code"] == "easy-read"
    assert "extension" not in easy and easy["text"]["status"] == "generated"
    bsl = bundle.identified("Flag", "HB-RA2")
    assert bsl["code"]["text"] == "Reasonable adjustment: Needs a BSL interpreter at every appointment"
    assert [c["coding"][0]["code"] for c in bsl["category"]] == ["contact"]
    no_longer = bundle.identified("Flag", "HB-RA3")
    assert no_longer["status"] == "inactive" and no_longer["period"] == {"start": "2025-03-03", "end": "2025-06-30"}
    assert no_longer["text"]["div"].split("<p>")[2:] == [
        "Recorded on 3 March 2025; needed until 30 June 2025.</p>",
        "Robin no longer needs this.</p></div>",
    ]
    assert bundle.identified("Flag", "HB-RA4")["status"] == "active"


def test_the_words_of_an_adjustment_are_never_logged(
    context: MappingContext, profiles_validator: Validator, caplog: pytest.LogCaptureFixture
) -> None:
    """The adjustment's words and the condition it is for are personal data (DESIGN.md
    "Never log personal data"): mapping and validating them logs neither, at any level."""
    caplog.set_level(logging.DEBUG)
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)
    words = "Zebra-striped quiet room, text first"
    private = _adjustment("HB-RA1", adjustment=words, condition="Xylophonic impairment")
    bundle = mapped(_with(record, private), context, profiles_validator)
    assert words in bundle.identified("Flag", "HB-RA1")["code"]["text"]
    logged = " ".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "Zebra" not in logged and "Xylophonic" not in logged
