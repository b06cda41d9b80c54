"""``fhircare synth``: deterministic, every edge case, the same canonical records in both
layouts, and --with-errors rows reported exactly where they were written."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fhircare.cli import app
from fhircare.source.codes import CarePlanType
from fhircare.source.local_codes import Jurisdiction
from fhircare.source.mapping_file import TrustMapping
from fhircare.synth import DEFAULT_AS_OF, MANIFEST, EdgeCase, edge_cases, synthesise
from tests.unit.source.conftest import LAYOUTS, MAPPINGS, PATIENTS, SynthRun


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_same_arguments_give_byte_identical_files(
    layouts: dict[str, TrustMapping], tmp_path: Path, layout: str
) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synthesise(layouts[layout], first, patients=15, seed=4, with_errors=True)
    synthesise(layouts[layout], second, patients=15, seed=4, with_errors=True)
    synthesise(layouts[layout], other, patients=15, seed=5, with_errors=True)
    assert files_of(first) == files_of(second)
    assert files_of(first) != files_of(other)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_what_is_written_reads_back_as_the_same_records(clean_runs: dict[str, SynthRun], layout: str) -> None:
    run = clean_runs[layout]
    assert run.read.file_problems == [] and run.read.directory_problems == [] and run.read.unattributed == []
    assert run.read.rejected == {}
    assert run.read.accepted == run.records
    assert len(run.records) == PATIENTS


def test_every_layout_carries_the_same_canonical_records(clean_runs: dict[str, SynthRun]) -> None:
    """The strongest proof that the mapping format carries the variation: different file
    names, splits, columns, date formats, codes and formats; the same records."""
    names = sorted(clean_runs)
    assert len(names) >= 3
    for first, second in itertools.pairwise(names):
        a, b = clean_runs[first], clean_runs[second]
        assert set(files_of(a.folder)).isdisjoint(set(files_of(b.folder)) - {MANIFEST})
        assert a.read.accepted == b.read.accepted, (first, second)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_edge_case_is_in_the_extract(clean_runs: dict[str, SynthRun], layout: str) -> None:
    run = clean_runs[layout]
    found: dict[EdgeCase, list[str]] = {}
    for record in run.read.accepted.values():
        for case in edge_cases(record, DEFAULT_AS_OF):
            found.setdefault(case, []).append(record.service_user_id)
    assert set(found) == set(EdgeCase)
    assert {case.value: ids for case, ids in sorted(found.items())} == run.summary.edge_cases


def test_the_welsh_service_user_is_welsh_throughout(clean_runs: dict[str, SynthRun]) -> None:
    run = clean_runs["rio-like"]
    welsh = [r for r in run.read.accepted.values() if EdgeCase.WELSH_SERVICE_USER in edge_cases(r, DEFAULT_AS_OF)]
    assert welsh
    for record in welsh:
        assert record.service_user.preferred_language == "cy"
        assert all(e.jurisdiction is Jurisdiction.WALES for e in record.episodes)
        assert all(a.arrangement.in_wales for a in record.arrangements)
        types = {p.plan_type for p in record.care_plans}
        assert {CarePlanType.WELSH_CTP, CarePlanType.CRISIS_PLAN, CarePlanType.CONTINGENCY_PLAN} <= types


def test_bundles_carry_the_directory_entries_they_refer_to(clean_runs: dict[str, SynthRun]) -> None:
    for record in clean_runs["systmone-like"].read.accepted.values():
        staff = {s.staff_id for s in record.staff}
        teams = {t.team_id for t in record.teams}
        assert {m.member_id for m in record.care_team if m.member_kind.value == "staff"} <= staff
        assert {e.team_id for e in record.episodes} <= teams
        assert {s.team_id for s in record.staff} <= teams
        assert record.service_user.gp_practice_id in {o.organisation_id for o in record.organisations}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_bad_rows_are_reported_where_they_were_written(faulty_runs: dict[str, SynthRun], layout: str) -> None:
    run = faulty_runs[layout]
    faults = run.summary.faults
    assert {f["kind"] for f in faults} == {
        "invalid-nhs-number",
        "bad-date",
        "unknown-code",
        "duplicate-id",
        "missing-value",
        "unknown-reference",
        "unknown-service-user",
        "performer-not-in-care-team",
    }
    read_faults = [f for f in faults if f["found_by"] == "read"]
    assert set(run.read.rejected) == {f["service_user_id"] for f in read_faults}
    for fault in read_faults:
        located = [(p.file, p.line, p.field) for p in run.read.rejected[fault["service_user_id"]]]
        assert (fault["file"], fault["line"], fault["column"]) in located, fault
    # the records that disagree with each other read well (the mapping rejects them)
    [mapping_fault] = [f for f in faults if f["found_by"] == "consistency"]
    assert mapping_fault["service_user_id"] in run.read.accepted
    # everyone else is read, unchanged
    faulty = {f["service_user_id"] for f in faults}
    clean = {su: r for su, r in run.records.items() if su not in faulty}
    assert {su: run.read.accepted[su] for su in clean} == clean and len(clean) == PATIENTS - 7
    manifest = json.loads((run.folder / MANIFEST).read_text())
    assert manifest["faults"] == faults and manifest["layout"] == layout


def run_cli(*args: str) -> Result:
    environment = {"FHIRCARE_MAPPINGS_DIR": str(MAPPINGS), "FHIRCARE_LOG_LEVEL": "WARNING", "COLUMNS": "200"}
    return CliRunner().invoke(app, ["synth", *args], env=environment)


def test_cli_writes_an_extract_and_a_manifest(tmp_path: Path) -> None:
    result = run_cli(
        "--patients", "12", "--seed", "9", "--layout", "systmone-like", "--with-errors", str(tmp_path / "x")
    )
    assert result.exit_code == 0, result.output
    assert "patients.jsonl" in result.output and "Edge cases: " in result.output
    assert "carer-refusing-consent (1)" in result.output
    assert "Bad rows written: 8" in result.output
    manifest = json.loads((tmp_path / "x" / MANIFEST).read_text())
    assert manifest["patients"] == 12 and manifest["seed"] == 9 and manifest["as_of"] == "2025-06-30"
    again = run_cli(
        "--patients", "12", "--seed", "9", "--layout", "systmone-like", "--with-errors", str(tmp_path / "y")
    )
    assert again.exit_code == 0
    assert files_of(tmp_path / "x") == files_of(tmp_path / "y")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--layout", "emis-like"), "--layout emis-like: no such layout in"),
        (("--layout", "../mappings/rio-like"), "no such layout"),
        (("--layout", "rio-like", "--as-of", "30/06/2025"), "--as-of 30/06/2025: not a date"),
        (("--layout", "rio-like", "--patients", "0"), "--patients"),
    ],
)
def test_cli_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args, str(tmp_path / "out"))
    assert result.exit_code == 2
    assert message in result.output


def test_cli_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = run_cli("--layout", "rio-like", "--patients", "2", str(tmp_path))
    assert result.exit_code == 2 and "is not an empty folder" in result.output
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_the_docs_say_how_many_service_users_cover_every_edge_case() -> None:
    # the help said 11 and the README 14 while the cycle was 15
    from pathlib import Path

    from fhircare.cli.synth import SYNTH_EPILOG
    from fhircare.synth.scenarios import SCENARIOS

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    phrase = f"Every {len(SCENARIOS)} consecutive service users"
    assert phrase in SYNTH_EPILOG and phrase in readme
