"""`fhircare validate`: what it prints, in text and JSON, and the exit codes.

These run the real validator over the core package in the package cache
(FHIRCARE_PACKAGE_CACHE, default ~/.fhir/packages), with the registry switched
off so nothing touches the network.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from fhircare.cli import FILE_EXTENSION_URL, app
from fhircare.settings import Settings
from fhircare.validation.issues import Issue, ValidationResult
from fhircare.validation.packages import CORE_PACKAGE, PackageCache

_CACHE = Path(os.environ.get("FHIRCARE_PACKAGE_CACHE") or Settings().package_cache)

pytestmark = pytest.mark.skipif(
    not PackageCache.from_settings(Settings(package_cache=_CACHE)).is_installed(CORE_PACKAGE),
    reason=f"{CORE_PACKAGE} is not in {_CACHE} (fhircare packages install {CORE_PACKAGE})",
)

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>A person</p></div>'}
VALID = {"resourceType": "Patient", "id": "p1", "text": NARRATIVE, "gender": "female"}
INVALID = {"resourceType": "Patient", "id": "p2", "name": [{"family": 42}]}
WARNS = {
    "resourceType": "Patient",
    "maritalStatus": {"coding": [{"system": "https://terminology.trust.nhs.uk/x", "code": "z"}]},
}
PROFILE_URL = "http://example.org/fhir/StructureDefinition/GenderedPatient"
GENDERED_PATIENT = {
    "resourceType": "StructureDefinition",
    "url": PROFILE_URL,
    "name": "GenderedPatient",
    "status": "active",
    "fhirVersion": "4.0.1",
    "kind": "resource",
    "abstract": False,
    "type": "Patient",
    "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
    "derivation": "constraint",
    "differential": {"element": [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}]},
}


def row(output: str, label: str) -> str:
    """The count on the summary table's row ``label``."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0] == label:
            return cells[1]
    raise AssertionError(f"no summary row {label!r} in:\n{output}")


