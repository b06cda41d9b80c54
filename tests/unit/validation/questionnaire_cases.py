"""A Questionnaire that uses each answer rule once, a response that meets them all, and one
case per rule that breaks it: the error (or its absence) fhircare must report, at the
location the HL7 validator reports it. Shared by the unit tests and the oracle test, which
asks the HL7 validator about the same responses."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

URL = "https://fhir.fhircare.nhs.uk/Questionnaire/rules-test"
VS_URL = "https://fhir.fhircare.nhs.uk/ValueSet/rules-test-colours"
CS_URL = "https://fhir.fhircare.nhs.uk/CodeSystem/rules-test-colours"
EXT = "http://hl7.org/fhir/StructureDefinition/"
Resource = dict[str, Any]


def _coding(code: str) -> dict[str, str]:
    return {"system": CS_URL, "code": code}


CODE_SYSTEM: Resource = {
    "resourceType": "CodeSystem",
    "id": "rules-test-colours",
    "url": CS_URL,
    "version": "0.1.0",
    "name": "RulesTestColours",
    "status": "active",
    "content": "complete",
    "concept": [{"code": "red", "display": "Red"}, {"code": "blue", "display": "Blue"}, {"code": "green"}],
}
VALUE_SET: Resource = {
    "resourceType": "ValueSet",
    "id": "rules-test-colours",
    "url": VS_URL,
    "version": "0.1.0",
    "name": "RulesTestColours",
    "status": "active",
    "compose": {"include": [{"system": CS_URL, "concept": [{"code": "red"}, {"code": "blue"}]}]},
}

QUESTIONNAIRE: Resource = {
    "resourceType": "Questionnaire",
    "id": "rules-test",
    "url": URL,
    "version": "0.1.0",
    "name": "RulesTest",
    "status": "active",
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Rules test</p></div>'},
    "item": [
        {"linkId": "name", "text": "Name", "type": "string", "required": True, "maxLength": 10},
        {
            "linkId": "age",
            "text": "Age",
            "type": "integer",
            "extension": [
                {"url": EXT + "minValue", "valueInteger": 0},
                {"url": EXT + "maxValue", "valueInteger": 120},
            ],
        },
        {
            "linkId": "score",
            "text": "Score",
            "type": "decimal",
            "extension": [{"url": EXT + "maxDecimalPlaces", "valueInteger": 1}],
        },
        {
            "linkId": "colour",
            "text": "Colour",
            "type": "choice",
            "answerOption": [{"valueCoding": _coding("red")}, {"valueCoding": _coding("blue")}],
        },
        {"linkId": "favourite", "text": "Favourite", "type": "choice", "answerValueSet": VS_URL},
        {"linkId": "smokes", "text": "Smokes?", "type": "boolean"},
        {
            "linkId": "per-day",
            "text": "How many a day?",
            "type": "integer",
            "required": True,
            "enableWhen": [{"question": "smokes", "operator": "=", "answerBoolean": True}],
        },
        {"linkId": "note", "text": "Read this", "type": "display"},
        {
            "linkId": "contact",
            "text": "Contact",
            "type": "group",
            "item": [
                {"linkId": "phone", "text": "Phone", "type": "string"},
                {"linkId": "email", "text": "Email", "type": "string", "repeats": True},
            ],
        },
        {
            "linkId": "postcode",
            "text": "Postcode",
            "type": "string",
            "extension": [{"url": EXT + "regex", "valueString": "[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}"}],
        },
        {"linkId": "visits", "text": "Visits", "type": "integer", "repeats": False},
        {
            "linkId": "weight",
            "text": "Weight",
            "type": "quantity",
            "extension": [
                {
                    "url": EXT + "questionnaire-unitOption",
                    "valueCoding": {"system": "http://unitsofmeasure.org", "code": "kg"},
                }
            ],
        },
        {
            "linkId": "gp",
            "text": "GP",
            "type": "reference",
            "extension": [{"url": EXT + "questionnaire-referenceResource", "valueCode": "Organization"}],
        },
    ],
}

RESPONSE: Resource = {
    "resourceType": "QuestionnaireResponse",
    "id": "rules-test-response",
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Answers</p></div>'},
    "questionnaire": URL,
    "status": "completed",
    "item": [
        {"linkId": "name", "text": "Name", "answer": [{"valueString": "Sam"}]},
        {"linkId": "age", "answer": [{"valueInteger": 40}]},
        {"linkId": "score", "answer": [{"valueDecimal": 2.5}]},
        {"linkId": "colour", "answer": [{"valueCoding": _coding("red")}]},
        {"linkId": "favourite", "answer": [{"valueCoding": _coding("blue")}]},
        {"linkId": "smokes", "answer": [{"valueBoolean": False}]},
        {
            "linkId": "contact",
            "item": [
                {"linkId": "phone", "answer": [{"valueString": "01632 960001"}]},
                {"linkId": "email", "answer": [{"valueString": "a@b.uk"}, {"valueString": "c@d.uk"}]},
            ],
        },
        {"linkId": "postcode", "answer": [{"valueString": "AB1 2CD"}]},
        {
            "linkId": "weight",
            "answer": [{"valueQuantity": {"value": 70, "system": "http://unitsofmeasure.org", "code": "kg"}}],
        },
        {"linkId": "gp", "answer": [{"valueReference": {"reference": "Organization/gp-1"}}]},
    ],
}


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[Resource], None]
    #: error locations fhircare (and the HL7 validator) report; empty: valid
    errors: frozenset[str]


def _item(r: Resource, link: str) -> Resource:
    return next(i for i in r["item"] if i["linkId"] == link)


def _set(link: str, answer: list[Resource]) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        _item(r, link)["answer"] = answer

    return change


def _insert(index: int, item: Resource) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r["item"].insert(index, item)

    return change


def _drop(link: str, status: str = "completed") -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r["item"] = [i for i in r["item"] if i["linkId"] != link]
        r["status"] = status

    return change


def _nothing(r: Resource) -> None:
    return None


QR = "QuestionnaireResponse"
CASES = [
    Case("valid", _nothing, frozenset()),
    Case("unknown linkId", _insert(1, {"linkId": "shoe-size", "answer": [{"valueInteger": 9}]}), frozenset({QR})),
    Case(
        "wrong answer type",
        _set("age", [{"valueString": "forty"}]),
        frozenset({f"{QR}.item[1].answer[0].value.ofType(string)"}),
    ),
    Case(
        "answer not in options",
        _set("colour", [{"valueCoding": _coding("green")}]),
        frozenset({f"{QR}.item[3].answer[0]"}),
    ),
    Case(
        "answer not in the value set",
        _set("favourite", [{"valueCoding": _coding("green")}]),
        frozenset({f"{QR}.item[4].answer[0]"}),
    ),
    Case(
        # a code with no system means nothing: it is in no value set, even where the value
        # set holds that code of some system (a DIALOG rating of "4" with its system dropped)
        "answer coding with no system",
        _set("favourite", [{"valueCoding": {"code": "blue"}}]),
        frozenset({f"{QR}.item[4].answer[0]"}),
    ),
    Case(
        "answer option coding with no system",
        _set("colour", [{"valueCoding": {"code": "red"}}]),
        frozenset({f"{QR}.item[3].answer[0]"}),
    ),
    Case("required item missing, completed", _drop("name"), frozenset({QR})),
    Case("required item missing, in progress", _drop("name", "in-progress"), frozenset()),
    Case(
        "too long",
        _set("name", [{"valueString": "Samantha Jones"}]),
        frozenset({f"{QR}.item[0].answer[0].value.ofType(string)"}),
    ),
    Case(
        "below minimum",
        _set("age", [{"valueInteger": -1}]),
        frozenset({f"{QR}.item[1].answer[0].value.ofType(integer)"}),
    ),
    Case(
        "above maximum",
        _set("age", [{"valueInteger": 130}]),
        frozenset({f"{QR}.item[1].answer[0].value.ofType(integer)"}),
    ),
    Case(
        "too many decimal places",
        _set("score", [{"valueDecimal": 2.55}]),
        frozenset({f"{QR}.item[2].answer[0].value.ofType(decimal)"}),
    ),
    Case(
        "regex not matched",
        _set("postcode", [{"valueString": "nowhere"}]),
        frozenset({f"{QR}.item[7].answer[0].value.ofType(string)"}),
    ),
    Case(
        "answer to a disabled item",
        _insert(6, {"linkId": "per-day", "answer": [{"valueInteger": 5}]}),
        frozenset({f"{QR}.item[6]"}),
    ),
    Case(
        "required item enabled and missing",
        lambda r: _item(r, "smokes").__setitem__("answer", [{"valueBoolean": True}]),
        frozenset({QR}),
    ),
    Case(
        "display item answered",
        _insert(6, {"linkId": "note", "answer": [{"valueString": "x"}]}),
        frozenset({f"{QR}.item[6]"}),
    ),
    Case(
        "group answered",
        lambda r: _item(r, "contact").__setitem__("answer", [{"valueString": "x"}]),
        frozenset({f"{QR}.item[6]"}),
    ),
    Case(
        "items out of order",
        lambda r: r["item"].insert(0, r["item"].pop(1)),
        frozenset({QR}),
    ),
    Case("text differs", lambda r: _item(r, "name").__setitem__("text", "Full name"), frozenset({f"{QR}.item[0]"})),
    Case(
        "two answers, no repeats",
        _insert(8, {"linkId": "visits", "answer": [{"valueInteger": 1}, {"valueInteger": 2}]}),
        frozenset({f"{QR}.item[8]"}),
    ),
    Case(
        "item under a question outside its answers",
        lambda r: _item(r, "age").__setitem__("item", [{"linkId": "name", "answer": [{"valueString": "x"}]}]),
        frozenset({f"{QR}.item[1]"}),
    ),
    Case(
        "wrong unit",
        _set("weight", [{"valueQuantity": {"value": 70, "system": "http://unitsofmeasure.org", "code": "[lb_av]"}}]),
        frozenset({f"{QR}.item[8].answer[0].value.ofType(Quantity)"}),
    ),
]


def response_for(case: Case) -> Resource:
    response = copy.deepcopy(RESPONSE)
    case.change(response)
    return response
