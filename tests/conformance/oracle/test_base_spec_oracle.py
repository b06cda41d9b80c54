"""The base-specification cases of tests/unit/validation/base_spec_cases.py, asked of the HL7
validator: its verdict must be the one the unit tests hold fhircare to, and where it finds
errors, at the same locations; except the cases marked ``deviates`` (the reason is there),
where it must still differ (else the mark is stale)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from fhircare.settings import Settings
from tests.conformance.oracle.java import JavaIssue, JavaOracle, missing_tools
from tests.unit.validation.base_spec_cases import (
    ADVICE,
    ADVICE_WARNINGS,
    CASES,
    CODES_WITHOUT_A_SYSTEM,
    CODINGS_NAMING_NOTHING,
    CODINGS_NAMING_NOTHING_ISSUES,
    DISPLAYS_AND_WHITESPACE,
    DISPLAYS_AND_WHITESPACE_ISSUES,
    NO_SYSTEM_WARNINGS,
    READ_CASES,
    Case,
    resource_of,
)

_COMMENT = re.compile(r"/\*.*?\*/")
#: both name an extension by its url in some locations (a part no definition has, an
#: extension in the wrong place), the HL7 validator in some more
_EXTENSION_URL = re.compile(r"\[url='[^']*'\]")

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(missing_tools() is not None, reason=f"HL7 validator oracle: {missing_tools()}"),
]


@pytest.fixture(scope="module")
def java() -> Iterator[JavaOracle]:
    with JavaOracle([], Settings().package_cache.expanduser()) as oracle:
        yield oracle


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_hl7_validator_agrees(case: Case, java: JavaOracle, tmp_path: Path) -> None:
    path = tmp_path / "resource.json"
    path.write_bytes(orjson.dumps(resource_of(case)))
    issues = java.validate(path)
    assert not isinstance(issues, str), issues
    errors = [i for i in issues if i.is_error]
    texts = [f"{i.location}: {i.message}" for i in errors]
    if case.deviates is not None:
        assert bool(errors) != bool(case.errors), f"now agrees: remove the deviation of '{case.name}'"
        return
    assert bool(errors) == bool(case.errors), texts
    found = {_EXTENSION_URL.sub("", _COMMENT.sub("", i.location)) for i in errors}
    # where fhircare finds an error, so does the HL7 validator, there or inside (it may name an
    # unknown extension's url rather than the extension)
    # fhircare names contained resources
    wanted = [_EXTENSION_URL.sub("", _COMMENT.sub("", loc)) for loc in case.errors]
    missing = [loc for loc in wanted if not any(f == loc or f.startswith(loc + ".") for f in found)]
    assert not missing, texts


@pytest.mark.parametrize("case", READ_CASES, ids=lambda c: c.name)
def test_the_hl7_validator_reads_wrong_json_alike(case: Case, java: JavaOracle, tmp_path: Path) -> None:
    """JSON of the wrong kind or shape: the HL7 validator reports errors at exactly fhircare's
    locations (the test above asks only that it reports where fhircare does)."""
    errors = [i for i in _asked(java, tmp_path, resource_of(case)) if i.is_error]
    assert {i.location for i in errors} == set(case.errors), [f"{i.location}: {i.message}" for i in errors]


def _asked(java: JavaOracle, tmp_path: Path, resource: dict[str, Any]) -> list[JavaIssue]:
    """The HL7 validator's issues on ``resource`` (it must answer, not throw)."""
    path = tmp_path / "resource.json"
    path.write_bytes(orjson.dumps(resource))
    issues = java.validate(path)
    assert not isinstance(issues, str), issues
    return issues


def test_the_hl7_validator_warns_of_codes_without_a_system_alike(java: JavaOracle, tmp_path: Path) -> None:
    issues = _asked(java, tmp_path, CODES_WITHOUT_A_SYSTEM)
    found = {i.location: i.message for i in issues if "no system" in i.message and i.severity == "warning"}
    assert found == NO_SYSTEM_WARNINGS


def test_the_hl7_validator_refuses_codings_that_name_no_code_alike(java: JavaOracle, tmp_path: Path) -> None:
    issues = _asked(java, tmp_path, CODINGS_NAMING_NOTHING)
    found = {i.location: (i.severity, i.message) for i in issues if i.severity in ("error", "warning")}
    assert found == CODINGS_NAMING_NOTHING_ISSUES


def test_the_hl7_validator_judges_displays_and_whitespace_alike(java: JavaOracle, tmp_path: Path) -> None:
    issues = _asked(java, tmp_path, DISPLAYS_AND_WHITESPACE)
    found = {i.location: (i.severity, i.message) for i in issues if i.severity in ("error", "warning")}
    assert set(found) == set(DISPLAYS_AND_WHITESPACE_ISSUES), found
    for location, (severity, start) in DISPLAYS_AND_WHITESPACE_ISSUES.items():
        assert found[location][0] == severity, (location, found[location])
        assert found[location][1].startswith(start), (location, found[location])


def test_the_hl7_validator_gives_the_same_advice(java: JavaOracle, tmp_path: Path) -> None:
    issues = _asked(java, tmp_path, ADVICE)
    assert not [i for i in issues if i.is_error]
    # its offline note on every UCUM code ("Unable to validate code ... without terminology
    # services") is about its set-up here, not the resource
    found = {
        (_COMMENT.sub("", i.location), i.message)
        for i in issues
        if i.severity == "warning" and "without terminology services" not in i.message
    }
    matched = {w for w in ADVICE_WARNINGS for f in found if f[0] == w[0] and f[1].startswith(w[1])}
    assert len(found) == len(ADVICE_WARNINGS) and matched == ADVICE_WARNINGS, found
