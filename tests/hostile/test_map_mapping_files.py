"""Hostile mapping files (issue 14): an alias bomb, a file far too large, a device or FIFO
named as the mapping file or as a ConceptMap, a path outside the mapping file's folder,
nesting past the parser: each a clear message and exit code 2, within its time and under
500 MB, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.map_probe import MAPPINGS, PEAK_MB, fhircare

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def assert_refused(run: object, words: str) -> None:
    from tests.hostile.map_probe import Run

    assert isinstance(run, Run)
    assert not run.timed_out, "it did not stop within its time"
    assert run.code == 2, run.stderr
    assert words in run.stderr, run.stderr
    assert not run.traceback
    assert run.peak_mb < PEAK_MB, f"peak {run.peak_mb:.0f} MB"


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    """A 1 KB file grew past 9 GB with no output; now refused at its 51st alias."""
    (tmp_path / "bomb.yaml").write_text(BOMB)
    assert len(BOMB) < 1024
    run = fhircare("mapping", "check", str(tmp_path / "bomb.yaml"), timeout=60)
    assert_refused(run, "uses more YAML aliases than FHIRCARE_MAPPING_MAX_ALIASES allows (50)")


def test_a_bomb_within_a_raised_alias_budget_is_refused_by_its_size(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB)
    run = fhircare(
        "map",
        "--extract",
        str(tmp_path),
        "--mapping",
        str(tmp_path / "bomb.yaml"),
        "--out",
        str(tmp_path / "out"),
        env={"FHIRCARE_MAPPING_MAX_ALIASES": "1000"},
        timeout=60,
    )
    assert_refused(run, "holds more than FHIRCARE_MAPPING_MAX_NODES (200000) YAML nodes once its aliases are expanded")


def test_a_mapping_file_past_the_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.write("description: big\n")
        for number in range(200_000):
            handle.write(f"# padding line {number:08d}\n")
    run = fhircare("mapping", "check", str(big), timeout=60)
    assert_refused(run, "larger than FHIRCARE_MAPPING_MAX_BYTES (1048576 bytes)")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_named_as_the_mapping_file(device: str) -> None:
    run = fhircare("mapping", "check", device, timeout=30)
    assert_refused(run, "is a character device; fhircare reads only regular files")


def test_a_fifo_named_as_the_mapping_file_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    run = fhircare("mapping", "check", str(tmp_path / "pipe.yaml"), timeout=30)
    assert_refused(run, "is a FIFO (named pipe)")


def test_nesting_past_the_parser(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    run = fhircare("mapping", "check", str(tmp_path / "deep.yaml"), timeout=60)
    assert_refused(run, "deep.yaml: not valid YAML: nested too deeply")


def with_concept_map(tmp_path: Path, target: str) -> Path:
    text = (MAPPINGS / "rio-like.yaml").read_text(encoding="utf-8")
    path = tmp_path / "with-map.yaml"
    path.write_text(text.replace("\nvalue_maps:\n", f"\nconcept_maps:\n  rows: {target}\nvalue_maps:\n", 1))
    return path


def test_a_concept_map_at_dev_zero_is_outside_the_folder(tmp_path: Path) -> None:
    """`concept_maps` pointing at /dev/zero reached 23.8 GB."""
    run = fhircare("mapping", "check", str(with_concept_map(tmp_path, "/dev/zero")), timeout=30)
    assert_refused(
        run, "/dev/zero is outside the mapping file's folder (allow its folder with FHIRCARE_MAPPING_ALLOWED_DIRS)"
    )


def test_a_concept_map_linked_to_a_device_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    run = fhircare(
        "mapping",
        "check",
        str(with_concept_map(tmp_path, "zero.json")),
        env={"FHIRCARE_MAPPING_ALLOWED_DIRS": '["/dev"]'},
        timeout=30,
    )
    assert_refused(run, "is a character device; fhircare reads only regular files")


def test_a_concept_map_past_its_size_limit(tmp_path: Path) -> None:
    with (tmp_path / "huge.json").open("wb") as handle:
        handle.truncate(64 * 2**20)  # sparse: 64 MB of nothing
    run = fhircare("mapping", "check", str(with_concept_map(tmp_path, "huge.json")), timeout=60)
    assert_refused(run, "larger than FHIRCARE_CONCEPT_MAP_MAX_BYTES (16777216 bytes)")
