"""The questionnaire rules of tests/unit/validation/questionnaire_cases.py, asked of the HL7
validator: for each response, its verdict and error locations must be the ones the unit
tests hold fhircare to (so fhircare agrees with it), except the cases listed in
deviations.json under "questionnaire" with the reason."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from fhircare.settings import Settings
from tests.conformance.oracle.java import JavaOracle, missing_tools
from tests.unit.validation.questionnaire_cases import CASES, CODE_SYSTEM, QUESTIONNAIRE, VALUE_SET, Case, response_for

DEVIATIONS = json.loads((Path(__file__).parent / "deviations.json").read_text())["questionnaire"]
_COMMENT = re.compile(r"/\*.*?\*/")

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(missing_tools() is not None, reason=f"HL7 validator oracle: {missing_tools()}"),
]


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JavaOracle]:
    ig = tmp_path_factory.mktemp("questionnaire-ig")
    for resource in (CODE_SYSTEM, VALUE_SET, QUESTIONNAIRE):
        (ig / f"{resource['resourceType']}-{resource['id']}.json").write_bytes(orjson.dumps(resource))
    with JavaOracle([ig], Settings().package_cache.expanduser()) as oracle:
        yield oracle


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_hl7_validator_reports_the_same(case: Case, java: JavaOracle, tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_bytes(orjson.dumps(response_for(case)))
    issues = java.validate(path)
    assert not isinstance(issues, str), issues
    found = {_COMMENT.sub("", i.location) for i in issues if i.is_error}
    if case.name in DEVIATIONS:
        assert found != case.errors, f"now agrees: remove '{case.name}' from deviations.json"
        return
    assert found == case.errors, [f"{i.location}: {i.message}" for i in issues if i.is_error]
