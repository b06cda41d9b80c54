"""The base-specification rules of issue 12, item 2: one small resource per rule, with the
errors fhircare must report (location → a fragment of the text), or none. Shared by the unit
tests (test_base_spec.py) and the oracle test (tests/conformance/oracle/test_base_spec_oracle.py),
which asks the HL7 validator about the same resources: its verdict must be the same, except
the cases marked ``deviates`` (fhircare is stricter on purpose; the reason is given).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

CORE = "http://hl7.org/fhir/StructureDefinition/"
GENDER = "http://hl7.org/fhir/administrative-gender"
SNOMED = "http://snomed.info/sct"
CORE_PACKAGE = Path.home() / ".fhir" / "packages" / "hl7.fhir.r4.core#4.0.1" / "package"
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>A person</p></div>'}
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
UUID = "6e4c669f-4089-502e-b1f4-aa4632e504b4"
OTHER_UUID = "0e4c669f-4089-502e-b1f4-aa4632e504b4"
Resource = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    resource: Resource
    #: location → a fragment of the error text there (empty: the resource has no error)
    errors: dict[str, str] = field(default_factory=dict)
    #: why the HL7 validator's verdict differs (None: it agrees)
    deviates: str | None = None


def _linking(inner: str) -> dict[str, str]:
    """A narrative holding ``inner`` in a paragraph."""
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{inner}</p></div>'}


def _tablets(code: str) -> dict[str, Any]:
    return {
        "value": 2,
        "unit": "tablets",
        "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
        "code": code,
    }


def _timed_plan(when: list[str], offset: int) -> Resource:
    """A plan whose one activity happens ``offset`` minutes after each of ``when``."""
    repeat: dict[str, Any] = {"offset": offset}  # no periodUnit: the oracle has no UCUM
    if when:
        repeat["when"] = when
    return {
        "resourceType": "CarePlan",
        "id": "timed",
        "text": NARRATIVE,
        "status": "active",
        "intent": "plan",
        "subject": {"reference": "Patient/p1"},
        "activity": [{"detail": {"status": "scheduled", "scheduledTiming": {"repeat": repeat}}}],
    }


LETTER = base64.b64encode(b"Care plan letter").decode()
LETTER_SHA1 = base64.b64encode(hashlib.sha1(b"Care plan letter").digest()).decode()


def _definition(resource_type: str, rid: str, **fields: Any) -> Resource:
    """A definitional resource with what every case needs (id, narrative, url, status)."""
    return {
        "resourceType": resource_type,
        "id": rid,
        "text": NARRATIVE,
        "url": f"https://fhir.fhircare.test/{resource_type}/{rid}",
        "status": "draft",
        **fields,
    }


def _document_reference(stated_hash: str) -> Resource:
    return {
        "resourceType": "DocumentReference",
        "id": "d1",
        "text": NARRATIVE,
        "status": "current",
        "content": [{"attachment": {"contentType": "text/plain", "data": LETTER, "hash": stated_hash}}],
    }


def _concept_map(source_code: str, target_code: str) -> Resource:
    mapping = {"code": source_code, "target": [{"code": target_code, "equivalence": "equivalent"}]}
    group = {
        "source": "http://hl7.org/fhir/administrative-gender",
        "target": "http://hl7.org/fhir/request-status",
        "element": [mapping],
    }
    return _definition("ConceptMap", "m1", group=[group])


def _questionnaire_with_options(answer_value_set: str) -> Resource:
    reasons = {
        "resourceType": "ValueSet",
        "id": "reasons",
        "status": "draft",
        "compose": {"include": [{"system": "http://hl7.org/fhir/administrative-gender"}]},
    }
    item = {"linkId": "1", "text": "Why", "type": "choice", "answerValueSet": answer_value_set}
    questionnaire = _definition("Questionnaire", "q1", name="Reasons", contained=[reasons], item=[item])
    del questionnaire["url"]
    return questionnaire


def _value_set(system: str, version: str | None = None) -> Resource:
    include: dict[str, Any] = {"system": system, "concept": [{"code": "male"}]}
    if version is not None:
        include["version"] = version
    return _definition("ValueSet", "v1", name="V1", compose={"include": [include]})


def _filtered_value_set(system: str, *filters: tuple[str, str, str]) -> Resource:
    """A value set of the concepts of ``system`` that pass (property, op, value) filters."""
    include = {"system": system, "filter": [{"property": p, "op": o, "value": v} for p, o, v in filters]}
    return _definition("ValueSet", "v1", name="V1", compose={"include": [include]})


def _capability_statement(gender_type: str, formats: list[str]) -> Resource:
    """A server's CapabilityStatement declaring Patient's gender search as ``gender_type``."""
    return {
        "resourceType": "CapabilityStatement",
        "id": "cs1",
        "text": NARRATIVE,
        "status": "active",
        "date": "2026-12-06",
        "kind": "instance",
        "implementation": {"description": "fhircare partner API"},
        "fhirVersion": "4.0.1",
        "format": formats,
        "rest": [
            {
                "mode": "server",
                "resource": [
                    {
                        "type": "Patient",
                        "searchParam": [
                            {
                                "name": "gender",
                                "definition": "http://hl7.org/fhir/SearchParameter/individual-gender",
                                "type": gender_type,
                            }
                        ],
                    }
                ],
            }
        ],
    }


def _code_system(**extra: Any) -> Resource:
    fields: dict[str, Any] = {
        "name": "C1",
        "content": "complete",
        "property": [{"code": "risk", "uri": "https://fhir.fhircare.test/risk", "type": "string"}],
        "concept": [{"code": "a", "concept": [{"code": "b"}]}, {"code": "c"}],
    }
    return _definition("CodeSystem", "c1", **{**fields, **extra})


def _search_results(*results: tuple[str, Resource]) -> Resource:
    return {
        "resourceType": "Bundle",
        "id": "s1",
        "type": "searchset",
        "link": [{"relation": "self", "url": "https://fhir.fhircare.test/Patient?name=test"}],
        "entry": [
            {
                "fullUrl": f"https://fhir.fhircare.test/{r['resourceType']}/{r.get('id', 'x')}",
                "resource": r,
                "search": {"mode": mode},
            }
            for mode, r in results
        ],
    }


ORGANIZATION_NAME = "http://hl7.org/fhir/SearchParameter/Organization-name"


def _search_parameter(**fields: Any) -> Resource:
    fields = {"name": "SP1", "description": "A search parameter", "expression": "Organization.name", **fields}
    return _definition("SearchParameter", "sp1", **fields)


def _patient(**extra: Any) -> Resource:
    return {"resourceType": "Patient", "id": "p1", "text": NARRATIVE, **extra}


def _observation(reference: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "text": NARRATIVE,
        "status": "final",
        "code": {"text": "mood"},
        "subject": {"reference": reference},
    }


def _nutrition_order(**extra: Any) -> Resource:
    return {
        "resourceType": "NutritionOrder",
        "id": "n1",
        "text": NARRATIVE,
        "status": "active",
        "intent": "order",
        "patient": {"reference": "Patient/1"},
        "dateTime": "2025-01-01",
        "oralDiet": {"type": [{"text": "soft"}]},
        **extra,
    }


def _identifier_type(code: str) -> Resource:
    return _patient(identifier=[{"type": {"coding": [{"system": V2_0203, "code": code}]}, "value": "1"}])


def _questionnaire(**item: Any) -> Resource:
    return {
        "resourceType": "Questionnaire",
        "id": "q1",
        "text": NARRATIVE,
        "name": "Q1",
        "status": "active",
        "item": [{"linkId": "a", "type": "boolean"}, {"linkId": "b", "type": "string", **item}],
    }


def _when(operator: str, answer: bool) -> Resource:
    return {"question": "a", "operator": operator, "answerBoolean": answer}


def core_structure_definition(name: str) -> Resource:
    data = orjson.loads((CORE_PACKAGE / f"StructureDefinition-{name}.json").read_bytes())
    assert isinstance(data, dict)
    return data


def _heart_rate(**changes: Any) -> Resource:
    observation: Resource = {
        "resourceType": "Observation",
        "id": "hr1",
        "text": NARRATIVE,
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
        "subject": {"reference": "Patient/1"},
        "effectiveDateTime": "2025-01-01T10:00:00Z",
        "performer": [{"reference": "Practitioner/1"}],
        "valueQuantity": {"value": 72, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"},
    }
    observation.update(changes)
    return {k: v for k, v in observation.items() if v is not None}


def _bp_component(snomed: str, loinc: str, value: int) -> Resource:
    return {
        "code": {
            "coding": [
                {"system": "http://snomed.info/sct", "code": snomed},
                {"system": "http://loinc.org", "code": loinc},
            ]
        },
        "valueQuantity": {"value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
    }


def _blood_pressure(*components: Resource) -> Resource:
    return _heart_rate(
        code={"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        valueQuantity=None,
        component=list(components),
    )


def _oxygen_saturation_with_flow_rate() -> Resource:
    flow_rate = {
        "code": {"coding": [{"system": "http://loinc.org", "code": "3151-8", "display": "Inhaled oxygen flow rate"}]},
        "valueQuantity": {"value": 6, "unit": "liters/min", "system": "http://unitsofmeasure.org", "code": "L/min"},
    }
    return _heart_rate(
        code={"coding": [{"system": "http://loinc.org", "code": "2708-6"}]},
        valueQuantity={"value": 95, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
        component=[flow_rate],
    )


def _appointment(status: str, **extra: Any) -> Resource:
    return {
        "resourceType": "Appointment",
        "id": "a1",
        "text": NARRATIVE,
        "status": status,
        "start": "2025-01-01T10:00:00Z",
        "end": "2025-01-01T11:00:00Z",
        "participant": [{"actor": {"reference": "Patient/1"}, "status": "accepted"}],
        **extra,
    }


SYSTOLIC = _bp_component("72313002", "8480-6", 142)
DIASTOLIC = _bp_component("1091811000000102", "8462-4", 94)
DO_NOT_PERFORM = CORE + "request-doNotPerform"
BIRTH_PLACE = CORE + "patient-birthPlace"
MAIDEN_NAME = CORE + "patient-mothersMaidenName"
_TRANSLATION = {
    "url": CORE + "translation",
    "extension": [{"url": "lang", "valueCode": "cy"}, {"url": "content", "valueString": "Nodyn"}],
}

#: JSON that is not what its type says, read as the HL7 validator's JSON reader reads it:
#: reported where the reader reports it (`value[x]`, a primitive array without its index), a
#: value of the wrong shape not read at all (so a required element is missing and an object
#: left with nothing is empty), a number where text is due read as that text and checked as
#: it. Its oracle test asks for exactly these locations, no more, no fewer.
READ_CASES: list[Case] = [
    Case(
        "read-object-given-as-an-array",
        {**_observation("Patient/p1"), "code": [{"text": "mood"}]},
        {
            "Observation.code": "The property code must be an Object, not an Array (at Observation.code)",
            "Observation": "Observation.code: minimum required = 1, but only found 0",
        },
    ),
    Case(
        "read-primitive-array-given-as-one-value",
        _patient(meta={"profile": "http://hl7.org/fhir/StructureDefinition/Patient"}),
        {
            "Patient.meta.profile": "The property profile must be a JSON Array, not a Primitive property",
            "Patient.meta": "ele-1",  # nothing in it was read
        },
    ),
    Case(
        "read-primitive-given-as-an-array",
        _patient(gender=["female"]),
        {"Patient.gender": "This property must be a simple value, not an Array (gender at Patient.gender)"},
    ),
    Case(
        "read-array-given-as-an-object",  # read as the array's one item: nothing else wrong
        _patient(name={"family": "Smith"}),
        {"Patient.name": "The property name must be a JSON Array, not an Object (at Patient)"},
    ),
    Case(
        "read-a-number-for-a-date",
        _patient(birthDate=42),
        {"Patient.birthDate": "Not a valid date format: '42'"},  # and 'Error parsing JSON' there
    ),
    Case(
        "read-a-number-for-a-code",
        _patient(gender=1),
        {"Patient.gender": "The value provided ('1') was not found in the value set 'AdministrativeGender'"},
    ),
    Case(
        "read-a-number-for-a-system",
        _patient(identifier=[{"system": 42, "value": "1"}]),
        {
            "Patient.identifier[0].system": "Error parsing JSON: the primitive value must be a string",
            "Patient.identifier[0]": "Identifier.system must be an absolute reference, not a local reference",
        },
    ),
    Case(
        "read-text-for-an-integer",
        _patient(multipleBirthInteger="abc"),
        {
            "Patient.multipleBirth[x]": "Error parsing JSON: the primitive value must be a number",
            "Patient.multipleBirth.ofType(integer)": "The value 'abc' is not a valid integer",
        },
    ),
    Case(
        "read-a-number-in-a-primitive-array",
        _patient(name=[{"given": ["Ann", 1]}]),
        {"Patient.name[0].given": "Error parsing JSON: the primitive value must be a string"},
    ),
    Case(
        "read-a-number-in-a-choice-of-datatype",
        {**_observation("Patient/p1"), "valueQuantity": {"value": 1, "unit": 42}},
        {"Observation.value[x].unit": "Error parsing JSON: the primitive value must be a string"},
    ),
    Case(
        "read-an-unknown-property-in-a-choice-of-datatype",
        {**_observation("Patient/p1"), "valueQuantity": {"value": 1, "colour": "blue"}},
        {"Observation.value[x]": "Unrecognized property 'colour'"},
    ),
    Case(
        "read-two-types-of-one-choice",  # the first in the JSON is read, the other is not
        {**_observation("Patient/p1"), "valueBoolean": True, "valueString": "good"},
        {"Observation": "Unrecognized property 'valueString'"},
    ),
    Case(
        "read-an-extension-value-of-a-type-it-does-not-allow",
        _patient(extension=[{"url": BIRTH_PLACE, "valueString": "Leeds"}]),
        {
            "Patient.extension[0]": (
                f"The Extension '{BIRTH_PLACE}' definition allows for the types [Address] but found type string"
            )
        },
    ),
    Case(
        "read-an-extension-value-of-the-wrong-shape",  # not read: the extension has no value
        _patient(extension=[{"url": BIRTH_PLACE, "valueAddress": [{"city": "Leeds"}]}]),
        {
            "Patient.extension[0].value[x]": "The property valueAddress must be an Object, not an Array",
            "Patient.extension[0]": "is for a simple extension, so it must contain a value",
        },
    ),
    Case(
        "read-an-empty-object",
        _patient(name=[{}]),
        {"Patient.name[0]": "Object must have some content"},  # and ele-1 there
    ),
    Case(
        "read-an-object-left-empty",
        _patient(contact=[{"name": {"family": ["Smith"]}, "telecom": [{"system": "phone", "value": "1"}]}]),
        {
            "Patient.contact[0].name.family": "This property must be a simple value, not an Array",
            "Patient.contact[0].name": "ele-1",
        },
    ),
    Case(
        "read-a-null-in-a-primitive-array",
        # (a null with no _given beside it stops the HL7 validator's reader: not asked of it)
        _patient(name=[{"family": "Smith", "given": ["Ann"], "_given": [{"id": "g1"}, None]}]),
        {"Patient.name[0].given": "The JSON array for 'given' is invalid at index 1 - must have at least one valid"},
    ),
    Case(
        "read-a-null-primitive",
        _patient(birthDate=None),
        {"Patient.birthDate": "This property must be a simple value, not a Null (birthDate at Patient.birthDate)"},
    ),
]

CASES: list[Case] = [
    # a modifier extension used as a plain extension, and the reverse
    Case(
        "modifier-extension-as-extension",
        _nutrition_order(extension=[{"url": DO_NOT_PERFORM, "valueBoolean": True}]),
        {
            f"NutritionOrder.extension[0][url='{DO_NOT_PERFORM}']": (
                "must not be used as an extension (it's a modifierExtension)"
            )
        },
    ),
    Case(
        "modifier-extension-as-modifier",
        _nutrition_order(modifierExtension=[{"url": DO_NOT_PERFORM, "valueBoolean": True}]),
    ),
    Case(
        "extension-as-modifier-extension",
        _patient(modifierExtension=[{"url": BIRTH_PLACE, "valueAddress": {"city": "Leeds"}}]),
        {
            f"Patient.modifierExtension[0][url='{BIRTH_PLACE}']": (
                "must not be used as a modifierExtension (it's a regular extension)"
            )
        },
    ),
    # definitions that define what another says: a supplement, a derived search parameter
    Case(
        "code-system-supplement-not-marked-as-one",
        _definition(
            "CodeSystem",
            "supplement",
            name="Supplement",
            content="complete",
            supplements="http://loinc.org",
            concept=[{"code": "1-8", "display": "x"}],
        ),
        {"CodeSystem.content": "CodeSystem Supplements SHALL have a content value of 'supplement'"},
    ),
    Case(
        "search-parameter-composite-of-nothing",
        _search_parameter(code="x", base=["Patient"], type="composite", expression="Patient"),
        {"SearchParameter": "must define two or more components"},
    ),
    Case(
        "search-parameter-derived-as-another-type",
        _search_parameter(code="name", base=["Organization"], type="token", derivedFrom=ORGANIZATION_NAME),
        {"SearchParameter": "in the derivedFrom SearchParameter"},
    ),
    Case(
        "search-parameter-derived-for-another-base",
        _search_parameter(code="name", base=["Organization", "Patient"], type="string", derivedFrom=ORGANIZATION_NAME),
        {"SearchParameter": "The resource type Patient is not listed as a base"},
    ),
    Case(
        "search-parameter-derived-alike",
        _search_parameter(code="name", base=["Organization"], type="string", derivedFrom=ORGANIZATION_NAME),
    ),
    # a choice renamed for a type it does not have: no snapshot can be made (the id names
    # a real element, the path does not)
    Case(
        "profile-renames-a-choice-for-no-type",
        _definition(
            "StructureDefinition",
            "bla",
            name="Bla",
            kind="resource",
            abstract=False,
            type="Observation",
            baseDefinition="http://hl7.org/fhir/StructureDefinition/Observation",
            derivation="constraint",
            differential={"element": [{"id": "Observation.valueQuantity", "path": "Observation.valueBla"}]},
        ),
        {"StructureDefinition": "The path must be 'Observation.value[x]' not 'Observation.valueBla'"},
    ),
    # a response names the Questionnaire it answers: a value set asks nothing
    Case(
        "questionnaire-response-to-a-value-set",
        {
            "resourceType": "QuestionnaireResponse",
            "id": "qr1",
            "text": NARRATIVE,
            "questionnaire": "http://hl7.org/fhir/ValueSet/administrative-gender",
            "status": "in-progress",
        },
        {"QuestionnaireResponse.questionnaire": "refers to a resource that has the wrong type"},
    ),
    # a value set's url where a code system's belongs
    Case(
        "coding-with-a-value-set-as-its-system",
        _patient(meta={"tag": [{"system": "http://hl7.org/fhir/ValueSet/common-tags", "code": "x"}]}),
        {"Patient.meta.tag[0]": "The Coding references a value set, not a code system"},
    ),
    # a media type's parameter as FHIR writes it, unquoted (a signature's format)
    Case(
        "media-type-with-an-unquoted-url-parameter",
        {
            "resourceType": "Binary",
            "id": "b1",
            "contentType": "application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json",
            "data": "e30=",
        },
    ),
    # a simple extension says what it says in its value
    Case(
        "simple-extension-without-a-value",
        _patient(extension=[{"url": BIRTH_PLACE}]),
        {"Patient.extension[0]": f"The Extension '{BIRTH_PLACE}' definition is for a simple extension"},
    ),
    # an extension's url names its definition, not one version of it
    Case(
        "extension-url-with-a-version",
        _patient(extension=[{"url": BIRTH_PLACE + "|4.0.1", "valueAddress": {"city": "Leeds"}}]),
        {
            f"Patient.extension[0][url='{BIRTH_PLACE}|4.0.1']": "The extension URL must not contain a version",
            "Patient.extension[0].url": "but is fixed to",  # the definition fixes its url, unversioned
        },
    ),
    # references: an unknown resource type, a malformed URL
    Case(
        "reference-to-an-unknown-resource-type",
        _observation("Chicken/1"),
        {"Observation.subject": "The type 'Chicken' implied by the reference URL Chicken/1 is not a valid Target"},
        deviates="the HL7 validator checks the type only of references it resolves (deviations.json, classes)",
    ),
    Case(
        "reference-with-a-malformed-url",
        _observation("ht sdtps://fhir.trust.nhs.uk/Patient/1"),
        {"Observation.subject": "is not a valid reference"},
    ),
    # an integer element given a number that is not whole
    Case(
        "integer-given-a-decimal",
        _patient(multipleBirthInteger=1.5),
        {"Patient.multipleBirth.ofType(integer)": "The value '1.5' is not a valid integer"},
    ),
    # RFC 3986 as a code system: its codes are absolute URIs (a consent's provision class
    # names a resource type by its definition's URL, never by a bare name)
    Case(
        "rfc-3986-code-that-is-no-uri",
        {**_observation("Patient/1"), "code": {"coding": [{"system": "urn:ietf:rfc:3986", "code": "Patient"}]}},
        {"Observation.code.coding[0].code": "Unknown code 'Patient' in the CodeSystem 'urn:ietf:rfc:3986'"},
    ),
    Case(
        "rfc-3986-code-that-is-a-uri",
        {
            **_observation("Patient/1"),
            "code": {"coding": [{"system": "urn:ietf:rfc:3986", "code": "urn:oid:2.16.840.1.113883.4.642.3.1"}]},
        },
    ),
    # a Bundle entry's fullUrl: the resource's identity (except where the server assigns
    # it: transactions and batches), and what the entry's references resolve from
    Case(
        "collection-entry-without-full-url",
        {"resourceType": "Bundle", "id": "b3", "type": "collection", "entry": [{"resource": _patient()}]},
        {"Bundle.entry[0]": "Except for transactions and batches, each entry in a Bundle must have a fullUrl"},
    ),
    Case(
        "transaction-entry-without-full-url",
        {
            "resourceType": "Bundle",
            "id": "b4",
            "type": "transaction",
            "entry": [{"resource": _patient(), "request": {"method": "POST", "url": "Patient"}}],
        },
    ),
    Case(
        "transaction-entry-without-full-url-that-refers",
        {
            "resourceType": "Bundle",
            "id": "b5",
            "type": "transaction",
            "entry": [
                {"resource": _observation(f"urn:uuid:{UUID}"), "request": {"method": "POST", "url": "Observation"}},
                {
                    "resource": {**_observation("Patient/p1"), "id": "o2"},
                    "request": {"method": "POST", "url": "Observation"},
                },
            ],
        },
        {
            "Bundle.entry[0]": "Bundle entry missing fullUrl",
            "Bundle.entry[1]": "Bundle entry missing fullUrl",
            "Bundle.entry[1].resource/*Observation/o2*/.subject": "Relative Reference appears inside Bundle whose "
            "entry is missing a fullUrl",
        },
    ),
    Case(
        # bound to a value set neither validator holds (DICOM's SOP classes): not checked further
        "rfc-3986-code-bound-to-a-value-set-not-held",
        {
            "resourceType": "ImagingStudy",
            "id": "i1",
            "text": NARRATIVE,
            "status": "available",
            "subject": {"reference": "Patient/1"},
            "series": [
                {
                    "uid": "2.16.124.113543.6003.1154777499.30246.19789.3503430045",
                    "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"},
                    "instance": [
                        {
                            "uid": "2.16.124.113543.6003.1154777499.30246.19789.3503430046",
                            "sopClass": {"system": "urn:ietf:rfc:3986", "code": "Patient"},
                        }
                    ],
                }
            ],
        },
    ),
    # a CodeableConcept in words only, where a code is required from a value set
    Case(
        "required-binding-met-by-text-alone",
        {
            "resourceType": "AllergyIntolerance",
            "id": "a1",
            "text": NARRATIVE,
            "clinicalStatus": {"text": "active"},
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                        "code": "confirmed",
                    }
                ]
            },
            "patient": {"reference": "Patient/1"},
        },
        {"AllergyIntolerance.clinicalStatus": "No code provided, and a code is required from the value set"},
    ),
    # a reference whose stated type is not the type its URL names
    Case(
        "reference-type-contradicts-its-url",
        {**_observation("Patient/1"), "subject": {"reference": "Patient/1", "type": "Group"}},
        {"Observation.subject": "Invalid Resource target type. Found Group, but expected one of (Patient)"},
    ),
    # ... but a URL that names no resource type is not compared with the stated type: where
    # any resource may be the target there is no error, as the HL7 validator finds
    Case(
        "reference-type-beside-a-url-naming-no-type",
        {**_observation("Patient/1"), "focus": [{"reference": "Chicken/1", "type": "Observation"}]},
    ),
    # XHTML named entities are not defined in FHIR's XHTML (no DTD)
    Case(
        "narrative-with-nbsp",
        _patient(text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">a&nbsp;b</div>'}),
        {"Patient.text.div": "entity '&nbsp;'"},
    ),
    Case(
        "narrative-with-reg",
        _patient(text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">a&reg;b</div>'}),
        {"Patient.text.div": "entity '&reg;'"},
    ),
    Case(
        "narrative-with-xml-and-numeric-entities",
        _patient(
            text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">a&amp;b&#160;&lt;</div>'}
        ),
    ),
    # a primitive's '_name' object carrying a 'value'
    Case(
        "underscore-element-with-a-value",
        _patient(birthDate="2000-01-01", _birthDate={"value": "2001-01-01"}),
        {"Patient.birthDate": "The property 'value' is invalid"},
    ),
    Case(
        "underscore-element-empty",
        _patient(gender="female", _gender={}),
        {"Patient.gender": "Object must have some content"},
    ),
    Case(
        "complex-extension-with-an-undefined-part",
        _patient(
            extension=[
                {
                    "url": CORE + "patient-nationality",
                    "extension": [
                        {"url": "code", "valueCodeableConcept": {"text": "British"}},
                        {"url": "xxxx", "valueString": "y"},
                    ],
                }
            ]
        ),
        {"Patient.extension[0].extension[1][url='xxxx']": "Sub-extension url 'xxxx' is not defined"},
    ),
    Case("underscore-element-with-an-id", _patient(birthDate="2000-01-01", _birthDate={"id": "b1"})),
    # fhir_comments (DSTU2 JSON) is no property of R4
    Case(
        "fhir-comments",
        _patient(fhir_comments=["a comment"], name=[{"family": "Smith", "fhir_comments": ["x"]}]),
        {
            "Patient": "Unrecognized property 'fhir_comments'",
            "Patient.name[0]": "Unrecognized property 'fhir_comments'",
        },
    ),
    # que-12 as its text says: more than one enableWhen needs enableBehavior
    Case(
        "que-12-two-conditions-without-enable-behavior",
        _questionnaire(enableWhen=[_when("=", True), _when("exists", True)]),
        {"Questionnaire.item[1]": "que-12"},
    ),
    Case(
        "que-12-two-conditions-with-enable-behavior",
        _questionnaire(enableWhen=[_when("=", True), _when("exists", True)], enableBehavior="any"),
    ),
    Case("que-12-one-condition", _questionnaire(enableWhen=[_when("exists", False)])),
    # the core StructureDefinitions validate (structuredefinition-fhir-type on ElementDefinition.type,
    # regex on primitive value elements, normative-version on root elements)
    Case("core-structure-definition-patient", core_structure_definition("Patient")),
    Case("core-structure-definition-base64binary", core_structure_definition("base64Binary")),
    Case("core-structure-definition-address", core_structure_definition("Address")),
    Case(
        "fhir-type-extension-elsewhere",
        _patient(extension=[{"url": CORE + "structuredefinition-fhir-type", "valueUrl": "string"}]),
        {"Patient": "is not allowed to be used at this point"},
    ),
    # normative-version's context says StructureDefinition; R4 puts it on every normative
    # CodeSystem, ValueSet, ... and the HL7 validator allows it on any element
    Case(
        "normative-version-on-a-code-system",
        {
            **_code_system(),
            "extension": [{"url": CORE + "structuredefinition-normative-version", "valueCode": "4.0.0"}],
        },
    ),
    # v2-0203 defines NNxxx by pattern: NN and an ISO 3166 alpha-3 country code
    Case("identifier-type-nn-country", _identifier_type("NNGBR")),
    Case(
        "identifier-type-nn-alone",
        _identifier_type("NN"),
        {"Patient.identifier[0].type.coding[0].code": "Unknown code 'NN'"},
    ),
    Case(
        "identifier-type-unknown",
        _identifier_type("ZZTOP"),
        {"Patient.identifier[0].type.coding[0].code": "Unknown code 'ZZTOP'"},
    ),
    # unknown extensions in HL7's space are errors (the extension pack is not loaded)
    Case(
        "unknown-hl7-extension",
        _patient(extension=[{"url": CORE + "patient-notInCore", "valueString": "x"}]),
        {"Patient.extension[0]": "could not be found so is not allowed here"},
    ),
    Case(
        "extension-pack-extension-without-the-pack",
        _patient(extension=[{"url": CORE + "patient-sexParameterForClinicalUse", "valueString": "x"}]),
        {"Patient.extension[0]": "hl7.fhir.uv.extensions.r4"},
    ),
    Case(
        "unknown-hl7-tools-extension",
        _patient(extension=[{"url": "http://hl7.org/fhir/tools/StructureDefinition/not-a-tool", "valueString": "x"}]),
        {"Patient.extension[0]": "could not be found"},
    ),
    # identifiers whose IETF system says what the value is
    Case(
        "identifier-rfc3986-not-a-uri",
        _patient(identifier=[{"system": "urn:ietf:rfc:3986", "value": UUID}]),
        {"Patient.identifier[0]": "must be a full URI"},
    ),
    Case("identifier-rfc3986-uri", _patient(identifier=[{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{UUID}"}])),
    Case(
        "identifier-rfc4122-not-a-uuid",
        _patient(identifier=[{"system": "https://tools.ietf.org/html/rfc4122", "value": "abc"}]),
        {"Patient.identifier[0]": "is not correct for the identifier 'abc'"},
    ),
    Case(
        "identifier-rfc4122-uuid",
        _patient(identifier=[{"system": "https://tools.ietf.org/html/rfc4122", "value": UUID}]),
    ),
    # a vital signs code makes the core vital signs profile apply (R4, Vital Signs)
    Case("vital-signs-heart-rate", _heart_rate()),
    Case(
        "vital-signs-heart-rate-without-category",
        _heart_rate(category=None),
        {"Observation": "Observation.category: minimum required = 1"},
    ),
    # bp slices component by code.coding.code: the value is fixed in the one coding slice
    # each component must have (code.coding:SBPCode), found through that slice
    Case("vital-signs-blood-pressure", _blood_pressure(SYSTOLIC, DIASTOLIC)),
    Case(
        "vital-signs-blood-pressure-without-diastolic",
        _blood_pressure(SYSTOLIC),
        {"Observation": "Slice 'Observation.component:DiastolicBP': a matching slice is required"},
    ),
    # R4's vital signs profiles bind every component value to the common vital signs units,
    # a published error both validators mend (extensible): an inhaled oxygen flow rate in
    # L/min beside an oxygen saturation is a warning, not an error
    Case("vital-signs-component-in-other-units", _oxygen_saturation_with_flow_rate()),
    # an invariant written from its resource's type name (app-4: Appointment.status ...)
    Case(
        "invariant-written-from-the-type-name",
        _appointment("booked", cancelationReason={"text": "clinic closed"}),
        {"Appointment": "app-4"},
    ),
    Case("invariant-written-from-the-type-name-holds", _appointment("cancelled", cancelationReason={"text": "x"})),
    # example URLs in uri and canonical values, but not in a Bundle's fullUrl nor a canonical resource's url
    Case(
        "local-code-system-in-a-coding",
        _patient(meta={"security": [{"system": "confidentiality", "code": "R"}]}),
        {"Patient.meta.security[0].system": "Coding.system must be an absolute reference"},
    ),
    Case(
        # the HL7 validator judges a CodeableConcept's codings by their code system (unknown
        # here: a warning), not by the form of its URL
        "local-code-system-in-a-codeable-concept",
        _observation("Patient/1") | {"code": {"coding": [{"system": "snomed", "code": "285854004"}]}},
    ),
    Case(
        "local-code-system-in-a-quantity",
        _observation("Patient/1") | {"valueQuantity": {"value": 1, "system": "units", "code": "mg"}},
        {"Observation.value.ofType(Quantity)": "Coding.system must be an absolute reference"},
    ),
    Case(
        "a-required-coding-without-its-system",
        {
            "resourceType": "AllergyIntolerance",
            "id": "a1",
            "text": NARRATIVE,
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "patient": {"reference": "Patient/1"},
        },
        {"AllergyIntolerance.clinicalStatus": "None of the codings provided are in the value set"},
    ),
    Case(
        "a-required-coding-without-its-code",
        {
            "resourceType": "AllergyIntolerance",
            "id": "a1",
            "text": NARRATIVE,
            "clinicalStatus": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"}]
            },
            "patient": {"reference": "Patient/1"},
        },
        {"AllergyIntolerance.clinicalStatus": "None of the codings provided are in the value set"},
    ),
    Case(
        "an-invariant-on-a-nested-element-by-content-reference",
        {
            "resourceType": "RequestGroup",
            "id": "g1",
            "text": NARRATIVE,
            "status": "active",
            "intent": "order",
            "action": [{"action": [{"title": "neither a resource nor actions"}]}],
        },
        {"RequestGroup.action[0].action[0]": "rqg-1"},
    ),
    Case(
        "example-url-in-identifier-system",
        _patient(identifier=[{"system": "http://example.org/ids", "value": "1"}]),
        {"Patient.identifier[0].system": "Example URLs are not allowed"},
    ),
    Case(
        "example-url-in-a-canonical",
        {
            "resourceType": "QuestionnaireResponse",
            "id": "r1",
            "text": NARRATIVE,
            "status": "in-progress",
            "questionnaire": "https://example.com/base/Questionnaire/q1",
        },
        {"QuestionnaireResponse.questionnaire": "Example URLs are not allowed"},
    ),
    Case(
        "example-url-as-a-value-set-url",
        {
            "resourceType": "ValueSet",
            "id": "v1",
            "text": NARRATIVE,
            "name": "V1",
            "url": "http://example.org/vs",
            "status": "draft",
        },
    ),
    Case(
        "example-url-as-a-full-url",
        {
            "resourceType": "Bundle",
            "id": "b1",
            "type": "collection",
            "entry": [{"fullUrl": "http://example.org/fhir/Patient/1", "resource": {**_patient(), "id": "1"}}],
        },
    ),
    # a Quantity's code from a code system held in full must be one of its codes
    Case(
        "quantity-with-a-code-its-code-system-does-not-define",
        {**_observation("Patient/1"), "valueQuantity": _tablets("Tab")},
        {"Observation.value.ofType(Quantity).code": "Unknown code 'Tab' in the CodeSystem"},
    ),
    Case(
        "quantity-with-a-code-its-code-system-defines", {**_observation("Patient/1"), "valueQuantity": _tablets("TAB")}
    ),
    # an Attachment's hash is the SHA-1 of its data (base64)
    Case("attachment-whose-hash-is-its-data", _document_reference(LETTER_SHA1)),
    Case(
        "attachment-whose-hash-is-another",
        _document_reference("2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
        {"DocumentReference.content[0].attachment": "The hash of the data did not match the data"},
    ),
    # a ConceptMap's codes must be codes of the code systems (and value set) it maps between
    Case("concept-map-between-codes-that-exist", _concept_map("male", "active")),
    Case(
        "concept-map-from-a-code-its-source-does-not-define",
        _concept_map("M", "active"),
        {"ConceptMap.group[0].element[0].code": "The source code 'M' is not valid in the code system"},
    ),
    Case(
        "concept-map-to-a-code-its-target-does-not-define",
        _concept_map("male", "cancelled"),
        {"ConceptMap.group[0].element[0].target[0].code": "The target code 'cancelled' is not valid in the code"},
    ),
    # a canonical '#id' names a contained definition: it must be there
    Case("canonical-to-a-contained-value-set", _questionnaire_with_options("#reasons")),
    Case(
        "canonical-to-a-contained-value-set-that-is-not-there",
        {k: v for k, v in _questionnaire_with_options("#missing").items() if k != "contained"},
        {
            "Questionnaire.item[0].answerValueSet": (
                "The URL value '#missing' is invalid because there is no matching target"
            )
        },
    ),
    # a value set names a code system by URL, its version apart: 'url|version' names none
    Case(
        "value-set-including-a-code-system-and-its-version",
        _value_set("http://hl7.org/fhir/administrative-gender", "4.0.1"),
    ),
    Case(
        "value-set-including-a-versioned-canonical",
        _value_set("http://hl7.org/fhir/administrative-gender|4.0.1"),
        {"ValueSet.compose.include[0]": "must not use the canonical version syntax - the version '4.0.1'"},
    ),
    Case(
        "value-set-including-a-versioned-canonical-and-the-version",
        _value_set("http://hl7.org/fhir/administrative-gender|4.0.1", "4.0.1"),
        {"ValueSet.compose.include[0]": "is already in the version property"},
    ),
    # a CodeSystem's properties are found by code or URI, its concepts by code: one each
    Case("code-system-with-distinct-properties-and-codes", _code_system()),
    Case(
        "code-system-with-a-property-code-and-uri-twice",
        _code_system(
            property=[
                {"code": "risk", "uri": "https://fhir.fhircare.test/risk", "type": "string"},
                {"code": "risk", "type": "string"},
                {"code": "level", "uri": "https://fhir.fhircare.test/risk", "type": "string"},
            ]
        ),
        {
            "CodeSystem.property[1]": "A property is already defined with the code 'risk'",
            "CodeSystem.property[2]": "A property is already defined with the URI 'https://fhir.fhircare.test/risk'",
        },
    ),
    Case(
        "code-system-with-a-nested-code-defined-twice",
        _code_system(concept=[{"code": "a", "concept": [{"code": "b"}]}, {"code": "b"}]),
        {"CodeSystem": "csd-1", "CodeSystem.concept[1]": "The code 'b' has already been defined"},
    ),
    # search results: a match has an id and a type the search asked for; an outcome is an
    # OperationOutcome (what the partner API answers with)
    Case("search-results-as-the-partner-api-gives-them", _search_results(("match", {**_patient(), "id": "p1"}))),
    Case(
        "search-result-without-an-id",
        _search_results(("match", {k: v for k, v in _patient().items() if k != "id"})),
        {"Bundle.entry[0].resource": "Search results must have ids"},
    ),
    Case(
        "search-result-of-a-type-not-searched-for",
        _search_results(("match", _observation("Patient/p1"))),
        {"Bundle.entry[0].resource": "This is not a matching resource type for the specified search (Observation"},
    ),
    Case(
        "search-outcome-that-is-not-an-operation-outcome",
        _search_results(("match", {**_patient(), "id": "p1"}), ("outcome", {**_patient(), "id": "p2"})),
        {"Bundle.entry[1].resource": "This is not an OperationOutcome (Patient)"},
    ),
    # a definition's own url is absolute; a value set includes a code system by its url
    Case(
        "value-set-with-a-relative-url",
        {**_value_set("http://hl7.org/fhir/administrative-gender"), "url": "ValueSet/v1"},
        {"ValueSet.url": "Canonical URLs must be absolute URLs if they are not fragment references (ValueSet/v1)"},
    ),
    Case(
        "value-set-including-a-contained-code-system-by-fragment",
        {
            **_value_set("#c1"),
            "contained": [{**_code_system(), "id": "c1", "url": "c1"}],
        },
        {
            "ValueSet.contained[0]/*CodeSystem/c1*/.url": "Canonical URLs in contained resources must be absolute",
            "ValueSet.compose.include[0]": "URI values in ValueSet.compose.include.system must be absolute",
        },
    ),
    # a resource's id is its address: nothing may qualify it
    Case(
        "resource-id-with-an-extension",
        _patient(_id={"extension": [{"url": CORE + "data-absent-reason", "valueCode": "masked"}]}),
        {"Patient.id": f"Extensions are not allowed on Resource.id ('{CORE}data-absent-reason')"},
    ),
    # a value set's filters: a property the system has, an operation it allows, a value of
    # the property's type (a value set no server can expand as meant selects nothing)
    Case(
        "value-set-filters-each-system-allows",
        _definition(
            "ValueSet",
            "v1",
            name="V1",
            compose={
                "include": [
                    {"system": GENDER, "filter": [{"property": "concept", "op": "in", "value": "male,female"}]},
                    {
                        "system": "http://loinc.org",
                        "filter": [
                            {"property": "STATUS", "op": "=", "value": "ACTIVE"},
                            {"property": "CLASS", "op": "regex", "value": "PANEL.*"},
                        ],
                    },
                ]
            },
        ),
    ),
    Case(
        "value-set-filter-on-a-boolean-property-with-1",
        _filtered_value_set(GENDER, ("notSelectable", "=", "1")),
        {
            "ValueSet.compose.include[0].filter[0]": (
                "The value for a filter based on property 'notSelectable' must be either 'true' or 'false', not '1'"
            )
        },
    ),
    Case(
        "value-set-filter-with-an-operation-the-attribute-does-not-allow",
        _filtered_value_set(SNOMED, ("363698007", "is-a", "39057004")),
        {
            "ValueSet.compose.include[0].filter[0]": (
                "The operation 'is-a' is not allowed for property '363698007' in system 'http://snomed.info/sct'. "
                "Allowed ops: =,in"
            )
        },
    ),
    Case(
        "value-set-filter-on-a-code-the-system-lacks",
        _filtered_value_set(GENDER, ("concept", "is-a", "xyz")),
        {
            "ValueSet.compose.include[0].filter[0]": (
                "must be a valid code from the system 'http://hl7.org/fhir/administrative-gender', and 'xyz' is not"
            )
        },
    ),
    Case(
        "value-set-filter-by-regex-on-concept",
        _filtered_value_set(GENDER, ("concept", "regex", "m.*")),
        {"ValueSet.compose.include[0].filter[0]": "Cannot apply a regex filter to the property 'concept'"},
    ),
    Case(
        "value-set-filter-with-a-date-that-is-not-one",
        _filtered_value_set("https://fhir.fhircare.test/CodeSystem/unknown", ("effectiveDate", "=", "yesterday")),
        {
            "ValueSet.compose.include[0].filter[0]": (
                "The value for a filter based on property 'effectiveDate' must be a valid date(/time), not 'yesterday'"
            )
        },
    ),
    # a code system's content and count say whether the concepts in hand are all of it
    Case(
        "complete-code-system-with-a-count-it-does-not-hold",
        _code_system(count=4),
        {"CodeSystem.count": "The code system is complete, but the number of concepts (3) does not match the stated"},
    ),
    Case(
        "code-system-without-content-holding-concepts",
        _code_system(content="not-present"),
        {"CodeSystem.concept[0]": "The code system says it has no content present, but concepts are found"},
    ),
    # a property FHIR defines keeps FHIR's meaning; a concept's value is of its property's type
    Case(
        "code-system-property-with-fhirs-uri-and-another-type",
        _code_system(
            property=[
                {"code": "notSelectable", "uri": "http://hl7.org/fhir/concept-properties#notSelectable", "type": "code"}
            ],
            concept=[{"code": "a", "property": [{"code": "notSelectable", "valueCode": "yes"}]}],
        ),
        {
            "CodeSystem.property[0]": (
                "Wrong type 'code': The URI 'http://hl7.org/fhir/concept-properties#notSelectable' identifies a "
                "property that has the type 'boolean'"
            )
        },
    ),
    Case(
        "code-system-property-invented-in-hl7s-namespace",
        _code_system(
            property=[{"code": "rank", "uri": "http://hl7.org/fhir/concept-properties#rank", "type": "integer"}]
        ),
        {"CodeSystem.property[0]": "Unknown CodeSystem Property 'http://hl7.org/fhir/concept-properties#rank'"},
    ),
    Case(
        "code-system-concept-property-of-another-type",
        _code_system(concept=[{"code": "a", "property": [{"code": "risk", "valueInteger": 3}]}]),
        {
            "CodeSystem.concept[0].property[0]": (
                "The property 'risk' has the invalid type 'integer', when it is defined to have the type 'string'"
            )
        },
    ),
    # a server declares each search parameter as the type its definition gives; R4 lets
    # 'xml' and 'json' stand for FHIR's media types in its formats
    Case(
        "capability-statement-as-a-fhir-server-writes-it",
        _capability_statement("token", ["xml", "json", "application/fhir+json"]),
    ),
    Case(
        "capability-statement-declaring-a-search-parameter-of-another-type",
        _capability_statement("date", ["application/fhir+json"]),
        {
            "CapabilityStatement.rest[0].resource[0].searchParam[0]": (
                "Type mismatch - SearchParameter 'http://hl7.org/fhir/SearchParameter/individual-gender|4.0.1' type is "
                "token, but type here is date"
            )
        },
    ),
    # a concept's coding names a code system: a value set's url names no code
    Case(
        "bound-concept-coding-naming-a-value-set",
        _patient(maritalStatus={"coding": [{"system": "http://hl7.org/fhir/ValueSet/marital-status", "code": "M"}]}),
        {
            "Patient.maritalStatus.coding[0].system": (
                "The Coding references a value set, not a code system ('http://hl7.org/fhir/ValueSet/marital-status')"
            )
        },
        deviates=(
            "the HL7 validator says so when it checks the codings against the value set: with a terminology "
            "server (HL7's own test case mr-covid-m5 records it), not offline"
        ),
    ),
    # a required code carrying only extensions is no code
    Case(
        "required-code-with-only-a-data-absent-reason",
        _patient(_gender={"extension": [{"url": CORE + "data-absent-reason", "valueCode": "unknown"}]}),
        {"Patient.gender": "No code provided, and a code is required from the value set"},
    ),
    # ext-1: a value that carries only extensions ('_valueString') is a value
    Case(
        "extension-whose-value-has-only-extensions",
        _patient(extension=[{"url": MAIDEN_NAME, "_valueString": {"extension": [_TRANSLATION]}}]),
    ),
    Case(
        "extension-with-extensions-and-a-value-that-has-only-extensions",
        _patient(
            extension=[
                {
                    "url": MAIDEN_NAME,
                    "extension": [{"url": "x", "valueString": "y"}],
                    "_valueString": {"extension": [_TRANSLATION]},
                }
            ]
        ),
        {
            "Patient.extension[0]": "ext-1",
            # a simple extension defines no parts: 'x' means nothing
            "Patient.extension[0].extension[0][url='x']": "Sub-extension url 'x' is not defined",
        },
    ),
    # a narrative's link into the resource ('#fragment') must lead somewhere: an element id,
    # a narrative id or a narrative <a name>, in the resource or else in its Bundle
    Case(
        "narrative-link-to-nothing",
        _patient(text=_linking('<a href="#nowhere">the plan</a>')),
        {"Patient.text.div": "Hyperlink '#nowhere' at 'div/p/a' for 'the plan' does not resolve"},
    ),
    Case(
        "narrative-link-to-a-contained-resource-and-named-anchors",
        _patient(
            text=_linking(
                '<a name="top"/><span id="s1">a</span><a href="#c1">GP</a> <a href="#s1">s</a> <a href="#top">t</a>'
                ' <a href="#k1">contact</a>'
            ),
            contained=[{"resourceType": "Practitioner", "id": "c1", "name": [{"text": "A GP"}]}],
            generalPractitioner=[{"reference": "#c1"}],
            contact=[{"id": "k1", "name": {"text": "A carer"}}],
        ),
    ),
    Case(
        "narrative-image-from-nothing",
        _patient(text=_linking('<img src="#logo" alt="logo"/>')),
        {"Patient.text.div": "Image source '#logo' at 'Patient.text.div/img' does not resolve"},
    ),
    Case(
        "narrative-link-to-another-entry-of-its-bundle",
        {
            "resourceType": "Bundle",
            "id": "b2",
            "type": "collection",
            "entry": [
                {
                    "fullUrl": f"urn:uuid:{UUID}",
                    "resource": {**_patient(text=_linking('<a href="#o1-code">mood</a>')), "id": UUID},
                },
                {
                    "fullUrl": f"urn:uuid:{OTHER_UUID}",
                    "resource": {
                        **_observation(f"urn:uuid:{UUID}"),
                        "id": OTHER_UUID,
                        "code": {"id": "o1-code", "text": "mood"},
                    },
                },
            ],
        },
    ),
    # in a Bundle a relative reference is resolved against the entry's fullUrl: it must be
    # [type]/[id]; an id alone is an error there (outside one, a warning: see ADVICE)
    Case(
        "reference-by-id-alone-in-a-bundle",
        {
            "resourceType": "Bundle",
            "id": "by-id",
            "type": "collection",
            "entry": [
                {
                    "fullUrl": "https://fhir.example.nhs.uk/Observation/o1",
                    "resource": {**_observation("Patient/p1"), "id": "o1", "focus": [{"reference": "care-plan-1"}]},
                }
            ],
        },
        {"Bundle.entry[0].resource/*Observation/o1*/.focus[0]": "Relative URLs must be of the format"},
    ),
    # tim-9 as the HL7 validator corrects it: an offset needs whens, none of them a meal (two
    # whens cannot be evaluated as published: 'in' wants one item)
    Case("offset-after-two-times-of-day", _timed_plan(["MORN", "AFT"], 30)),
    Case(
        "offset-after-a-meal-among-two",
        _timed_plan(["C", "MORN"], 30),
        {"CarePlan.activity[0].detail.scheduled.ofType(Timing).repeat": "tim-9"},
    ),
    Case(
        "offset-without-a-when",
        _timed_plan([], 30),
        {"CarePlan.activity[0].detail.scheduled.ofType(Timing).repeat": "tim-9"},
    ),
    *READ_CASES,
]


def resource_of(case: Case) -> Resource:
    return copy.deepcopy(case.resource)


#: codes with no system, as a Coding of its own (meta.tag) and in CodeableConcepts: each is
#: warned of where it is, in the HL7 validator's words (test_base_spec, and its oracle test)
CODES_WITHOUT_A_SYSTEM: Resource = {
    "resourceType": "Observation",
    "id": "o-no-system",
    "text": NARRATIVE,
    "meta": {"tag": [{"code": "reviewed"}, {"system": "https://fhir.fhircare.nhs.uk/CodeSystem/tags", "code": "x"}]},
    "status": "final",
    "code": {"coding": [{"code": "4"}]},
    "subject": {"reference": "Patient/p1"},
    "valueCodeableConcept": {"coding": [{"code": "R", "display": "restricted"}], "text": "restricted"},
}
NO_SYSTEM_WARNINGS: dict[str, str] = {
    "Observation.meta.tag[0]": "A code with no system has no defined meaning, and it cannot be validated. "
    "A system should be provided",
    "Observation.code.coding[0]": "Coding has no system. A code with no system has no defined meaning, and it "
    "cannot be validated. A system should be provided",
    "Observation.value.ofType(CodeableConcept).coding[0]": "Coding has no system. A code with no system has no "
    "defined meaning, and it cannot be validated. A system should be provided",
}

#: codings that name no code: words only, a system only, nothing but an extension. A clinical
#: status that cannot be read must not pass as one (the first two fail a required binding).
CODINGS_NAMING_NOTHING: Resource = {
    "resourceType": "Condition",
    "id": "c-no-code",
    "text": NARRATIVE,
    "clinicalStatus": {"coding": [{"display": "Active"}]},
    "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status"}]},
    "category": [
        {
            "coding": [
                {
                    "extension": [
                        {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
                    ]
                }
            ]
        }
    ],
    "code": {"text": "Anxiety"},
    "subject": {"reference": "Patient/p1"},
}
#: location → (severity, text): every error and warning, in the HL7 validator's words
CODINGS_NAMING_NOTHING_ISSUES: dict[str, tuple[str, str]] = {
    "Condition.clinicalStatus.coding[0]": (
        "warning",
        "Coding has neither a system nor a code, so it cannot be validated. A system and a code should be provided",
    ),
    "Condition.clinicalStatus": (
        "error",
        "None of the codings provided are in the value set 'Condition Clinical Status Codes' "
        "(http://hl7.org/fhir/ValueSet/condition-clinical|4.0.1), and a coding from this value set is required) "
        "(codes = null#null)",
    ),
    "Condition.verificationStatus.coding[0]": (
        "warning",
        "No code provided for CodeSystem 'http://terminology.hl7.org/CodeSystem/condition-ver-status' version '4.0.1'",
    ),
    "Condition.verificationStatus": (
        "error",
        "None of the codings provided are in the value set 'ConditionVerificationStatus' "
        "(http://hl7.org/fhir/ValueSet/condition-ver-status|4.0.1), and a coding from this value set is required) "
        "(codes = http://terminology.hl7.org/CodeSystem/condition-ver-status#null)",
    ),
    "Condition.category[0]": (
        "warning",
        "No code provided, and a code should be provided from the value set 'Condition Category Codes' "
        "(http://hl7.org/fhir/ValueSet/condition-category|4.0.1)",
    ),
}

#: displays that are not the code's, and strings with whitespace at their ends. A coding its
#: code system refuses (here for its display) fails the binding for the whole value, as the
#: HL7 validator finds: a clinical status whose coding says something else is not one.
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
DISPLAYS_AND_WHITESPACE: Resource = {
    "resourceType": "Condition",
    "id": "c-displays",
    "text": NARRATIVE,
    "clinicalStatus": {
        "coding": [
            {"system": CONDITION_CLINICAL, "code": "active", "display": "ACTIVE"},  # case does not matter
            {"system": CONDITION_CLINICAL, "code": "active", "display": "Activ"},
        ]
    },
    "category": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                    "code": "problem-list-item",
                    "display": "Problem List  Item",
                }
            ]
        }
    ],
    "code": {"text": "Low mood "},
    "note": [{"text": " markdown may start with a space "}],
    "subject": {"reference": "Patient/p1", "display": "\u00a0\u2003"},
    "recorder": {"reference": "Practitioner/r1", "display": "\u2009 "},  # blank: only hinted at there
}
#: location → (severity, the start of the text): every error and warning; the HL7 validator's
#: texts go on (the language of the display, the value of the string)
DISPLAYS_AND_WHITESPACE_ISSUES: dict[str, tuple[str, str]] = {
    "Condition.clinicalStatus.coding[1].display": (
        "error",
        f"Wrong Display Name 'Activ' for {CONDITION_CLINICAL}#active. Valid display is 'Active'",
    ),
    "Condition.clinicalStatus": (
        "error",
        "None of the codings provided are in the value set 'Condition Clinical Status Codes' "
        "(http://hl7.org/fhir/ValueSet/condition-clinical|4.0.1), and a coding from this value set is required) "
        f"(codes = {CONDITION_CLINICAL}#active, {CONDITION_CLINICAL}#active)",
    ),
    "Condition.category[0].coding[0].display": (
        "error",
        "Wrong whitespace in Display Name 'Problem List  Item' for "
        "http://terminology.hl7.org/CodeSystem/condition-category#problem-list-item. "
        "Valid display is 'Problem List Item'",
    ),
    "Condition.category[0]": (
        "warning",
        "None of the codings provided are in the value set 'Condition Category Codes' "
        "(http://hl7.org/fhir/ValueSet/condition-category|4.0.1), and a coding SHALL come from this value set "
        "unless it has no suitable code (note that the validator cannot judge what is suitable) "
        "(codes = http://terminology.hl7.org/CodeSystem/condition-category#problem-list-item)",
    ),
    "Condition.code.text": ("warning", "value should not start or finish with whitespace"),
    "Condition.subject.display": ("warning", "value should not be all whitespace"),
}

#: advice rather than rules, given where the HL7 validator gives it: a reference that is not
#: [type]/[id] (nor absolute, nor '#id'), or one with nothing to follow or read, a resource without a
#: narrative (dom-6; not a contained one, nor con-3, whose R4 expression fails on every
#: Condition with a category), an Observation without a subject, performer or time, and a
#: UCUM code with an annotation the unit does not carry ({score} is the unit 1 to UCUM)
ADVICE: Resource = {
    "resourceType": "Bundle",
    "id": "advice",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "https://fhir.example.nhs.uk/Observation/o1",
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"text": "Mood"},
                # a type name misspelt: taken as a REST URL on the record, it names nothing there
                "focus": [{"reference": "Careplan/1"}],
                # who did it: a type, and nothing a reader can follow or read
                "performer": [{"type": "Practitioner"}],
                "valueQuantity": {
                    "value": 3,
                    "unit": "points",
                    "system": "http://unitsofmeasure.org",
                    "code": "{score}",
                },
            },
        },
        {
            "fullUrl": "https://fhir.example.nhs.uk/Condition/c1",
            "resource": {
                "resourceType": "Condition",
                "id": "c1",
                "text": NARRATIVE,
                "contained": [{"resourceType": "Practitioner", "id": "who"}],
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                "code": "problem-list-item",
                            }
                        ]
                    }
                ],
                "code": {"text": "Low mood"},
                "subject": {"reference": "Patient/p1"},
                "recorder": {"reference": "#who"},
            },
        },
        {
            # no name: que-0 (name.matches) has nothing to judge, as the HL7 validator corrects it
            "fullUrl": "https://fhir.example.nhs.uk/Questionnaire/q1",
            "resource": {"resourceType": "Questionnaire", "id": "q1", "text": NARRATIVE, "status": "draft"},
        },
        {
            # a name that is not a machine name as a whole (que-0, anchored there)
            "fullUrl": "https://fhir.example.nhs.uk/Questionnaire/q2",
            "resource": {
                "resourceType": "Questionnaire",
                "id": "q2",
                "text": NARRATIVE,
                "name": "Care-plan-review",
                "status": "draft",
            },
        },
    ],
}
#: (location, the start of the text) of every warning, in the HL7 validator's words
ADVICE_WARNINGS: set[tuple[str, str]] = {
    (
        "Bundle.entry[0].resource.focus[0]",
        "The syntax of the reference 'Careplan/1' looks incorrect, and it should be checked",
    ),
    ("Bundle.entry[3].resource", "Constraint failed: que-0: 'Name should be usable as an identifier"),
    ("Bundle.entry[0].resource", "Constraint failed: dom-6: 'A resource should have narrative for robust management'"),
    ("Bundle.entry[0].resource", "Best Practice Recommendation: In general, all observations should have a subject"),
    (
        "Bundle.entry[0].resource.performer[0]",
        "A Reference without an actual reference or identifier should have a display",
    ),
    (
        "Bundle.entry[0].resource",
        "Best Practice Recommendation: In general, all observations should have an effective[x]",
    ),
    (
        "Bundle.entry[0].resource.value.ofType(Quantity)",
        "UCUM Codes that contain human readable annotations like {score} can be misleading (e.g. they are ignored "
        "when comparing units). Best Practice is not to depend on annotations in the UCUM code, so this usage should "
        "be checked, and the Quantity.unit 'points' SHOULD contain the annotation (it does not)",
    ),
}
