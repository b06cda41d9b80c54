"""Invalid variants of the examples: each breaks one rule of one profile, and the validator
(core R4 + this package, as the adapter runs it) must report an error at the intended
element, with text naming the rule.

Each case: the example it starts from, what it breaks, the mutation, the exact FHIRPath
``expression`` of the expected error issue and a fragment of its text.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fhircare.validation.api import Validator
from tests.profiles.conftest import CANONICAL, example, package_profiles
from tests.profiles.invalid_variants_partners import PARTNER_VARIANTS

Resource = dict[str, Any]

CS = f"{CANONICAL}/CodeSystem/"
SD = f"{CANONICAL}/StructureDefinition/"


@dataclass(frozen=True)
class Variant:
    example: str
    breaks: str
    mutate: Callable[[Resource], None]
    expression: str
    text: str

    @property
    def profile(self) -> str:
        return str(example(self.example)["meta"]["profile"][0])


def drop(*path: str | int) -> Callable[[Resource], None]:
    """Delete the element at ``path``."""

    def mutate(r: Resource) -> None:
        node: Any = r
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return mutate


def put(value: Any, *path: str | int) -> Callable[[Resource], None]:
    """Set the element at ``path`` to ``value``."""

    def mutate(r: Resource) -> None:
        node: Any = r
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = copy.deepcopy(value)

    return mutate


def keep(predicate: Callable[[Any], bool], *path: str | int) -> Callable[[Resource], None]:
    """Keep only the items of the list at ``path`` that satisfy ``predicate``."""

    def mutate(r: Resource) -> None:
        node: Any = r
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = [item for item in node[path[-1]] if predicate(item)]

    return mutate


def without_extension(url_end: str, *path: str | int) -> Callable[[Resource], None]:
    return keep(lambda e: not e["url"].endswith(url_end), *path, "extension")


def crisis_code(item: Any) -> str | None:
    code = item["detail"].get("code", {}).get("coding", [{}])[0].get("code")
    return code if isinstance(code, str) else None


def is_key_worker(participant: Any) -> bool:
    return any(c.get("code") == "key-worker" for role in participant["role"] for c in role.get("coding", []))


def relabel(old: str, new: str) -> Callable[[Resource], None]:
    """Every participant role coded ``old`` coded ``new`` instead."""

    def mutate(r: Resource) -> None:
        for participant in r["participant"]:
            for role in participant["role"]:
                for c in role.get("coding", []):
                    if c.get("code") == old:
                        c["code"] = new

    return mutate


def both(*mutations: Callable[[Resource], None]) -> Callable[[Resource], None]:
    def mutate(r: Resource) -> None:
        for m in mutations:
            m(r)

    return mutate


AWAITING = {"url": f"{SD}lead-awaiting-allocation", "valueDateTime": "2025-05-12"}
DIALOG_ITEM_8 = {"system": f"{CS}dialog-satisfaction", "code": "8"}

VARIANTS = [
    # Patient
    Variant(
        "Patient-example-patient",
        "NHS number fails the modulus 11 check",
        put("9990000019", "identifier", 0, "value"),
        "Patient.identifier[0]",
        "fhircare-nhs-number-1",
    ),
    Variant(
        "Patient-example-patient",
        "NHS number without its verification status",
        drop("identifier", 0, "extension"),
        "Patient.identifier[0]",
        "Slice 'Patient.identifier.extension:nhsNumberVerificationStatus': a matching slice is required",
    ),
    Variant(
        "Patient-example-patient",
        "verification status code not in UK Core's value set",
        put("99", "identifier", 0, "extension", 0, "valueCodeableConcept", "coding", 0, "code"),
        "Patient.identifier[0].extension[0].value.ofType(CodeableConcept)",
        "None of the codings provided are in the value set 'NHS number verification status'",
    ),
    Variant(
        "Patient-example-patient",
        "no date of birth (PRSB mandatory)",
        drop("birthDate"),
        "Patient",
        "Patient.birthDate: minimum required = 1, but only found 0",
    ),
    # Practitioner
    Variant(
        "Practitioner-example-practitioner-psychiatrist",
        "GMC number is not seven digits",
        put("12345", "identifier", 1, "value"),
        "Practitioner.identifier[1]",
        "fhircare-gmc-number-1",
    ),
    Variant(
        "Practitioner-example-practitioner-key-worker",
        "NMC PIN in the wrong format",
        put("12345678", "identifier", 1, "value"),
        "Practitioner.identifier[1]",
        "fhircare-nmc-number-1",
    ),
    Variant(
        "Practitioner-example-practitioner-psychiatrist",
        "no name",
        drop("name"),
        "Practitioner",
        "Practitioner.name: minimum required = 1, but only found 0",
    ),
    # PractitionerRole
    Variant(
        "PractitionerRole-example-role-key-worker",
        "no organisation",
        drop("organization"),
        "PractitionerRole",
        "PractitionerRole.organization: minimum required = 1, but only found 0",
    ),
    Variant(
        "PractitionerRole-example-role-key-worker",
        "no job role",
        drop("code"),
        "PractitionerRole",
        "PractitionerRole.code: minimum required = 1, but only found 0",
    ),
    Variant(
        "PractitionerRole-example-role-key-worker",
        "practitioner reference to a Patient",
        put({"reference": "Patient/example-patient"}, "practitioner"),
        "PractitionerRole.practitioner",
        "is not a valid Target for this element",
    ),
    # Organization
    Variant(
        "Organization-example-trust",
        "no partner organisation type",
        keep(lambda c: not c["system"].endswith("partner-organisation-type"), "type", 0, "coding"),
        "Organization",
        "fhircare-organization-1",
    ),
    Variant(
        "Organization-example-trust",
        "ODS code with lower case and a space",
        put("zz t1", "identifier", 0, "value"),
        "Organization.identifier[0]",
        "fhircare-ods-code-1",
    ),
    Variant(
        "Organization-example-trust",
        "no name",
        drop("name"),
        "Organization",
        "Organization.name: minimum required = 1, but only found 0",
    ),
    # CareTeam
    Variant(
        "CareTeam-example-care-team",
        "the current key worker's involvement has ended: no current key worker",
        put("2024-12-31", "participant", 0, "period", "end"),
        "CareTeam",
        "fhircare-care-team-1",
    ),
    Variant(
        "CareTeam-example-care-team",
        "two current key workers",
        drop("participant", 1, "period", "end"),
        "CareTeam",
        "fhircare-care-team-1",
    ),
    Variant(
        "CareTeam-example-care-team",
        "a current key worker and the awaiting-allocation marker",
        put([AWAITING], "extension"),
        "CareTeam",
        "fhircare-care-team-1",
    ),
    Variant(
        "CareTeam-example-care-team-awaiting-allocation",
        "awaiting a lead with no duty worker as default contact",
        keep(lambda p: p["role"][0]["coding"][0]["code"] != "duty-worker", "participant"),
        "CareTeam",
        "fhircare-care-team-1",
    ),
    Variant(
        "CareTeam-example-care-team",
        "a current care co-ordinator beside the current key worker: two named leads",
        both(relabel("key-worker", "care-coordinator"), drop("participant", 1, "period", "end")),
        "CareTeam",
        "fhircare-care-team-1",
    ),
    Variant(
        "CareTeam-example-care-team",
        "a lead by default who is not the team manager",
        put([{"url": f"{SD}default-lead", "valueBoolean": True}], "participant", 0, "extension"),
        "CareTeam",
        "fhircare-care-team-2",
    ),
    Variant(
        "CareTeam-example-care-team",
        "no key worker and no awaiting-allocation marker",
        keep(lambda p: not is_key_worker(p), "participant"),
        "CareTeam",
        "fhircare-care-team-1",
    ),
    Variant(
        "CareTeam-example-care-team",
        "a participant without a period",
        drop("participant", 3, "period"),
        "CareTeam.participant[3]",
        "CareTeam.participant.period: minimum required = 1, but only found 0",
    ),
    # CarePlan
    Variant(
        "CarePlan-example-care-plan",
        "active plan without a next review",
        without_extension("/next-review"),
        "CarePlan",
        "fhircare-care-plan-1",
    ),
    Variant(
        "CarePlan-example-care-plan",
        "the service user is not a contributor and no planning exception says why",
        keep(lambda c: c["reference"] != "Patient/example-patient", "contributor"),
        "CarePlan",
        "fhircare-care-plan-2",
    ),
    Variant(
        "CarePlan-example-care-plan",
        "an activity nobody performs",
        drop("activity", 0, "detail", "performer"),
        "CarePlan.activity[0].detail",
        "CarePlan.activity.detail.performer: minimum required = 1, but only found 0",
    ),
    Variant(
        "CarePlan-example-care-plan",
        "performer kind contradicts the reference",
        put("Patient", "activity", 2, "detail", "performer", 0, "type"),
        "CarePlan",
        "fhircare-care-plan-4",
    ),
    Variant(
        "CarePlan-example-care-plan",
        "plan type outside the care plan type value set",
        put([{"coding": [{"system": "http://snomed.info/sct", "code": "734163000"}]}], "category"),
        "CarePlan.category[0]",
        "None of the codings provided are in the value set 'Care plan type'",
    ),
    Variant(
        "CarePlan-example-care-plan",
        "care coordination arrangement without its dates",
        keep(lambda e: e["url"] != "period", "extension", 0, "extension"),
        "CarePlan.extension[0]",
        "Slice 'Extension.extension:period': a matching slice is required",
    ),
    Variant(
        "CarePlan-example-crisis-plan",
        "crisis plan without who to contact",
        keep(lambda a: crisis_code(a) != "crisis-contact", "activity"),
        "CarePlan",
        "fhircare-care-plan-3",
    ),
    # Goal
    Variant(
        "Goal-example-goal-housing",
        "no life area",
        drop("category"),
        "Goal",
        "Goal.category: minimum required = 1, but only found 0",
    ),
    Variant(
        "Goal-example-goal-housing",
        "a grouping concept as life area",
        put("dialog-domain", "category", 1, "coding", 0, "code"),
        "Goal.category[1]",
        "None of the codings provided are in the value set 'Life area'",
    ),
    Variant(
        "Goal-example-goal-housing",
        "goal without the service user's words",
        put(
            {"coding": [{"system": "http://snomed.info/sct", "code": "160734000"}]}, "description"
        ),  # lives in own home
        "Goal.description",
        "Goal.description.text: minimum required = 1, but only found 0",
    ),
    # RelatedPerson
    Variant(
        "RelatedPerson-example-carer-parent",
        "no relationship",
        both(drop("relationship"), drop("extension")),
        "RelatedPerson",
        "RelatedPerson.relationship: minimum required = 1, but only found 0",
    ),
    Variant(
        "RelatedPerson-example-carer-parent",
        "carer's assessment for someone not recorded as a carer",
        keep(lambda c: c["coding"][0]["code"] != "Carer", "relationship"),
        "RelatedPerson",
        "fhircare-related-person-1",
    ),
    Variant(
        "RelatedPerson-example-carer-parent",
        "carer's assessment without its date",
        keep(lambda e: e["url"] != "date", "extension", 0, "extension"),
        "RelatedPerson.extension[0]",
        "Slice 'Extension.extension:date': a matching slice is required",
    ),
    Variant(
        "RelatedPerson-example-carer-confidential",
        "carer-confidential without confidentiality R",
        keep(lambda s: s["code"] != "R", "meta", "security"),
        "RelatedPerson",
        "fhircare-sec-1",
    ),
    Variant(
        "RelatedPerson-example-carer-confidential",
        "carer-confidential without the NOPAT handling caveat",
        keep(lambda s: s["code"] != "NOPAT", "meta", "security"),
        "RelatedPerson",
        "fhircare-sec-1",
    ),
    Variant(
        "RelatedPerson-example-carer-parent",
        "no confidentiality label on a resource of the service user's record",
        drop("meta", "security"),
        "RelatedPerson",
        "fhircare-sec-2",
    ),
    Variant(
        "RelatedPerson-example-not-involved",
        "a person not to be involved published with a telephone number",
        put([{"system": "phone", "value": "01632 960 104"}], "telecom"),
        "RelatedPerson",
        "fhircare-related-person-2",
    ),
    Variant(
        "RelatedPerson-example-not-involved",
        "a person not to be involved as an active contact",
        put(True, "active"),
        "RelatedPerson",
        "fhircare-related-person-2",
    ),
    # Consent
    Variant(
        "Consent-example-consent-partner-types",
        "a sharing decision about nobody",
        drop("provision", "extension"),
        "Consent",
        "fhircare-consent-1",
    ),
    Variant(
        "Consent-example-consent-carer",
        "no information-sharing policy named",
        drop("policy"),
        "Consent",
        "Consent.policy: minimum required = 1, but only found 0",
    ),
    Variant(
        "Consent-example-consent-carer",
        "a permit that names neither class nor data (in FHIR: everything)",
        both(drop("provision", "class"), drop("provision", "data")),
        "Consent",
        "fhircare-consent-2",
    ),
    Variant(
        "Consent-example-consent-carer",
        "a permit with no purpose",
        drop("provision", "purpose"),
        "Consent",
        "fhircare-consent-3",
    ),
    Variant(
        "Consent-example-consent-carer",
        "no coded basis",
        drop("policyRule"),
        "Consent",
        "Consent.policyRule: minimum required = 1, but only found 0",
    ),
    Variant(
        "Consent-example-consent-best-interests",
        "a best-interests decision without its capacity assessment",
        drop("extension"),
        "Consent",
        "fhircare-consent-4",
    ),
    Variant(
        "Consent-example-consent-carer",
        "a basis that is not one of the consent bases",
        put("presumed", "policyRule", "coding", 0, "code"),
        "Consent.policyRule",
        "Basis of a sharing decision",
    ),
    Variant(
        "Consent-example-consent-carer",
        "scope other than patient privacy",
        put("treatment", "scope", "coding", 0, "code"),
        "Consent.scope",
        "does not match the pattern required by the profile",
    ),
    # CarePlan and Section 117
    Variant(
        "CarePlan-example-care-plan",
        "Section 117 after-care without the category that marks it",
        keep(lambda c: c["coding"][0]["code"] != "section-117-aftercare", "category"),
        "CarePlan",
        "fhircare-care-plan-5",
    ),
    # Flag
    Variant(
        "Flag-example-flag-do-not-involve",
        "a do-not-involve flag labelled restricted, so hidden where the service user is shown",
        put([{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}], "meta", "security"),
        "Flag",
        "fhircare-flag-1",
    ),
    Variant(
        "Flag-example-flag-do-not-involve",
        "a do-not-involve flag that does not say whom it is about",
        drop("extension"),
        "Flag",
        "fhircare-flag-1",
    ),
    Variant(
        "Flag-example-flag-do-not-involve",
        "no text for systems that show only text",
        drop("code", "text"),
        "Flag.code",
        "Flag.code.text: minimum required = 1, but only found 0",
    ),
    Variant(
        "Flag-example-flag-cto",
        "a condition a reasonable adjustment is for, on a flag that is not a reasonable adjustment",
        put(
            [{"url": f"{SD}reasonable-adjustment-condition", "valueString": "autism"}],
            "extension",
        ),
        "Flag",
        "fhircare-flag-3",
    ),
    Variant(
        "Flag-example-flag-reasonable-adjustment",
        "a kind of reasonable adjustment on a flag that is not the reasonable adjustment flag",
        put({"coding": [{"system": f"{CS}flag-code", "code": "do-not-involve"}], "text": "x"}, "code"),
        "Flag",
        "fhircare-flag-3",
    ),
    Variant(
        "Flag-example-flag-reasonable-adjustment",
        "a reasonable adjustment flag coded with a SNOMED CT concept fhircare does not list",
        put("1082671000000100", "code", "coding", 0, "code"),
        "Flag.code",
        "flag-code",
    ),
    # Capacity assessment
    Variant(
        "Observation-example-capacity-assessment",
        "a global 'lacks capacity' with no decision named",
        drop("component"),
        "Observation",
        "Observation.component: minimum required = 1, but only found 0",
    ),
    Variant(
        "Observation-example-capacity-assessment",
        "an outcome that is not has or lacks capacity",
        put("capacity-decision", "valueCodeableConcept", "coding", 0, "code"),
        "Observation.value.ofType(CodeableConcept)",
        "Capacity: outcome",
    ),
    # What a carer told the team
    Variant(
        "Communication-example-carer-information",
        "no carer as sender",
        drop("sender"),
        "Communication",
        "Communication.sender: minimum required = 1, but only found 0",
    ),
    Variant(
        "Communication-example-carer-information",
        "withheld from the service user but without NOPAT",
        keep(lambda s: s["code"] != "NOPAT", "meta", "security"),
        "Communication",
        "fhircare-sec-1",
    ),
    # Provenance
    Variant(
        "Provenance-example-provenance-consent-refusal",
        "refusal of consent without its rationale",
        drop("reason"),
        "Provenance",
        "fhircare-provenance-2",
    ),
    Variant(
        "Provenance-example-provenance-consent-refusal",
        "refusal of consent coded, its rationale in words dropped",
        drop("reason", 0, "text"),
        "Provenance",
        "fhircare-provenance-2",
    ),
    Variant(
        "Provenance-example-provenance-consent-refusal",
        "no fhircare record activity",
        keep(lambda c: not c["system"].endswith("record-activity"), "activity", "coding"),
        "Provenance",
        "fhircare-provenance-1",
    ),
    Variant(
        "Provenance-example-provenance-carer-information",
        "carer-provided information without the carer as informant",
        keep(lambda a: a["type"]["coding"][0]["code"] != "informant", "agent"),
        "Provenance",
        "fhircare-provenance-3",
    ),
    # DIALOG response
    Variant(
        "QuestionnaireResponse-example-dialog-baseline",
        "completed with an item missing and no reason",
        keep(lambda i: i["linkId"] != "dialog-meetings", "item"),
        "QuestionnaireResponse",
        "fhircare-dialog-1",
    ),
    Variant(
        "QuestionnaireResponse-example-dialog-baseline",
        "a rating of 8 (MHSDS range, outside 1-7)",
        put(DIALOG_ITEM_8, "item", 0, "answer", 0, "valueCoding"),
        "QuestionnaireResponse.item[0].answer[0].value.ofType(Coding)",
        "was not found in the value set 'DIALOG satisfaction rating'",
    ),
    Variant(
        "QuestionnaireResponse-example-dialog-baseline",
        "an item that is not a DIALOG item",
        lambda r: r["item"].append({"linkId": "phq9-1", "answer": [{"valueCoding": DIALOG_ITEM_8}]}),
        "QuestionnaireResponse.item[11]",
        "This element does not match any known slice",
    ),
    Variant(
        "QuestionnaireResponse-example-dialog-baseline",
        "another questionnaire",
        put("https://fhir.fhircare.nhs.uk/Questionnaire/phq9", "questionnaire"),
        "QuestionnaireResponse",
        "fhircare-dialog-2",
    ),
    Variant(
        "QuestionnaireResponse-example-dialog-review",
        "a rated item that also says why it was not rated",
        put([{"valueCoding": {"system": f"{CS}dialog-satisfaction", "code": "4"}}], "item", 6, "answer"),
        "QuestionnaireResponse",
        "fhircare-dialog-3",
    ),
    Variant(
        "QuestionnaireResponse-example-dialog-baseline",
        "no timepoint",
        drop("extension"),
        "QuestionnaireResponse",
        "Slice 'QuestionnaireResponse.extension:timepoint': a matching slice is required",
    ),
    Variant(
        "QuestionnaireResponse-example-dialog-baseline",
        "not linked to a care plan",
        drop("basedOn"),
        "QuestionnaireResponse",
        "QuestionnaireResponse.basedOn: minimum required = 1, but only found 0",
    ),
    # DIALOG score
    Variant(
        "Observation-example-dialog-score-quality-of-life",
        "a mean above 7",
        put(7.5, "valueQuantity", "value"),
        "Observation.value.ofType(Quantity).value",
        "is greater than the specified maximum value (7)",
    ),
    Variant(
        "Observation-example-dialog-score-quality-of-life",
        "not derived from a DIALOG response",
        drop("derivedFrom"),
        "Observation",
        "Observation.derivedFrom: minimum required = 1, but only found 0",
    ),
    Variant(
        "Observation-example-dialog-score-quality-of-life",
        "a score that is not one of the two DIALOG means",
        put("total", "code", "coding", 0, "code"),
        "Observation.code",
        "None of the codings provided are in the value set 'DIALOG derived score'",
    ),
    # EpisodeOfCare
    Variant(
        "EpisodeOfCare-example-episode-waitlist",
        "a key worker on an episode still on the waiting list",
        put({"reference": "PractitionerRole/example-role-key-worker"}, "careManager"),
        "EpisodeOfCare",
        "fhircare-episode-1",
    ),
    Variant(
        "EpisodeOfCare-example-episode",
        "a finished episode without an end date",
        put("finished", "status"),
        "EpisodeOfCare",
        "fhircare-episode-2",
    ),
    Variant(
        "EpisodeOfCare-example-episode",
        "no service line",
        drop("type"),
        "EpisodeOfCare",
        "EpisodeOfCare.type: minimum required = 1, but only found 0",
    ),
    Variant(
        "EpisodeOfCare-example-episode",
        "a care coordination arrangement that ends before it starts",
        put({"start": "2024-08-31", "end": "2021-01-04"}, "extension", 1, "extension", 1, "valuePeriod"),
        # the extension's snapshot lists Period's children, not Period's own invariant per-1
        "EpisodeOfCare.extension[1].extension[1].value.ofType(Period)",
        "per-1",
    ),
    # Encounter
    Variant(
        "Encounter-example-inpatient-stay",
        "finished but with no discharge",
        drop("period", "end"),
        "Encounter",
        "fhircare-encounter-1",
    ),
    Variant(
        "Encounter-example-out-of-area-placement",
        "a placement type the value set does not have",
        put("holiday", "extension", 0, "extension", 0, "valueCodeableConcept", "coding", 0, "code"),
        "Encounter.extension[0].extension[0].value.ofType(CodeableConcept)",
        "None of the codings provided are in the value set 'Out-of-area placement type'",
    ),
    Variant(
        "Encounter-example-inpatient-stay",
        "no provider",
        drop("serviceProvider"),
        "Encounter",
        "Encounter.serviceProvider: minimum required = 1, but only found 0",
    ),
]


# issue 10: crisis contacts, needs, reviews, risk, medication, DIALOG as MHSDS records it
VARIANTS += [Variant(*v) for v in PARTNER_VARIANTS]


@pytest.mark.parametrize("variant", VARIANTS, ids=[f"{v.example}: {v.breaks}" for v in VARIANTS])
def test_invalid_variant_is_rejected_at_the_intended_element(variant: Variant, profiles_validator: Validator) -> None:
    resource = copy.deepcopy(example(variant.example))
    variant.mutate(resource)
    result = profiles_validator.validate(resource, [variant.profile])
    errors = [(i.expression, i.text) for i in result.issues if i.severity in ("error", "fatal")]
    assert any(e == variant.expression and variant.text in t for e, t in errors), errors


def test_the_unmutated_examples_are_valid(profiles_validator: Validator) -> None:
    for name in sorted({v.example for v in VARIANTS}):
        resource = example(name)
        result = profiles_validator.validate(resource, resource["meta"]["profile"])
        assert [i.text for i in result.issues if i.severity in ("error", "fatal")] == [], name


def test_every_profile_has_at_least_two_invalid_variants() -> None:
    counts: dict[str, int] = {}
    for variant in VARIANTS:
        counts[variant.profile] = counts.get(variant.profile, 0) + 1
    assert {url: counts.get(url, 0) for url in package_profiles() if counts.get(url, 0) < 2} == {}
