"""Reading an extract's files in worker processes (source/file_workers.py) gives exactly
what reading them one after another in the run's process gives: the same service users,
results, problems (with their files and lines), causes, digests and unattributed rows,
for every shipped layout, with bad rows, an unreadable line and a file lacking a column."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from fhircare.source.file_workers import PARALLEL_FROM_BYTES, FileJob, worker_count
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_file import load_mapping
from fhircare.source.reader import read_extract
from fhircare.synth import synthesise

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
LAYOUTS = ("rio-like", "systmone-like", "welsh-pas-like")


def everything_read(extract: Path, mapping_file: Path, workers: int) -> dict[str, Any]:
    mapping = load_mapping(mapping_file)
    with read_extract(extract, mapping, limits=ReadLimits(workers=workers)) as source:
        return {
            "results": [repr(result) for result in source.results()],
            "digests": list(source.row_digests()),
            "file_problems": source.file_problems,
            "directory_problems": source.directory_problems,
            "causes": source.causes,
            "ignored": source.ignored,
            "rows_read": source.rows_read,
            "unusable": source.unusable,
            "unattributed": list(source.unattributed_problems()),
        }


@pytest.mark.parametrize("layout", LAYOUTS)
def test_workers_read_exactly_what_one_process_reads(layout: str, tmp_path: Path) -> None:
    mapping_file = MAPPINGS / f"{layout}.yaml"
    synthesise(load_mapping(mapping_file), tmp_path, patients=60, seed=7, with_errors=True)
    one, two = everything_read(tmp_path, mapping_file, 1), everything_read(tmp_path, mapping_file, 2)
    assert one == two
    assert any(r.startswith("Rejected") for r in one["results"])  # the bad rows were read as bad
    assert sum(1 for r in one["results"] if r.startswith("Accepted")) >= 50


def _rewrite_csv(path: Path, change: Any) -> None:
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(change(text), encoding="utf-8-sig")


def test_workers_agree_on_unreadable_lines_and_missing_columns(tmp_path: Path) -> None:
    """Blocked groups (an unbalanced quote, numbered per file in a worker) and a file lacking
    a column (the cause of its record type's follow-on problems) come out the same."""
    mapping_file = MAPPINGS / "rio-like.yaml"
    synthesise(load_mapping(mapping_file), tmp_path, patients=60, seed=8)
    files = sorted(p for p in tmp_path.glob("*.csv"))
    # an unbalanced quote in one file's third line, in two files
    for path in files[:2]:
        lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        lines[2] = '"' + lines[2]
        path.write_text("".join(lines), encoding="utf-8-sig")
    # and, in a third, an unreadable line that names no service user: the extract cannot be
    # used (its group must stay its own, not be numbered into another file's)
    with files[2].open("a", encoding="utf-8") as handle:
        handle.write('"nobody-known,\n')
    # a column gone from another
    victim = files[3]
    rows = list(csv.reader(victim.read_text(encoding="utf-8-sig").splitlines()))
    victim.write_text("\n".join(",".join(row[:-1]) for row in rows) + "\n", encoding="utf-8-sig")
    one, two = everything_read(tmp_path, mapping_file, 1), everything_read(tmp_path, mapping_file, 2)
    assert one == two
    assert one["file_problems"] and one["causes"] and one["unusable"]


def test_how_many_workers(tmp_path: Path) -> None:
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_bytes(b"x\n")
    large.write_bytes(b"x" * PARALLEL_FROM_BYTES)
    jobs = [FileJob(small, "small.csv", []), FileJob(large, "large.csv", [])]
    assert worker_count(jobs[:1], ReadLimits(workers=8)) == 1  # one file: nothing to share
    assert worker_count([jobs[0], jobs[0]], ReadLimits()) == 1  # small: not worth a process
    assert worker_count(jobs, ReadLimits(workers=1)) == 1
    assert worker_count(jobs, ReadLimits(workers=8)) == 2  # never more than the files
    assert 1 <= worker_count(jobs, ReadLimits()) <= 2
