"""`fhircare map` end to end: synthetic extracts in both layouts become bundles that
validate against fhircare's profiles and UK Core; bad rows are rejected with file, line
and field; an unusable input stops with exit code 2 and nothing half-written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from fhircare.cli import app
from fhircare.cli.map import BUNDLES, REJECTS
from fhircare.settings import Settings
from fhircare.source.mapping_file import load_mapping, shipped_layouts
from fhircare.source.row_loading import UNREAD_KEY_MIN_ROWS
from fhircare.synth import MANIFEST, synthesise
from fhircare.validation.api import Validator
from tests.unit.mapping.conftest import MAPPINGS, UKCORE, UKCORE_GLOBAL, errors

#: every shipped layout (mappings/*.yaml)
LAYOUTS = tuple(shipped_layouts(MAPPINGS))

PATIENTS = 24
SEED = 3


def run_map(extract: Path, layout: str, out: Path, *options: str) -> Result:
    environment = {
        "FHIRCARE_PACKAGE_CACHE": os.environ.get("FHIRCARE_PACKAGE_CACHE") or str(Settings().package_cache),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "FHIRCARE_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    args = ["map", "--extract", str(extract), "--mapping", str(MAPPINGS / f"{layout}.yaml"), "--out", str(out)]
    return CliRunner().invoke(app, [*args, "--as-of", "2025-07-01", *options], env=environment)


def read_lines(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    layouts = {name: load_mapping(MAPPINGS / f"{name}.yaml") for name in LAYOUTS}
    found = {}
    for layout in LAYOUTS:
        for errors_too in (False, True):
            folder = tmp_path_factory.mktemp(f"cli-{layout}-{'bad' if errors_too else 'clean'}")
            synthesise(layouts[layout], folder, patients=PATIENTS, seed=SEED, with_errors=errors_too)
            found[f"{layout}{'-bad' if errors_too else ''}"] = folder
    return found


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_clean_extract_maps_every_service_user(extracts: dict[str, Path], tmp_path: Path, layout: str) -> None:
    result = run_map(extracts[layout], layout, tmp_path / "out")
    assert result.exit_code == 0, result.output
    bundles = read_lines(tmp_path / "out" / BUNDLES)
    assert len(bundles) == PATIENTS
    assert all(b["resourceType"] == "Bundle" and b["type"] == "transaction" for b in bundles)
    assert (tmp_path / "out" / REJECTS).read_bytes() == b""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [BUNDLES, REJECTS]  # no partial files
    assert re.search(rf"service users read\s*│\s*{PATIENTS}\s*│", result.output)
    assert re.search(rf"mapped\s*│\s*{PATIENTS}\s*│", result.output)
    assert "CarePlan" in result.output and "QuestionnaireResponse" in result.output


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_bundles_validate_against_ukcore(
    extracts: dict[str, Path], tmp_path: Path, layout: str, ukcore_validator: Validator
) -> None:
    """Done when: zero errors against profiles/ (checked while mapping) and against UK Core."""
    assert run_map(extracts[layout], layout, tmp_path / "out").exit_code == 0
    found = {}
    for bundle in read_lines(tmp_path / "out" / BUNDLES):
        problems = errors(ukcore_validator.validate(bundle))
        if problems:
            found[bundle["identifier"]["value"]] = problems[:3]  # type: ignore[index]
    assert found == {}


def test_mapping_can_also_validate_against_ukcore(extracts: dict[str, Path], tmp_path: Path) -> None:
    if not UKCORE.is_dir():
        pytest.skip(f"UK Core reference copy not found at {UKCORE}")
    result = run_map(
        extracts["rio-like"], "rio-like", tmp_path / "out", "--ig", str(UKCORE), "--ig", str(UKCORE_GLOBAL)
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("layout", LAYOUTS)
def test_bad_rows_are_rejected_with_file_line_and_field(extracts: dict[str, Path], tmp_path: Path, layout: str) -> None:
    folder = extracts[f"{layout}-bad"]
    result = run_map(folder, layout, tmp_path / "out")
    assert result.exit_code == 1, result.output
    faults = orjson.loads((folder / MANIFEST).read_bytes())["faults"]
    rejects = read_lines(tmp_path / "out" / REJECTS)
    located = {(r["file"], r["line"], r["field"]) for r in rejects}
    for fault in faults:
        assert (fault["file"], fault["line"], fault["column"]) in located, fault
    stages = {r["service_user_id"]: r["stage"] for r in rejects}
    for fault in faults:
        assert stages[fault["service_user_id"]] == fault["found_by"], fault
    mapped = {b["identifier"]["value"] for b in read_lines(tmp_path / "out" / BUNDLES)}  # type: ignore[index]
    faulty = {f["service_user_id"] for f in faults}
    assert not mapped & faulty, "nothing of a rejected service user is written"
    assert len(mapped) == PATIENTS - len(faulty - {"P999999"})
    assert re.search(r"rejected \(consistency\)\s*│\s*1\s*│", result.output)


def test_the_same_extract_gives_the_same_bytes(extracts: dict[str, Path], tmp_path: Path) -> None:
    assert run_map(extracts["systmone-like"], "systmone-like", tmp_path / "a").exit_code == 0
    assert run_map(extracts["systmone-like"], "systmone-like", tmp_path / "b", "--no-validate").exit_code == 0
    assert (tmp_path / "a" / BUNDLES).read_bytes() == (tmp_path / "b" / BUNDLES).read_bytes()


def test_no_such_extract_folder(tmp_path: Path) -> None:
    result = run_map(tmp_path / "missing", "rio-like", tmp_path / "out")
    assert result.exit_code == 2
    assert "no such extract folder" in result.output
    assert not (tmp_path / "out" / BUNDLES).exists() and not list((tmp_path / "out").glob(".*partial"))


def test_a_missing_file_makes_the_extract_unusable(extracts: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "extract"
    shutil.copytree(extracts["rio-like"], folder)
    next(folder.glob("RiO_CareTeam_*.csv")).unlink()
    result = run_map(folder, "rio-like", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert (tmp_path / "out" / BUNDLES).read_bytes() == b"", "nothing half-sent"
    rejects = read_lines(tmp_path / "out" / REJECTS)
    assert any(r["file"] == "RiO_CareTeam_*.csv" and "no file matches" in str(r["reason"]) for r in rejects)


def test_a_wrong_mapping_file(extracts: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text((MAPPINGS / "rio-like.yaml").read_text().replace("start_date:", "start_dat:", 1))
    result = CliRunner().invoke(
        app,
        ["map", "--extract", str(extracts["rio-like"]), "--mapping", str(broken), "--out", str(tmp_path / "out")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert "unknown field 'start_dat'" in result.output and "broken.yaml:" in result.output


def test_usage_errors(extracts: dict[str, Path], tmp_path: Path) -> None:
    bad_day = run_map(extracts["rio-like"], "rio-like", tmp_path / "out", "--as-of", "tomorrow")
    assert bad_day.exit_code == 2 and "--as-of tomorrow: not a date" in bad_day.output
    no_validation = run_map(extracts["rio-like"], "rio-like", tmp_path / "out", "--no-validate", "--ig", str(UKCORE))
    assert no_validation.exit_code == 2 and "--ig needs validation" in no_validation.output


def test_help_teaches() -> None:
    result = CliRunner().invoke(app, ["map", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for words in ("--extract", "--mapping", "--out", "--no-validate", "Exit codes", BUNDLES, REJECTS):
        assert words in result.output


def test_an_absent_optional_file_of_refusals_is_a_warning_with_exit_1(
    extracts: dict[str, Path], tmp_path: Path
) -> None:
    """Found by a trial of a new layout (F14): the optional consents file missing gave exit 0
    and one line among the notes, and the bundles held none of the service users' refusals
    to share: sent on, a partner would be shown what was refused. An absent optional file
    whose rows keep something from someone (consents, contacts) is now a warning on stderr,
    exit 1; any other optional file absent is a note, exit 0, as before."""
    import shutil

    folder = tmp_path / "extract"
    shutil.copytree(extracts["rio-like"], folder)
    next(folder.glob("RiO_Transfers_*.csv")).unlink()
    other = run_map(folder, "rio-like", tmp_path / "out1")
    assert other.exit_code == 0, other.output
    assert "Optional file absent" in other.output and "warning" not in other.output
    next(folder.glob("RiO_Consents_*.csv")).unlink()
    next(folder.glob("RiO_CarePlan_Distribution_*.csv")).unlink()  # it names the consents
    refusals = run_map(folder, "rio-like", tmp_path / "out2")
    assert refusals.exit_code == 1, refusals.output
    assert "rejected (read)        │  0" in refusals.output  # the warning alone makes it 1
    assert "warning: RiO_Consents_*.csv: no file matches this optional pattern" in refusals.output
    assert "refusals to share" in refusals.output
    next(folder.glob("RiO_LegalStatus_*.csv")).unlink()  # H23: legal statuses and S117 too
    legal = run_map(folder, "rio-like", tmp_path / "out3")
    assert legal.exit_code == 1 and "warning: RiO_LegalStatus_*.csv" in legal.output
    assert "Section 117 entitlements" in legal.output


def test_a_do_not_involve_key_no_json_row_holds_is_a_warning_with_exit_1(tmp_path: Path) -> None:
    """Found by a trial of a new layout: a JSON key the export renamed in every row
    (`doNotInvolve` to `doNotContact`) left every do-not-involve flag unread, exit 0, and
    the people became active contacts with their telephone numbers. A CSV file lacking the
    column cannot be read at all; a JSON Lines file with no row holding a safeguard's key is
    now a warning naming the key, counted among the other problems (exit 1), in map, load
    and mapping check."""
    folder = tmp_path / "extract"
    # enough contacts to judge by (UNREAD_KEY_MIN_ROWS): a small file may have no one flagged
    synthesise(load_mapping(MAPPINGS / "systmone-like.yaml"), folder, patients=120, seed=SEED)
    [relationships] = folder.glob("relationships*.jsonl")
    text = relationships.read_text(encoding="utf-8")
    assert '"doNotInvolve"' in text and text.count('"CONTACT"') >= UNREAD_KEY_MIN_ROWS
    assert run_map(folder, "systmone-like", tmp_path / "before").exit_code == 0
    relationships.write_text(text.replace('"doNotInvolve"', '"doNotContact"'), encoding="utf-8")
    renamed = run_map(folder, "systmone-like", tmp_path / "out")
    assert renamed.exit_code == 1, renamed.output
    assert "doNotInvolve.flag: no row of contact holds this key" in renamed.output
    assert "no one's do-not-involve flag could be read" in renamed.output
    rejects = read_lines(tmp_path / "out" / REJECTS)
    assert any(r["field"] == "doNotInvolve.flag" for r in rejects)
    check = CliRunner().invoke(
        app,
        ["mapping", "check", str(MAPPINGS / "systmone-like.yaml"), "--extract", str(folder), "--as-of", "2025-07-01"],
        env={"COLUMNS": "200"},
    )
    assert check.exit_code == 1 and "no row of contact holds this key" in check.output


def test_a_directory_entry_that_rejects_service_users_is_printed_as_a_cause(
    extracts: dict[str, Path], tmp_path: Path
) -> None:
    """Found by a trial of a new layout: a crisis line with no telephone number (one row of
    the services directory) rejected every service user whose plan names it, and nothing
    was said on stderr: the cause was only in the rejects file. A directory problem that
    others follow from is now printed as a cause, with how many follow."""
    import csv
    import shutil

    folder = tmp_path / "extract"
    shutil.copytree(extracts["rio-like"], folder)
    [services] = folder.glob("RiO_Services_*.csv")
    with services.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    line = next(i for i, r in enumerate(rows) if r["SERVICE_TYPE"] == "CRISISLINE")
    rows[line]["TELEPHONE"] = ""
    with services.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run_map(folder, "rio-like", tmp_path / "out")
    assert result.exit_code == 1, result.output
    causes = [text for text in result.output.splitlines() if text.startswith("error: RiO_Services_")]
    assert causes and "problems follow from it" in causes[0], result.output
