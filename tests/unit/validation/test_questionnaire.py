"""QuestionnaireResponse against its Questionnaire: each rule of questionnaire_cases.py broken
once, with the error locations the HL7 validator gives (tests/conformance/oracle/
test_questionnaire_oracle.py asks the HL7 validator about the same responses)."""

from __future__ import annotations

import copy

import pytest

from fhircare.validation.context import DefinitionContext
from fhircare.validation.engine import Validator
from fhircare.validation.questionnaire_answers import MIN_OCCURS
from tests.unit.validation.questionnaire_cases import (
    CASES,
    CODE_SYSTEM,
    QUESTIONNAIRE,
    RESPONSE,
    URL,
    VALUE_SET,
    Case,
    response_for,
)


@pytest.fixture(scope="module")
def validator(core_validator: Validator) -> Validator:
    context: DefinitionContext = core_validator.context.overlay()
    for resource in (CODE_SYSTEM, VALUE_SET, QUESTIONNAIRE):
        context.add_resource(resource)
    return Validator(context)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rule(case: Case, validator: Validator) -> None:
    result = validator.validate(response_for(case))
    assert {i.expression for i in result.errors} == case.errors, [f"{i.expression}: {i.text}" for i in result.errors]


def test_the_questionnaire_itself_is_valid(validator: Validator) -> None:
    assert validator.validate(QUESTIONNAIRE).errors == []


def test_a_missing_required_answer_while_in_progress_is_a_warning(validator: Validator) -> None:
    response = copy.deepcopy(RESPONSE)
    response["status"] = "in-progress"
    response["item"] = response["item"][1:]
    warnings = [i for i in validator.validate(response).issues if i.severity == "warning"]
    assert any("No response answer found for required item 'name'" in i.text for i in warnings)


def test_an_unknown_questionnaire_is_a_warning_and_nothing_more(validator: Validator) -> None:
    response = copy.deepcopy(RESPONSE)
    response["questionnaire"] = "https://fhir.fhircare.nhs.uk/Questionnaire/nowhere"
    response["item"].append({"linkId": "anything", "answer": [{"valueString": "x"}]})
    result = validator.validate(response)
    assert result.errors == []
    assert any("could not be resolved" in i.text for i in result.issues if i.severity == "warning")


def test_a_contained_questionnaire_is_used(validator: Validator) -> None:
    response = copy.deepcopy(RESPONSE)
    contained = copy.deepcopy(QUESTIONNAIRE)
    contained.pop("text")
    response["contained"] = [contained]
    response["questionnaire"] = "#rules-test"
    response["item"][1]["answer"] = [{"valueString": "forty"}]
    result = validator.validate(response)
    assert "QuestionnaireResponse.item[1].answer[0].value.ofType(string)" in {i.expression for i in result.errors}


def test_enable_when_pointing_nowhere_is_an_error_in_the_questionnaire(validator: Validator) -> None:
    questionnaire = copy.deepcopy(QUESTIONNAIRE)
    questionnaire["item"][6]["enableWhen"][0]["question"] = "no-such-item"
    errors = validator.validate(questionnaire).errors
    assert [i.expression for i in errors] == ["Questionnaire.item[6]"]
    assert "Unable to find an item with the linkId 'no-such-item'" in errors[0].text


def test_questionnaires_load_from_ig_folders(core_validator: Validator) -> None:
    assert core_validator.context.questionnaire("https://fhir.fhircare.nhs.uk/Questionnaire/dialog") is not None
    assert core_validator.context.questionnaire(URL) is None


def test_a_versioned_questionnaire_is_used_only_in_that_version(validator: Validator) -> None:
    response = copy.deepcopy(RESPONSE)
    response["questionnaire"] = URL + "|9.9.9"
    response["item"][1]["answer"] = [{"valueString": "forty"}]  # would be an error against 0.1.0
    result = validator.validate(response)
    assert result.errors == []
    assert any("could not be resolved" in i.text for i in result.issues)
    response["questionnaire"] = URL + "|0.1.0"
    assert validator.validate(response).errors


def _one_item_form(item: dict[str, object]) -> tuple[dict[str, object], str]:
    url = "https://fhir.fhircare.nhs.uk/Questionnaire/one-item"
    return {"resourceType": "Questionnaire", "url": url, "status": "active", "item": [item]}, url


@pytest.mark.parametrize(
    ("item", "answers", "error"),
    [
        # from the HL7 validator's own test cases (string-min-occurs-qr,
        # abstract-question-type-included-qr), with its texts and locations
        (
            {"linkId": "q1", "type": "string", "extension": [{"url": MIN_OCCURS, "valueInteger": 2}]},
            [],
            "The minimum number of answers is 2 but this has 0 answers",
        ),
        (
            {"linkId": "q1", "type": "string", "extension": [{"url": MIN_OCCURS, "valueInteger": 2}]},
            [{"valueString": "a"}],
            "The minimum number of answers is 2 but this has 1 answers",
        ),
        (
            {"linkId": "q1", "type": "question"},
            [{"valueString": "a"}],
            "Items of type question should not have answers",
        ),
    ],
)
def test_answers_an_item_cannot_have(
    core_validator: Validator, item: dict[str, object], answers: list[object], error: str
) -> None:
    questionnaire, url = _one_item_form(item)
    context = core_validator.context.overlay()
    context.add_resource(questionnaire)
    response_item: dict[str, object] = {"linkId": "q1"}
    if answers:
        response_item["answer"] = answers
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": url,
        "status": "completed",
        "item": [response_item],
    }
    errors = Validator(context).validate(response).errors
    assert [(i.expression, i.text) for i in errors] == [("QuestionnaireResponse.item[0]", error)]


def test_min_occurs_counts_a_groups_repetitions_not_answers_and_warns_while_in_progress(
    core_validator: Validator,
) -> None:
    group = {
        "linkId": "g",
        "type": "group",
        "repeats": True,
        "extension": [{"url": MIN_OCCURS, "valueInteger": 2}],
        "item": [{"linkId": "g.1", "type": "string"}],
    }
    questionnaire, url = _one_item_form(group)
    context = core_validator.context.overlay()
    context.add_resource(questionnaire)
    validator = Validator(context)
    repeated = [{"linkId": "g", "item": [{"linkId": "g.1", "answer": [{"valueString": v}]}]} for v in ("a", "b")]
    response = {"resourceType": "QuestionnaireResponse", "questionnaire": url, "status": "completed", "item": repeated}
    assert validator.validate(response).errors == []
    questionnaire, url = _one_item_form(
        {"linkId": "q1", "type": "string", "extension": [{"url": MIN_OCCURS, "valueInteger": 2}]}
    )
    context.add_resource({**questionnaire, "url": url + "-2"})
    draft = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": url + "-2",
        "status": "in-progress",
        "item": [{"linkId": "q1"}],
    }
    result = validator.validate(draft)
    assert result.errors == []
    assert any("The minimum number of answers is 2" in i.text for i in result.issues if i.severity == "warning")