def run(*args: str) -> Result:
    environment = {
        "FHIRCARE_PACKAGE_CACHE": str(_CACHE),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "FHIRCARE_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    return CliRunner().invoke(app, ["validate", *args], env=environment)


def write(path: Path, content: bytes | str | dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, dict):
        content = orjson.dumps(content)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def test_a_valid_resource_exits_0_with_a_summary(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", VALID)

    result = run(str(path))

    assert result.exit_code == 0, result.output
    assert str(path) not in result.stdout  # nothing to say about it
    assert "resources checked" in result.stdout
    assert row(result.stdout, "inputs with errors") == "0"


def test_an_invalid_resource_exits_1_with_the_issue(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", INVALID)

    result = run(str(path))

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == str(path)
    assert lines[1] == (
        "  ERROR Patient.name[0].family: Error parsing JSON: the primitive value must be a string (found a number)"
    )
    assert_no_traceback(result)


def test_warnings_are_shown_and_quiet_shows_only_errors(tmp_path: Path) -> None:
    warns = write(tmp_path / "warns.json", WARNS)
    invalid = write(tmp_path / "invalid.json", INVALID)

    loud = run(str(warns), str(invalid))
    quiet = run(str(warns), str(invalid), "--quiet")

    assert loud.exit_code == quiet.exit_code == 1
    assert "  WARNING Patient.maritalStatus: None of the codings" in loud.stdout
    assert quiet.stdout.splitlines() == [
        str(invalid),
        "  ERROR Patient.name[0].family: Error parsing JSON: the primitive value must be a string (found a number)",
    ]


def test_malformed_json_exits_2_with_file_line_column(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", '{"resourceType": "Patient",\n  "id" "p1"}')

    result = run(str(path))

    assert result.exit_code == 2, result.output
    assert f"{path}:2:8" in result.stdout
    assert "malformed JSON: Expecting ':' delimiter" in result.stdout
    assert_no_traceback(result)


def test_a_folder_with_one_bad_file_still_validates_the_others(tmp_path: Path) -> None:
    write(tmp_path / "a-good.json", VALID)
    write(tmp_path / "b-bad.json", "{nope")
    write(tmp_path / "c-invalid.json", INVALID)
    write(tmp_path / "d-good.json", VALID)

    result = run(str(tmp_path))

    assert result.exit_code == 2, result.output  # an unusable input wins over errors
    assert f"{tmp_path / 'b-bad.json'}:1:2" in result.stdout
    assert str(tmp_path / "c-invalid.json") in result.stdout
    assert row(result.stdout, "inputs checked") == "3"
    assert row(result.stdout, "inputs valid") == "2"
    assert row(result.stdout, "input problems") == "1"
    assert_no_traceback(result)


def test_ndjson_with_a_bad_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "extract.ndjson",
        b"\n".join([orjson.dumps(VALID), b'{"resourceType": ', orjson.dumps(INVALID)]),
    )

    result = run(str(path))

    assert result.exit_code == 2, result.output
    assert f"{path}:2:18" in result.stdout
    assert f"{path}:3\n  ERROR Patient.name[0].family:" in result.stdout
    assert row(result.stdout, "inputs checked") == "2"


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nowhere.json"))

    assert result.exit_code == 2
    assert "no such file or folder" in result.stdout


def test_json_format_for_one_resource_is_its_operation_outcome(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", INVALID)

    result = run(str(path), "--format", "json")

    assert result.exit_code == 1
    outcome = json.loads(result.stdout)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["extension"] == [{"url": FILE_EXTENSION_URL, "valueString": str(path)}]
    assert outcome["issue"][0]["severity"] == "error"
    assert outcome["issue"][0]["expression"] == ["Patient.name[0].family"]


def test_json_format_for_several_inputs_is_a_collection_bundle(tmp_path: Path) -> None:
    good = write(tmp_path / "a.json", VALID)
    bad = write(tmp_path / "b.json", '{\n  "resourceType": "Patient",\n  "id": }')

    result = run(str(tmp_path), "--format", "json")

    assert result.exit_code == 2
    bundle = json.loads(result.stdout)  # nothing but the document on stdout
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    outcomes = [entry["resource"] for entry in bundle["entry"]]
    assert all(o["resourceType"] == "OperationOutcome" for o in outcomes)
    assert [o["extension"][0]["valueString"] for o in outcomes] == [str(good), str(bad)]
    assert outcomes[0]["issue"] == [{"severity": "information", "code": "informational", "details": {"text": "All OK"}}]
    problem = outcomes[1]["issue"][0]
    assert problem["severity"] == "error"
    assert problem["code"] == "structure"
    lines = {e["url"].rsplit("-", 1)[1]: e["valueInteger"] for e in problem["extension"]}
    assert lines == {"line": 3, "col": 9}


def test_profile_from_an_ig_folder(tmp_path: Path) -> None:
    ig = tmp_path / "ig"
    write(ig / "StructureDefinition-GenderedPatient.json", GENDERED_PATIENT)
    no_gender = write(tmp_path / "data" / "patient.json", {"resourceType": "Patient"})

    without = run(str(no_gender))
    checked = run(str(no_gender), "--ig", str(ig), "--profile", PROFILE_URL)

    assert without.exit_code == 0, without.output
    assert checked.exit_code == 1, checked.output
    assert "  ERROR Patient: " in checked.stdout
    assert "Patient.gender" in checked.stdout


def test_an_unknown_profile_exits_2_before_reading_anything(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", VALID)

    result = run(str(path), "--profile", "http://example.org/fhir/StructureDefinition/Nope")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "error: --profile http://example.org/fhir/StructureDefinition/Nope: Unknown profile"
        " or type: http://example.org/fhir/StructureDefinition/Nope"
        " (load the IG that defines it with --ig)"
    )
    assert_no_traceback(result)


def test_a_missing_ig_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", VALID)

    result = run(str(path), "--ig", str(tmp_path / "no-ig"))

    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --ig {tmp_path / 'no-ig'}: no such folder or .tgz"


def test_a_missing_core_package_that_cannot_be_installed_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhircare.errors import PackageError

    def no_install(*_args: Any, **_kwargs: Any) -> Any:
        raise PackageError(f"Cannot install {CORE_PACKAGE}: no source reachable")

    monkeypatch.setattr(PackageCache, "install", no_install)
    path = write(tmp_path / "patient.json", VALID)
    environment = {
        "FHIRCARE_PACKAGE_CACHE": str(tmp_path / "empty-cache"),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
    }

    result = CliRunner().invoke(app, ["validate", str(path)], env=environment)

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (f"error: Cannot install {CORE_PACKAGE}: no source reachable")
    assert_no_traceback(result)


def test_help_teaches_with_examples() -> None:
    result = CliRunner().invoke(app, ["validate", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    for fragment in ("--profile", "--ig", "--format", "Examples:", "Exit codes:", "2 wins"):
        assert fragment in result.stdout


def test_a_global_profile_no_loaded_package_defines_is_an_error_not_a_warning(tmp_path: Path) -> None:
    # --ig profiles/ukcore-global without UK Core itself: every resource was reported "not
    # checked because it is unknown" (a warning --quiet hides) and passed, exit 0
    repo = Path(__file__).resolve().parents[3]
    patient = write(tmp_path / "p.json", {"resourceType": "Patient", "id": "p"})
    result = run(str(patient), "--ig", str(repo / "profiles" / "ukcore-global"), "--quiet")
    assert result.exit_code == 2
    error = " ".join(result.stderr.split())
    assert "global that no loaded package defines" in error and "UKCore-CarePlan" in error


def test_issues_are_listed_by_entry_number_not_as_text() -> None:
    # entry[30], entry[37], entry[40], then entry[4] (found by the newcomer walkthrough)
    result = ValidationResult()
    for n in (40, 4, 37, 30):
        result.issues.append(Issue("error", "invalid", f"Bundle.entry[{n}].resource", "x"))
    assert [i.expression for i in result.sorted_issues()] == [f"Bundle.entry[{n}].resource" for n in (4, 30, 37, 40)]
