"""Issue 11 item 8: root causes first. A missing file or column is reported once, on
stderr, as the cause, with exit code 2 when nothing can be read; the problems that follow
from it name it (``caused_by``) and are counted under it; an optional file that is absent
is named in the summary; every problem of a mapping file is shown, a misspelt key with
its did-you-mean rather than as a missing one."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from fhircare.cli import app
from fhircare.cli.map import REJECTS
from fhircare.source.mapping_file import load_mapping
from fhircare.synth import synthesise
from tests.unit.mapping.conftest import MAPPINGS

ENV = {"FHIRCARE_PACKAGE_REGISTRY_URL": "", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def rio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("causes") / "extract"
    synthesise(load_mapping(MAPPINGS / "rio-like.yaml"), folder, patients=30, seed=8)
    return folder


def run_map(extract: Path, mapping: Path, out: Path) -> Result:
    args = ["map", "--extract", str(extract), "--mapping", str(mapping), "--out", str(out), "--no-validate"]
    return CliRunner().invoke(app, [*args, "--as-of", "2025-07-01"], env=ENV)


def rejects(out: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in (out / REJECTS).read_bytes().splitlines()]


def copy(rio: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "extract"
    shutil.copytree(rio, folder)
    return folder


def test_a_missing_required_file_is_the_cause_first_and_once(rio: Path, tmp_path: Path) -> None:
    folder = copy(rio, tmp_path)
    next(folder.glob("RiO_CarePlans_*.csv")).unlink()
    result = run_map(folder, MAPPINGS / "rio-like.yaml", tmp_path / "out")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: RiO_CarePlans_*.csv: no file matches this pattern (record type care_plan)")
    assert "problems follow from it" in first
    assert result.stderr.count("RiO_CarePlans_*.csv: no file matches") == 1
    lines = rejects(tmp_path / "out")
    cause = "RiO_CarePlans_*.csv: no file matches this pattern (record type care_plan)"
    follow = [r for r in lines if r.get("caused_by") == cause]
    assert len(follow) > 30  # every service user's rejection and every plan child row points at it
    assert all(r.get("caused_by") in (cause, None) for r in lines)


def test_a_missing_optional_file_is_named_and_its_follow_ons_point_at_it(rio: Path, tmp_path: Path) -> None:
    folder = copy(rio, tmp_path)
    next(folder.glob("RiO_CarePlan_Goals_*.csv")).unlink()
    result = run_map(folder, MAPPINGS / "rio-like.yaml", tmp_path / "out")
    assert result.exit_code == 1
    assert "Optional file absent: RiO_CarePlan_Goals_*.csv: no file matches this optional pattern" in result.stdout
    lines = rejects(tmp_path / "out")
    unknown_goal = [r for r in lines if "refers to unknown goal" in str(r["reason"])]
    assert unknown_goal, "actions that name a goal are rejected"
    assert all(str(r["caused_by"]).startswith("RiO_CarePlan_Goals_*.csv: no file matches") for r in unknown_goal)


def test_a_column_the_extract_lacks_is_the_cause_and_exit_2_when_nothing_is_read(rio: Path, tmp_path: Path) -> None:
    broken = tmp_path / "surnam.yaml"
    broken.write_text(
        (MAPPINGS / "rio-like.yaml").read_text().replace("family_name: SURNAME", "family_name: SURNAM", 1)
    )
    result = run_map(rio, broken, tmp_path / "out")
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert "RiO_Clients_" in first and "lacks column(s) SURNAM (did you mean 'SURNAME'?)" in first
    assert "problems follow from it" in first


def test_every_problem_of_a_mapping_file_is_shown_with_the_misspelt_key(tmp_path: Path, rio: Path) -> None:
    text = (MAPPINGS / "rio-like.yaml").read_text()
    text = text.replace("record_types:\n", "record_type:\n", 1).replace(
        "  timezone: Europe/London", "  timezone: Mars/Base"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    result = run_map(rio, broken, tmp_path / "out")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any("record_type: unknown key 'record_type' (did you mean 'record_types'?)" in line for line in lines)
    assert not any("required key 'record_types' is missing" in line for line in lines)


def test_a_misspelt_nested_key_names_itself(tmp_path: Path, rio: Path) -> None:
    text = (MAPPINGS / "rio-like.yaml").read_text()
    text = text.replace(
        "    format: csv\n    columns:\n      service_user_id: CLIENT_ID\n      nhs_number",
        "    format: csv\n    colums:\n      service_user_id: CLIENT_ID\n      nhs_number",
        1,
    )
    broken = tmp_path / "colums.yaml"
    broken.write_text(text)
    result = run_map(rio, broken, tmp_path / "out")
    assert result.exit_code == 2
    assert "record_types.service_user.colums: unknown key 'colums' (did you mean 'columns'?)" in result.stderr
    assert "required key 'columns' is missing" not in result.stderr


def test_several_mapping_problems_are_all_shown(tmp_path: Path, rio: Path) -> None:
    text = (MAPPINGS / "rio-like.yaml").read_text()
    text = text.replace("start_date: START_DATE", "start_dat: START_DATE", 1).replace("M: male", "M: mael", 1)
    broken = tmp_path / "two.yaml"
    broken.write_text(text)
    result = run_map(rio, broken, tmp_path / "out")
    assert result.exit_code == 2
    assert "value_maps.gender.M: 'mael' is not a gender code (did you mean 'male'?)" in result.stderr
    assert "unknown field 'start_dat'" in result.stderr


def test_an_extract_of_none_of_the_mappings_files_says_so_and_nothing_buries_it(tmp_path: Path) -> None:
    # an empty folder printed "Mapped into out/", a table, 25 "Optional file absent" lines
    # and an empty resources table on stdout; the causes were on stderr only (newcomer review)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_map(empty, MAPPINGS / "rio-like.yaml", tmp_path / "out")
    assert result.exit_code == 2
    assert "Mapped into" not in result.stdout and "Optional file absent" not in result.stdout
    assert "Nothing mapped" in result.stdout and "skipped (--no-validate)" in result.stdout
    error = " ".join(result.stderr.split())
    assert "RiO_Clients_*.csv: no file matches" in error and "is it this mapping's extract?" in error
