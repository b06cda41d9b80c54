"""Every example in the package validates with zero errors against (a) its own profile, (b)
base R4 and (c) the matching UK Core profile (../shared/ukcore); `fhircare validate` agrees.

(a) uses the validator as the adapter runs it (core R4 + this package, no UK Core), so the
package is shown to be self-sufficient. (b) drops ``meta.profile`` so that only the base
resource definitions apply. (c) checks against the UK Core profile of the same resource type.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fhircare.cli import app
from fhircare.settings import Settings
from fhircare.validation.api import Validator
from fhircare.validation.issues import ValidationResult
from tests.profiles.conftest import (
    CANONICAL,
    EXAMPLES,
    PACKAGE,
    UKCORE,
    UKCORE_SD,
    example_files,
    package_profiles,
    read_json,
)

#: the UK Core profile each resource type must also conform to (UK Core has no Goal or
#: RiskAssessment profile)
UKCORE_PROFILE = {
    "Patient": "UKCore-Patient",
    "Practitioner": "UKCore-Practitioner",
    "PractitionerRole": "UKCore-PractitionerRole",
    "Organization": "UKCore-Organization",
    "CareTeam": "UKCore-CareTeam",
    "EpisodeOfCare": "UKCore-EpisodeOfCare",
    "Encounter": "UKCore-Encounter",
    "CarePlan": "UKCore-CarePlan",
    "RelatedPerson": "UKCore-RelatedPerson",
    "Consent": "UKCore-Consent",
    "Provenance": "UKCore-Provenance",
    "Questionnaire": "UKCore-Questionnaire",
    "QuestionnaireResponse": "UKCore-QuestionnaireResponse",
    "Observation": "UKCore-Observation",
    "Flag": "UKCore-Flag",
    "Communication": "UKCore-Communication",
    "Condition": "UKCore-Condition",
    "DocumentReference": "UKCore-DocumentReference",
    "HealthcareService": "UKCore-HealthcareService",
    "MedicationStatement": "UKCore-MedicationStatement",
    "Task": "UKCore-Task",
}

FILES = example_files()


def _errors(result: ValidationResult) -> list[str]:
    return [f"{i.expression}: {i.text}" for i in result.issues if i.severity in ("error", "fatal")]


def _without_profiles(resource: dict[str, Any]) -> dict[str, Any]:
    bare = copy.deepcopy(resource)
    meta = bare.get("meta", {})
    meta.pop("profile", None)
    if "meta" in bare and not meta:
        del bare["meta"]
    return bare


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_example_is_valid_against_its_profile(path: Path, profiles_validator: Validator) -> None:
    resource = read_json(path)
    profiles = resource.get("meta", {}).get("profile", [])
    if resource["resourceType"] != "Questionnaire":
        assert profiles and all(p.startswith(CANONICAL) for p in profiles), "examples claim their fhircare profile"
    assert _errors(profiles_validator.validate(resource, profiles)) == []


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_example_is_valid_against_base_r4(path: Path, full_validator: Validator) -> None:
    assert _errors(full_validator.validate(_without_profiles(read_json(path)), [])) == []


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_example_is_valid_against_ukcore(path: Path, full_validator: Validator) -> None:
    if not UKCORE.is_dir():
        pytest.skip(f"UK Core reference copy not found at {UKCORE}")
    resource = read_json(path)
    ukcore = UKCORE_PROFILE.get(resource["resourceType"])
    if ukcore is None:
        pytest.skip(f"UK Core has no {resource['resourceType']} profile")
    result = full_validator.validate(_without_profiles(resource), [UKCORE_SD + ukcore])
    assert _errors(result) == []


def test_every_profile_has_an_example() -> None:
    claimed = {p for path in FILES for p in read_json(path).get("meta", {}).get("profile", [])}
    assert set(package_profiles()) - claimed == set()


def test_fhircare_validate_accepts_the_examples_folder() -> None:
    """The CLI over the whole examples folder: exit 0, so no example has an error."""
    cache = os.environ.get("FHIRCARE_PACKAGE_CACHE") or str(Settings().package_cache)
    environment = {
        "FHIRCARE_PACKAGE_CACHE": cache,
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "FHIRCARE_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    args = ["validate", str(EXAMPLES), str(PACKAGE / "Questionnaire-dialog.json"), "--ig", str(PACKAGE), "--quiet"]
    result = CliRunner().invoke(app, args, env=environment)
    assert result.exit_code == 0, result.output


def test_a_base_binding_a_profile_replaces_is_left_to_the_profile(profiles_validator: Validator) -> None:
    # Consent.policyRule is bound (extensible) to the core consent-policy codes; fhircare's
    # Consent profile binds it to its own consent bases instead, which extensible allows. With
    # the profile in play only its binding is checked, as the HL7 validator checks it (it
    # validates against the profile's snapshot); without it, the core binding's warning stands.
    consent = read_json(EXAMPLES / "Consent-example-consent-best-interests.json")
    claimed = profiles_validator.validate(consent, [])
    assert [i for i in claimed.issues if i.expression == "Consent.policyRule"] == []
    asked = profiles_validator.validate(_without_profiles(consent), consent["meta"]["profile"])
    assert [i for i in asked.issues if i.expression == "Consent.policyRule"] == []
    bare = profiles_validator.validate(_without_profiles(consent), [])
    warned = [i for i in bare.issues if i.expression == "Consent.policyRule"]
    assert [i.severity for i in warned] == ["warning"]
    assert "Consent PolicyRule Codes" in warned[0].text
