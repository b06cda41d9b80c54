"""The public face: ``fhircare.validation.validate`` and what the package exports."""

from __future__ import annotations

import orjson
import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient

import fhircare.validation
from fhircare.validation import api, validate
from fhircare.validation.api import Validator

VALID = {
    "resourceType": "Patient",
    "id": "p1",
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Jane Smith</p></div>'},
    "name": [{"family": "Smith", "given": ["Jane"]}],
    "gender": "female",
    "birthDate": "1980-01-01",
}
INVALID = {**VALID, "gender": "woman", "birthDate": "1980-02-30"}


def test_public_api_is_pinned() -> None:
    assert fhircare.validation.__all__ == ["Issue", "ValidationResult", "Validator", "validate"]
    for name in fhircare.validation.__all__:
        assert getattr(fhircare.validation, name) is not None
    assert fhircare.validation.validate is api.validate
    assert fhircare.validation.Validator is api.Validator
    with pytest.raises(AttributeError):
        _ = fhircare.validation.NoSuchName  # type: ignore[attr-defined]


def test_valid_resource_gives_one_all_ok_issue(core_validator: Validator) -> None:
    outcome = validate(VALID, validator=core_validator)
    assert isinstance(outcome, OperationOutcome)
    assert len(outcome.issue) == 1
    issue = outcome.issue[0]
    assert (issue.severity, issue.code, issue.details.text) == ("information", "informational", "All OK")


def test_invalid_resource_gives_issues_with_expressions(core_validator: Validator) -> None:
    outcome = validate(INVALID, validator=core_validator)
    found = {(i.severity, i.expression[0]) for i in outcome.issue}
    assert found == {("error", "Patient.gender"), ("error", "Patient.birthDate")}
    for issue in outcome.issue:
        assert issue.details.text


def test_issues_come_errors_first() -> None:
    resource = {
        **INVALID,
        # a claimed profile that is not loaded: a warning
        "meta": {"profile": ["https://fhir.trust.nhs.uk/StructureDefinition/not-loaded"]},
    }
    outcome = validate(resource)
    severities = [i.severity for i in outcome.issue]
    assert severities == sorted(severities, key=["fatal", "error", "warning", "information"].index)
    assert "warning" in severities and "error" in severities


def test_default_validator_is_built_once() -> None:
    first = validate(VALID)
    assert first.issue[0].details.text == "All OK"
    default = api._default
    assert default is not None
    validate(INVALID)
    assert api._default is default


def test_accepts_json_text_and_bytes(core_validator: Validator) -> None:
    for content in (orjson.dumps(INVALID).decode(), orjson.dumps(INVALID)):
        outcome = validate(content, validator=core_validator)
        assert {i.expression[0] for i in outcome.issue} == {"Patient.gender", "Patient.birthDate"}
    assert validate(orjson.dumps(VALID).decode(), validator=core_validator).issue[0].details.text == "All OK"


def test_accepts_a_fhir_resources_model(core_validator: Validator) -> None:
    model = Patient.model_validate(VALID)
    outcome = validate(model, validator=core_validator)
    assert [i.details.text for i in outcome.issue] == ["All OK"]
    # a model that pydantic accepts but FHIR R4 does not is still caught
    bad = Patient.model_validate({**VALID, "gender": "woman"})
    outcome = validate(bad, validator=core_validator)
    assert [(i.severity, i.expression[0]) for i in outcome.issue] == [("error", "Patient.gender")]


def test_profiles_argument_is_used(core_validator: Validator) -> None:
    url = "http://example.org/fhir/StructureDefinition/NotLoaded"
    outcome = validate(VALID, [url], validator=core_validator)
    assert [(i.severity, i.code) for i in outcome.issue] == [("error", "not-found")]
    assert url in outcome.issue[0].details.text


def test_not_an_object_is_fatal(core_validator: Validator) -> None:
    outcome = validate("[1, 2]", validator=core_validator)
    assert [(i.severity, i.expression[0]) for i in outcome.issue] == [("fatal", "$this")]


def test_invariants_judge_today_as_the_validator_is_told(core_validator: Validator) -> None:
    """Found by a trial of a new layout: `fhircare map --as-of 2025-06-30` judged a key
    worker who left on 31 July 2025 the current lead (its consistency rules are as of that
    day), but validation judged fhircare-care-team-1 as of the machine's date, rejected the
    service user and gave 20 messages about target profiles. `map` and `load` now tell the
    validator the day (Validator.today); unset, it is the machine's date."""
    import copy
    import json
    from datetime import date
    from pathlib import Path

    example = Path(__file__).parents[3] / "profiles" / "fsh-generated" / "resources" / "CareTeam-example-care-team.json"
    team = json.loads(example.read_text())
    left = copy.deepcopy(team)
    left["participant"][0]["period"]["end"] = "2025-07-31"  # the key worker, gone since

    def broken(resource: dict[str, object]) -> list[str]:
        return [i.text for i in core_validator.validate(resource).issues if i.is_error]

    assert broken(team) == []
    assert any("fhircare-care-team-1" in text for text in broken(left))  # as of the machine's date
    core_validator.today = date(2025, 6, 30)
    try:
        assert broken(left) == []
        assert any("fhircare-care-team-1" in t for t in broken(team | {"participant": team["participant"][1:]}))
    finally:
        core_validator.today = None
