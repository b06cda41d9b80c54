"""``--layout NAME`` on map, load and run (a shipped layout, as synth takes it): the same
as ``--mapping mappings/NAME.yaml``; exactly one of the two, and an unknown name lists
the layouts there are (found by a newcomer who ran ``synth --layout`` and then ``map``)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from fhircare.cli import app
from fhircare.source.mapping_file import load_mapping
from fhircare.synth import synthesise

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("layout-extract")
    synthesise(load_mapping(REPO / "mappings" / "systmone-like.yaml"), folder, patients=6, seed=5)
    return folder


def _map(extract: Path, out: Path, *choice: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["map", "--extract", str(extract), *choice, "--out", str(out), "--no-validate", "--as-of", "2025-07-01"]
    )
    return result.exit_code, result.output


def test_map_by_layout_is_map_by_its_mapping_file(extract: Path, tmp_path: Path) -> None:
    by_layout = _map(extract, tmp_path / "a", "--layout", "systmone-like")
    by_file = _map(extract, tmp_path / "b", "--mapping", str(REPO / "mappings" / "systmone-like.yaml"))
    assert by_layout[0] == by_file[0] == 0, by_layout[1]
    [a] = (tmp_path / "a").glob("*.ndjson")
    [b] = (tmp_path / "b").glob("*.ndjson")
    assert [orjson.loads(x) for x in a.read_bytes().splitlines()] == [
        orjson.loads(x) for x in b.read_bytes().splitlines()
    ]


@pytest.mark.parametrize(
    ("choice", "said"),
    [
        ((), "give either --layout NAME or --mapping FILE"),
        (
            ("--layout", "rio-like", "--mapping", "mappings/rio-like.yaml"),
            "give either --layout NAME or --mapping FILE",
        ),
        (("--layout", "emis-like"), "--layout emis-like: no such layout in"),
    ],
)
def test_exactly_one_known_layout_or_mapping(extract: Path, tmp_path: Path, choice: tuple[str, ...], said: str) -> None:
    code, output = _map(extract, tmp_path / "out", *choice)
    assert code == 2 and said in " ".join(output.split()), output


def test_load_and_run_take_a_layout(extract: Path, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    loaded = CliRunner().invoke(
        app,
        ["load", "--extract", str(extract), "--layout", "systmone-like", "--store", store, "--as-of", "2025-07-01",
         "--rejects", str(tmp_path / "rejects.jsonl"), "--format", "json"],
    )  # fmt: skip
    assert loaded.exit_code == 0, loaded.output
    assert orjson.loads(loaded.stdout)["load"]["serviceUsers"]["changed"] == 6
    unknown = CliRunner().invoke(
        app,
        ["run", "--extract", str(extract), "--layout", "nope", "--target", "http://127.0.0.1:9/fhir", "--store", store],
    )
    assert unknown.exit_code == 2 and "no such layout" in unknown.output
