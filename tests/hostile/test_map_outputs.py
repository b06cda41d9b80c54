"""When the output cannot be written (issue 14): a full disk (a file size limit), a folder
the user may not write to, an output path that is a file. Each is a clear message and exit
code 2, never a traceback, and nothing is left behind: no copy of the extract, no partial
output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.map_probe import MAPPINGS, NOBODY, fhircare, leftovers, synth


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(tmp_path_factory.mktemp("outputs") / "extract", patients=40)


def map_args(extract: Path, out: Path) -> list[str]:
    mapping = str(MAPPINGS / "rio-like.yaml")
    return ["map", "--extract", str(extract), "--mapping", mapping, "--out", str(out), "--no-validate"]


@pytest.mark.parametrize(
    ("limit", "words"),
    [
        (48 * 1024, "cannot write the extract's working copy"),  # the row store fills first
        (1024 * 1024, "bundles.ndjson: File too large (a file size limit is set: see ulimit -f)"),
    ],
)
def test_a_full_disk_is_a_clear_message_and_leaves_nothing(
    extract: Path, tmp_path: Path, limit: int, words: str
) -> None:
    """`ulimit -f` gave a "disk I/O error" traceback."""
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    run = fhircare(*map_args(extract, out), file_size=limit, env={"TMPDIR": str(tmp)}, timeout=120)
    assert not run.timed_out and not run.traceback
    assert run.code == 2, run.stdout + run.stderr
    assert words in run.stderr, run.stderr
    assert leftovers(out, tmp) == []
    assert not (out / "bundles.ndjson").exists() and not (out / "rejects.jsonl").exists()


def test_a_folder_the_user_cannot_write_to(extract: Path, tmp_path: Path) -> None:
    """The folder belongs to someone else and is not writable by others (when the tests run
    as root, the child runs without the capabilities that let root ignore that)."""
    out = tmp_path / "theirs"
    out.mkdir(mode=0o755)
    os.chown(out, NOBODY, NOBODY)
    run = fhircare(*map_args(extract, out), obey_permissions=True, timeout=120)
    assert not run.traceback and run.code == 2, run.stdout + run.stderr
    assert "Permission denied" in run.stderr and str(out) in run.stderr
    assert leftovers(out) == [] and list(out.iterdir()) == []


def test_an_output_path_that_is_a_file(extract: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    run = fhircare(*map_args(extract, tmp_path / "out"), timeout=120)
    assert not run.traceback and run.code == 2
    assert "File exists" in run.stderr or "Not a directory" in run.stderr


def test_synth_into_a_full_disk(tmp_path: Path) -> None:
    run = fhircare("synth", "--layout", "welsh-pas-like", "--patients", "200", str(tmp_path / "x"), file_size=20_000)
    assert not run.traceback and run.code == 2
    assert "File too large" in run.stderr


def test_no_traceback_for_misused_commands(tmp_path: Path, extract: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    probes = [
        (
            "map",
            "--extract",
            str(tmp_path / "file.txt"),
            "--mapping",
            str(MAPPINGS / "rio-like.yaml"),
            "--out",
            str(tmp_path / "o1"),
        ),
        ("map", "--extract", str(extract), "--mapping", str(tmp_path / "fifo"), "--out", str(tmp_path / "o2")),
        ("map", "--extract", str(extract), "--mapping", str(tmp_path), "--out", str(tmp_path / "o3")),
        ("synth", "--layout", "nope", str(tmp_path / "s1")),
        ("synth", "--layout", "rio-like", "--mapping", str(MAPPINGS / "rio-like.yaml"), str(tmp_path / "s2")),
        ("synth", "--layout", "rio-like", str(extract)),
        ("mapping", "check", str(MAPPINGS / "rio-like.yaml"), "--extract", str(tmp_path / "file.txt")),
        ("mapping", "check", str(tmp_path)),
    ]
    for args in probes:
        run = fhircare(*args, timeout=60)
        assert not run.timed_out and not run.traceback, (args, run.stderr)
        assert run.code == 2, (args, run.code, run.stderr)
        assert run.stderr.startswith("error: "), (args, run.stderr)
