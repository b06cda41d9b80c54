"""Issue 11 item 1 as a regression test against every reader: a service user is read whole
or rejected whole, whatever error a reader meets.

Every file of every shipped layout (CSV with quotes, tab-separated without, JSON Lines,
UTF-8 and Windows-1252) gets one line of one service user broken, each file in another way
(an unbalanced quote, too few or too many cells, undecodable bytes, a cell or row past its
limit, invalid JSON, a line that is not an object), and the extract is read again: the
service users that line belonged to are rejected, every other one is either rejected or
read exactly as before (never missing a row), and the broken line is named somewhere."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from fhircare.source.limits import ReadLimits
from fhircare.source.reader import read_extract
from fhircare.source.results import Accepted, Problem
from tests.unit.source.conftest import LAYOUTS, SynthRun

LIMITS = ReadLimits(extract_max_row_bytes=4096, extract_max_field_bytes=2048)
Corruption = Callable[[bytes, str], bytes]


def _cells(line: bytes, delimiter: bytes) -> list[bytes]:
    return line.split(delimiter)


def unbalanced_quote(line: bytes, delimiter: str) -> bytes:
    cells = _cells(line, delimiter.encode())
    cells[1] = b'"' + cells[1]
    return delimiter.encode().join(cells)


def too_few_cells(line: bytes, delimiter: str) -> bytes:
    return line.rsplit(delimiter.encode(), 1)[0]


def too_many_cells(line: bytes, delimiter: str) -> bytes:
    return line + delimiter.encode() + b"extra"


def undecodable(line: bytes, delimiter: str) -> bytes:
    cells = _cells(line, delimiter.encode())
    cells[-1] = cells[-1] + b"\x81\x8d"  # no character in UTF-8 or Windows-1252
    return delimiter.encode().join(cells)


def cell_too_long(line: bytes, delimiter: str) -> bytes:
    cells = _cells(line, delimiter.encode())
    cells[-1] = b"y" * 3000
    return delimiter.encode().join(cells)


def row_too_long(line: bytes, delimiter: str) -> bytes:
    return line + (delimiter.encode() + b"z" * 1500) * 4


def invalid_json(line: bytes, delimiter: str) -> bytes:
    return line.rstrip(b"}")


def not_an_object(line: bytes, delimiter: str) -> bytes:
    return b"[" + line + b"]"


def json_undecodable(line: bytes, delimiter: str) -> bytes:
    return line.replace(b'":"', b'":"\xff\xfe', 1)


def json_too_long(line: bytes, delimiter: str) -> bytes:
    return line[:-1] + b',"padding":"' + b"p" * 5000 + b'"}'


CSV = (unbalanced_quote, too_few_cells, too_many_cells, undecodable, cell_too_long, row_too_long)
TSV = (too_few_cells, too_many_cells, undecodable, cell_too_long, row_too_long)  # quotes are data there
JSONL = (invalid_json, not_an_object, json_undecodable, json_too_long)


def owners_by_line(run: SynthRun) -> dict[tuple[str, int], set[str]]:
    """Which service users each line of the clean extract belongs to (a directory entry's
    line belongs to everyone whose records refer to it)."""
    owners: dict[tuple[str, int], set[str]] = defaultdict(set)
    for su, record in run.read.accepted.items():
        for model in record.records():
            origin = getattr(model, "origin", None)
            if origin is not None:
                owners[(origin.file, origin.line)].add(su)
            for rating in getattr(model, "ratings", ()):
                if rating.origin is not None:
                    owners[(rating.origin.file, rating.origin.line)].add(su)
    return owners


def mentioned(problems: list[Problem], file: str, line: int) -> bool:
    return any(p.file == file and p.line == line for p in problems)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_service_user_is_read_whole_or_rejected_whole(
    clean_runs: dict[str, SynthRun], tmp_path: Path, layout: str
) -> None:
    run = clean_runs[layout]
    owners = owners_by_line(run)
    failures: list[str] = []
    tried = 0
    for number, (pattern, plans) in enumerate(run.mapping.files().items()):
        path = next(run.folder.glob(pattern))
        name = path.name
        lines = sorted(line for (file, line) in owners if file == name)
        if not lines:
            continue
        fmt = plans[0].file_format
        kinds = JSONL if fmt.format == "jsonl" else TSV if fmt.quoting == "none" else CSV
        corrupt = kinds[number % len(kinds)]
        target = lines[len(lines) // 2]
        folder = tmp_path / f"{number}"
        shutil.copytree(run.folder, folder)
        raw = (folder / name).read_bytes().split(b"\n")
        ending = b"\r" if raw[target - 1].endswith(b"\r") else b""
        raw[target - 1] = corrupt(raw[target - 1].removesuffix(b"\r"), fmt.delimiter) + ending
        (folder / name).write_bytes(b"\n".join(raw))
        with read_extract(folder, run.mapping, limits=LIMITS) as extract:
            results = list(extract)
            problems = [*extract.file_problems, *extract.directory_problems, *extract.unattributed_problems()]
        tried += 1
        where = f"{name}:{target} ({corrupt.__name__})"
        for result in results:
            problems += [] if isinstance(result, Accepted) else list(result.problems)
            if not isinstance(result, Accepted):
                continue
            su = result.service_user_id
            if su in owners[(name, target)]:
                failures.append(f"{where}: {su} was read although the line is theirs")
            elif result.record != run.read.accepted.get(su):
                failures.append(f"{where}: {su} was read differently (half-read)")
        if not mentioned(problems, name, target):
            failures.append(f"{where}: the broken line is named nowhere")
    assert tried >= 10
    assert failures == []
