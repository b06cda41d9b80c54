"""A bounded-time fuzz test of the CSV reader (issue 14): quotes, delimiters, line ends and
undecodable bytes thrown into the text cells of a real extract, comma-separated with quotes
and tab-separated without. Whatever they make of a line, the reader never raises and no
service user is half-read: everyone but the owner of a damaged line reads exactly as
before, or is rejected."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.source.mapping_file import TrustMapping, load_mapping
from fhircare.source.reader import read_extract
from fhircare.source.results import Accepted
from fhircare.synth import synthesise
from tests.hostile.map_probe import MAPPINGS

DEBRIS = [b'"', b'""', b",", b"\t", b"\n", b"\r\n", b"\r", b"\x81", b"\xff\xfe", b"'", b"|", b" "]


class Case:
    def __init__(self, folder: Path, mapping: TrustMapping) -> None:
        self.folder = folder
        self.mapping = mapping
        with read_extract(folder, mapping) as extract:
            self.clean = {r.service_user_id: r.record for r in extract if isinstance(r, Accepted)}
        self.owners: dict[tuple[str, int], set[str]] = {}
        for su, record in self.clean.items():
            for model in record.records():
                origin = getattr(model, "origin", None)
                if origin is not None:
                    self.owners.setdefault((origin.file, origin.line), set()).add(su)
        #: (file, line, first and last byte of a text cell) that may be damaged
        self.targets: list[tuple[str, int, int, int]] = []
        for pattern, plans in mapping.files().items():
            fmt = plans[0].file_format
            if fmt.format != "csv":
                continue
            path = next(folder.glob(pattern))
            raw = path.read_bytes().split(b"\n")
            header_at = 1 if fmt.preamble is not None else 0
            header = raw[header_at].rstrip(b"\r").decode(fmt.encoding).removeprefix("\ufeff").split(fmt.delimiter)
            text = {
                c.source
                for p in plans
                for c in p.columns
                if c.field.kind == "text" and not c.field.name.endswith("_id")
            }
            for number in range(header_at + 1, len(raw)):
                if (path.name, number + 1) not in self.owners:
                    continue
                cells = raw[number].rstrip(b"\r").split(fmt.delimiter.encode())
                if len(cells) != len(header) or b'"' in raw[number]:
                    continue
                offset = 0
                for column, cell in zip(header, cells, strict=True):
                    if column in text and cell:
                        self.targets.append((path.name, number + 1, offset, offset + len(cell)))
                    offset += len(cell) + 1


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    found = {}
    for layout in ("rio-like", "welsh-pas-like"):
        mapping = load_mapping(MAPPINGS / f"{layout}.yaml")
        folder = tmp_path_factory.mktemp(f"fuzz-{layout}") / "extract"
        synthesise(mapping, folder, patients=8, seed=21)
        found[layout] = Case(folder, mapping)
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), layout=st.sampled_from(["rio-like", "welsh-pas-like"]))
def test_debris_in_text_cells_never_half_reads(cases: dict[str, Case], data: st.DataObject, layout: str) -> None:
    case = cases[layout]
    name, line, start, end = data.draw(st.sampled_from(case.targets), label="cell")
    debris = data.draw(st.lists(st.tuples(st.integers(start, end), st.sampled_from(DEBRIS)), min_size=1, max_size=4))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "extract"
        shutil.copytree(case.folder, folder)
        raw = (folder / name).read_bytes().split(b"\n")
        damaged = raw[line - 1]
        for position, piece in sorted(debris, reverse=True):
            damaged = damaged[:position] + piece + damaged[position:]
        raw[line - 1] = damaged
        (folder / name).write_bytes(b"\n".join(raw))
        with read_extract(folder, case.mapping) as extract:
            results = list(extract)
    owners = case.owners[(name, line)]
    for result in results:
        if isinstance(result, Accepted) and result.service_user_id not in owners:
            assert result.record == case.clean[result.service_user_id], (name, line, debris)
    assert {r.service_user_id for r in results} >= set(case.clean) - owners or all(
        not isinstance(r, Accepted) for r in results
    )
