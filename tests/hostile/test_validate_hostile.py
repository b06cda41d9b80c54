"""`fhircare validate` against hostile input (issue 14): each probe gives a clear message and
the documented exit code, never a traceback, within its limit and under 500 MB."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.hostile.conftest import assert_clean, fhircare
from tests.unit.cli.test_validate import row

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female"}


def write(path: Path, value: object) -> Path:
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def test_dev_zero_is_refused_unless_asked_for(tmp_path: Path) -> None:
    run = fhircare("validate", "/dev/zero", cwd=tmp_path, timeout=60)
    assert run.code == 2
    assert "a device, not a regular file" in run.stdout
    assert_clean(run)


def test_dev_zero_read_on_purpose_stops_at_the_file_limit(tmp_path: Path) -> None:
    env = {"FHIRCARE_VALIDATE_MAX_FILE_BYTES": str(64 * 1024 * 1024)}
    run = fhircare("validate", "--allow-special-files", "/dev/zero", cwd=tmp_path, env=env, timeout=60)
    assert run.code == 2
    assert "larger than the limit of 64 MiB" in run.stdout and "FHIRCARE_VALIDATE_MAX_FILE_BYTES" in run.stdout
    assert_clean(run)


def test_a_fifo_in_a_folder_is_reported_and_never_opened(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "a-pipe.json")
    write(folder / "b-good.json", PATIENT)
    run = fhircare("validate", str(folder), cwd=tmp_path, timeout=30)
    assert run.code == 2
    assert "FIFO (named pipe) in a folder" in run.stdout
    assert row(run.stdout, "inputs valid") == "1"
    assert_clean(run)


def nested_extensions(depth: int) -> dict[str, object]:
    ext: dict[str, object] = {"url": "http://example.net/x", "valueString": "bottom"}
    for _ in range(depth):
        ext = {"url": "http://example.net/x", "extension": [ext]}
    return {"resourceType": "Patient", "id": "deep", "extension": [ext]}


def nested_bundles(depth: int) -> dict[str, object]:
    bundle: dict[str, object] = {"resourceType": "Bundle", "type": "collection"}
    for _ in range(depth):
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bundle}]}
    return bundle


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("extensions-250-deep.json", nested_extensions(250), "past the limit of 100"),
        ("bundles-100-deep.json", nested_bundles(100), "past the limit of 100"),
        (
            "integer-4300-digits.json",
            '{"resourceType":"Patient","multipleBirthInteger":1' + "0" * 4300 + "}",
            "4301 digits",
        ),
        (
            "duplicate-keys.json",
            '{"resourceType":"Patient","gender":"banana","gender":"female"}',
            "duplicate JSON property 'gender'",
        ),
    ],
)
def test_a_hostile_file_is_an_input_problem_and_the_others_are_reported(
    tmp_path: Path, name: str, content: object, message: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / name, content)
    write(folder / "z-good.json", PATIENT)
    run = fhircare("validate", str(folder), cwd=tmp_path)
    assert run.code == 2, run.output
    assert message in run.stdout, run.stdout
    assert row(run.stdout, "inputs valid") == "1"
    assert_clean(run)


def test_an_ndjson_line_past_the_limit_is_skipped_and_the_rest_validated(tmp_path: Path) -> None:
    lines = [
        json.dumps(PATIENT),
        json.dumps({**PATIENT, "id": "big", "text": {"div": "x" * 200_000}}),
        json.dumps(PATIENT),
    ]
    path = write(tmp_path / "in.ndjson", "\n".join(lines) + "\n")
    run = fhircare("validate", str(path), cwd=tmp_path, env={"FHIRCARE_VALIDATE_MAX_LINE_BYTES": "100000"})
    assert run.code == 2
    assert f"{path}:2" in run.stdout and "FHIRCARE_VALIDATE_MAX_LINE_BYTES" in run.stdout
    assert "inputs checked" in run.stdout
    assert_clean(run)


@pytest.mark.parametrize(
    "div",
    [
        '<div xmlns="http://www.w3.org/1999/xhtml"><img src="javascript:alert(1)" alt="x"/></div>',
        '<div xmlns="http://www.w3.org/1999/xhtml"><a href=" JaVaScRiPt:alert(1)">x</a></div>',
        '<div xmlns="http://www.w3.org/1999/xhtml"><img src="data:image/png;base64,AAAA" alt="x"/></div>',
        '<!DOCTYPE div [<!ENTITY x "boom">]><div xmlns="http://www.w3.org/1999/xhtml">&x;</div>',
        '<?xml-stylesheet href="http://evil.example.net/x.xsl"?><div xmlns="http://www.w3.org/1999/xhtml">Hi</div>',
        '<div xmlns="http://www.w3.org/1999/xhtml">A&nbsp;B</div>',
    ],
)
def test_active_content_in_narrative_is_an_error(tmp_path: Path, div: str) -> None:
    path = write(tmp_path / "p.json", {**PATIENT, "text": {"status": "generated", "div": div}})
    run = fhircare("validate", str(path), cwd=tmp_path)
    assert run.code == 1, run.output
    assert "Patient.text.div" in run.stdout
    assert_clean(run)


def test_a_full_disk_is_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(50):
        write(folder / f"p{i}.json", {**PATIENT, "id": f"p{i}"})
    # stdout is a file the process may not grow past 4 KB (as under `ulimit -f 4`)
    run = fhircare("validate", str(folder), "--format", "json", cwd=tmp_path, file_limit=4096)
    assert run.code == 2, run.stderr
    assert "File too large" in run.stderr
    assert_clean(run)


def test_a_permission_problem_is_a_clear_message(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode (tests/unit/validation/test_inputs.py covers it)")
    path = write(tmp_path / "p.json", PATIENT)
    path.chmod(0)
    run = fhircare("validate", str(path), cwd=tmp_path)
    assert run.code == 2
    assert "Permission denied" in run.stdout
    assert_clean(run)
