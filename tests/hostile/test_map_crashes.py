"""Crash leftovers and concurrent runs (issue 14). A killed ``fhircare map`` left a full
copy of the extract in the system temporary folder and a world-readable partial output,
never cleaned; two runs into one folder shared a temporary name and one reported success
over the other's output. Now: kill -9 at any moment leaves nothing after the next run,
and a second concurrent run is refused at once with a clear message."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.map_probe import MAPPINGS, REPO, fhircare, leftovers, synth

PATIENTS = 240


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(tmp_path_factory.mktemp("crashes") / "extract", patients=PATIENTS)


def start(extract: Path, out: Path, tmp: Path) -> subprocess.Popen[bytes]:
    args = ["map", "--extract", str(extract), "--mapping", str(MAPPINGS / "rio-like.yaml"), "--out", str(out)]
    environment = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO / "src"), "COLUMNS": "200"}
    # files read by worker processes: they must die with the run (they once outlived it,
    # idle, holding its output pipes open)
    environment["FHIRCARE_WORKERS"] = "2"
    return subprocess.Popen(
        [sys.executable, "-m", "fhircare", *args, "--no-validate", "--as-of", "2025-07-01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )


def working(out: Path) -> bool:
    return out.is_dir() and any(p.name.startswith(".fhircare-work-") for p in out.iterdir())


def test_kill_9_leaves_nothing_after_the_next_run(extract: Path, tmp_path: Path) -> None:
    """A few trials here (bench/map/crash_trials.py runs 20): killed while reading,
    mapping or writing, then run again to the end."""
    rng = random.Random(14)
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    for trial in range(3):
        process = start(extract, out, tmp)
        deadline = time.monotonic() + 60
        while not working(out) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.5))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)  # the pipes close only when no worker holds them
        if trial == 0:
            left = [p for p in out.iterdir() if p.name.startswith(".fhircare-work-")]
            if left:  # what a killed run leaves: private to its user
                assert (left[0].stat().st_mode & 0o777) == 0o700
        again = start(extract, out, tmp)
        _, stderr = again.communicate(timeout=300)
        assert again.returncode == 0, stderr.decode()
        assert leftovers(out, tmp) == [], trial
        assert sorted(p.name for p in out.iterdir()) == ["bundles.ndjson", "rejects.jsonl"]
        assert len((out / "bundles.ndjson").read_bytes().splitlines()) == PATIENTS
        assert (out / "bundles.ndjson").stat().st_mode & 0o077 == 0  # personal data: the user's only


def test_a_second_run_into_the_same_folder_is_refused(extract: Path, tmp_path: Path) -> None:
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    first = start(extract, out, tmp)
    deadline = time.monotonic() + 60
    while not working(out) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert working(out), "the first run did not start"
    second = fhircare(
        "map",
        "--extract",
        str(extract),
        "--mapping",
        str(MAPPINGS / "rio-like.yaml"),
        "--out",
        str(out),
        "--no-validate",
        timeout=60,
    )
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr.decode()
    assert second.code == 2 and not second.traceback
    assert f"error: another fhircare run is writing to {out}; wait for it to finish or choose another folder" in (
        second.stderr
    )
    assert second.seconds < 30, "refused at once, not after waiting"
    assert len((out / "bundles.ndjson").read_bytes().splitlines()) == PATIENTS  # the first run's output, whole
    assert leftovers(out, tmp) == []
