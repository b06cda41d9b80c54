"""Hostile extract files (issue 14): a FIFO or a device where a file is expected, a line
of tens of megabytes without a line end, a cell past its limit, an unbalanced quote in a
clients file. Each is a clear problem within its time and under 500 MB; an unbalanced
quote rejects only the rows it spans, naming the line where it starts."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import orjson
import pytest

from tests.hostile.map_probe import MAPPINGS, PEAK_MB, fhircare, leftovers, synth


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(tmp_path_factory.mktemp("hostile") / "extract", patients=40)


def copy(extract: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "extract"
    shutil.copytree(extract, folder)
    return folder


def run_map(folder: Path, out: Path, **options: object) -> object:
    args = ["map", "--extract", str(folder), "--mapping", str(MAPPINGS / "rio-like.yaml"), "--out", str(out)]
    return fhircare(*args, "--no-validate", "--as-of", "2025-07-01", **options)  # type: ignore[arg-type]


def rejects(out: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in (out / "rejects.jsonl").read_bytes().splitlines()]


def test_a_fifo_where_a_file_is_expected_does_not_hang(extract: Path, tmp_path: Path) -> None:
    folder = copy(extract, tmp_path)
    care_team = next(folder.glob("RiO_CareTeam_*.csv"))
    care_team.unlink()
    os.mkfifo(care_team)
    run = run_map(folder, tmp_path / "out", timeout=60)
    assert not run.timed_out and run.code == 2 and not run.traceback  # type: ignore[attr-defined]
    assert f"{care_team.name}: is a FIFO (named pipe); fhircare reads only regular files" in run.stderr  # type: ignore[attr-defined]
    assert leftovers(tmp_path / "out") == []


def test_a_device_linked_where_a_file_is_expected(extract: Path, tmp_path: Path) -> None:
    folder = copy(extract, tmp_path)
    goals = next(folder.glob("RiO_CarePlan_Goals_*.csv"))
    goals.unlink()
    goals.symlink_to("/dev/zero")
    run = run_map(folder, tmp_path / "out", timeout=60)
    assert not run.timed_out and run.code == 2 and not run.traceback  # type: ignore[attr-defined]
    assert "is a character device" in run.stderr and run.peak_mb < PEAK_MB  # type: ignore[attr-defined]


def test_a_huge_line_without_a_line_end(extract: Path, tmp_path: Path) -> None:
    """A 64 MB line: one problem on that line, read past in bounded memory; the service
    users whose rows were before it are read."""
    folder = copy(extract, tmp_path)
    interventions = next(folder.glob("RiO_CarePlan_Interventions_*.csv"))
    with interventions.open("ab") as handle:
        chunk = b"x" * 2**20
        for _ in range(64):
            handle.write(chunk)
    run = run_map(folder, tmp_path / "out", timeout=120, env={"FHIRCARE_EXTRACT_MAX_ROW_BYTES": "1048576"})
    assert not run.timed_out and not run.traceback  # type: ignore[attr-defined]
    assert run.peak_mb < PEAK_MB, f"peak {run.peak_mb:.0f} MB"  # type: ignore[attr-defined]
    assert run.code == 2  # the line names no one: whose row it was cannot be told  # type: ignore[attr-defined]
    lines = rejects(tmp_path / "out")
    assert any("is longer than FHIRCARE_EXTRACT_MAX_ROW_BYTES (1048576 bytes)" in str(r["reason"]) for r in lines)
    assert "FHIRCARE_EXTRACT_MAX_ROW_BYTES" in run.stderr  # type: ignore[attr-defined]


def test_a_cell_past_its_limit_rejects_its_service_user_only(extract: Path, tmp_path: Path) -> None:
    folder = copy(extract, tmp_path)
    plans = next(folder.glob("RiO_CarePlans_*.csv"))
    lines = plans.read_bytes().split(b"\r\n")
    cells = lines[3].split(b",")
    lines[3] = b",".join([*cells[:-1], b'"' + b"y" * 300_000 + b'"'])
    plans.write_bytes(b"\r\n".join(lines))
    run = run_map(folder, tmp_path / "out", timeout=120, env={"FHIRCARE_EXTRACT_MAX_FIELD_BYTES": "131072"})
    assert not run.timed_out and not run.traceback and run.code == 1  # type: ignore[attr-defined]
    found = [r for r in rejects(tmp_path / "out") if r["line"] == 4 and r["file"] == plans.name]
    assert found and "holds a cell longer than FHIRCARE_EXTRACT_MAX_FIELD_BYTES (131072 bytes)" in str(
        found[0]["reason"]
    )
    owner = found[0]["service_user_id"]
    cause = f"{plans.name}:4: holds a cell longer than"  # the plan's children point at its line
    assert all(
        r.get("service_user_id") == owner or str(r.get("caused_by")).startswith(cause)
        for r in rejects(tmp_path / "out")
    )


def test_an_unbalanced_quote_rejects_only_the_rows_it_spans(extract: Path, tmp_path: Path) -> None:
    """One unbalanced quote in the clients file rejected every service user of the
    extract; now only the service user of the line it starts on."""
    folder = copy(extract, tmp_path)
    clients = next(folder.glob("RiO_Clients_*.csv"))
    lines = clients.read_bytes().split(b"\r\n")
    cells = lines[5].split(b",")
    cells[3] = b'"' + cells[3]  # the forename opens a quote it never closes
    lines[5] = b",".join(cells)
    clients.write_bytes(b"\r\n".join(lines))
    run = run_map(folder, tmp_path / "out", timeout=120)
    assert not run.traceback and run.code == 1  # type: ignore[attr-defined]
    found = rejects(tmp_path / "out")
    assert {r.get("service_user_id") for r in found} == {cells[0].decode()}
    assert any(r["line"] == 6 and "an unbalanced quote starts on this line" in str(r["reason"]) for r in found)
    assert re.search(r"mapped\s*│\s*39\s*│", run.stdout)  # type: ignore[attr-defined]
