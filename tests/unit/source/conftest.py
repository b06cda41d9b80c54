"""Fixtures for the source model tests: the shipped layouts, synthetic extracts, and a
reader that collects everything an extract gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.mapping_file import TrustMapping, load_mapping, shipped_layouts
from fhircare.source.reader import read_extract
from fhircare.source.results import Accepted, Problem, ReadResult, Rejected
from fhircare.synth import SynthSummary, synthesise

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
#: every shipped layout (mappings/*.yaml)
LAYOUTS = tuple(shipped_layouts(MAPPINGS))
#: one block of scenarios and then some: every edge case, twice for most
PATIENTS = 24
SEED = 11


@dataclass
class ReadBack:
    results: list[ReadResult]
    file_problems: list[Problem]
    directory_problems: list[Problem]
    unattributed: list[Problem]
    #: rows that repeated an earlier row exactly and were read once, per file
    repeated: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> dict[str, ServiceUserRecord]:
        return {r.service_user_id: r.record for r in self.results if isinstance(r, Accepted)}

    @property
    def rejected(self) -> dict[str, tuple[Problem, ...]]:
        return {r.service_user_id: r.problems for r in self.results if isinstance(r, Rejected)}


def read_all(folder: Path, mapping: TrustMapping) -> ReadBack:
    with read_extract(folder, mapping) as extract:
        results = list(extract)
        return ReadBack(
            results,
            list(extract.file_problems),
            list(extract.directory_problems),
            list(extract.unattributed_problems()),
            dict(extract.repeated),
        )


@dataclass
class SynthRun:
    folder: Path
    mapping: TrustMapping
    summary: SynthSummary
    records: dict[str, ServiceUserRecord]
    read: ReadBack


@pytest.fixture(scope="session")
def layouts() -> dict[str, TrustMapping]:
    return {name: load_mapping(MAPPINGS / f"{name}.yaml") for name in LAYOUTS}


def _run(folder: Path, mapping: TrustMapping, **options: object) -> SynthRun:
    kept: list[ServiceUserRecord] = []
    summary = synthesise(mapping, folder, keep=kept.append, **options)  # type: ignore[arg-type]
    return SynthRun(folder, mapping, summary, {r.service_user_id: r for r in kept}, read_all(folder, mapping))


@pytest.fixture(scope="session")
def clean_runs(tmp_path_factory: pytest.TempPathFactory, layouts: dict[str, TrustMapping]) -> dict[str, SynthRun]:
    """Each layout, synthesised with the same patients and seed, and read back."""
    return {
        name: _run(tmp_path_factory.mktemp(name), mapping, patients=PATIENTS, seed=SEED)
        for name, mapping in layouts.items()
    }


@pytest.fixture(scope="session")
def faulty_runs(tmp_path_factory: pytest.TempPathFactory, layouts: dict[str, TrustMapping]) -> dict[str, SynthRun]:
    """Each layout with --with-errors, read back."""
    return {
        name: _run(tmp_path_factory.mktemp(f"{name}-errors"), mapping, patients=PATIENTS, seed=SEED, with_errors=True)
        for name, mapping in layouts.items()
    }


@pytest.fixture
def write_mapping(tmp_path: Path) -> Callable[[str], Path]:
    """A mapping file with the given YAML text, in tmp_path."""

    def write(text: str, name: str = "test.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
