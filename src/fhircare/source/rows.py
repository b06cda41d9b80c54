"""Raw rows of extract files, streamed: CSV (with a header line) and JSON Lines.

Whatever the bytes, these yield rows or :class:`~fhircare.source.results.Problem`s and
never raise: undecodable bytes, malformed CSV or JSON, a line that is not a JSON object,
a row with more or fewer cells than the header are each a problem on that line, and the
file goes on. A file that cannot be opened, or is empty, is one problem for the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from fhircare.source.mapping_file import CsvOptions
from fhircare.source.results import Problem

#: beyond this many problems in one file, stop reading it (one more problem says so)
MAX_PROBLEMS_PER_FILE = 1000
_UNDECODED = re.compile("[\udc80-\udcff]")
_BOM = "\ufeff"


@dataclass(frozen=True)
class Header:
    """The column names of a CSV file (yielded before its rows)."""

    columns: tuple[str, ...]


@dataclass(frozen=True)
class RawRow:
    line: int
    values: dict[str, object]


@dataclass(frozen=True)
class BrokenRow:
    """A CSV row that cannot be read as it is (wrong number of cells, undecodable bytes).
    ``values`` pairs the header with the cells there are, only to guess whose row it was:
    rejecting a service user by mistake is safe, half-reading one is not."""

    problem: Problem
    values: dict[str, object]


def iter_rows(
    path: Path, name: str, fmt: str, encoding: str, options: CsvOptions
) -> Iterator[Header | RawRow | BrokenRow | Problem]:
    """The rows of one file (``name``: its path as reports show it)."""
    source = _iter_csv(path, name, encoding, options) if fmt == "csv" else _iter_jsonl(path, name, encoding)
    problems = 0
    try:
        for item in source:
            if isinstance(item, BrokenRow) or (isinstance(item, Problem) and item.line is not None):
                problems += 1
                if problems > MAX_PROBLEMS_PER_FILE:
                    yield Problem(name, None, None, f"stopped reading after {MAX_PROBLEMS_PER_FILE} problems")
                    return
            yield item
    except OSError as exc:
        yield Problem(name, None, None, f"cannot be read: {exc.strerror or type(exc).__name__}")


def _iter_csv(
    path: Path, name: str, encoding: str, options: CsvOptions
) -> Iterator[Header | RawRow | BrokenRow | Problem]:
    with path.open("rb") as binary:
        text = io.TextIOWrapper(binary, encoding=encoding, errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=options.delimiter, quotechar=options.quotechar, strict=True)
        header: list[str] | None = None
        previous_end = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if header is None:
                    yield Problem(name, None, None, f"the header line is not valid CSV: {exc}")
                    return
                yield Problem(name, previous_end + 1, None, f"not valid CSV: {exc}")
                previous_end = reader.line_num
                continue
            line, previous_end = previous_end + 1, reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if any(_UNDECODED.search(cell) for cell in cells):
                if header is None:
                    yield Problem(name, None, None, f"the header line holds bytes that are not valid {encoding}")
                    return
                problem = Problem(name, line, None, f"holds bytes that are not valid {encoding}")
                yield BrokenRow(problem, dict(zip(header, cells, strict=False)))
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                header[0] = header[0].removeprefix(_BOM)
                duplicates = sorted({c for c in header if header.count(c) > 1})
                if duplicates:
                    yield Problem(name, None, None, f"the header line names a column twice: {', '.join(duplicates)}")
                    return
                yield Header(tuple(header))
                continue
            if len(cells) != len(header):
                problem = Problem(name, line, None, f"has {len(cells)} fields, the header has {len(header)}")
                yield BrokenRow(problem, dict(zip(header, cells, strict=False)))
                continue
            yield RawRow(line, dict(zip(header, cells, strict=True)))
        if header is None:
            yield Problem(name, None, None, "is empty: a CSV file starts with a header line")


def _iter_jsonl(path: Path, name: str, encoding: str) -> Iterator[RawRow | Problem]:
    utf8 = codec_is_utf8(encoding)
    with path.open("rb") as binary:
        for number, raw in enumerate(binary, start=1):
            data = raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw
            if not data.strip():
                continue
            try:
                value = orjson.loads(data) if utf8 else orjson.loads(data.decode(encoding))
            except UnicodeDecodeError:
                yield Problem(name, number, None, f"holds bytes that are not valid {encoding}")
                continue
            except orjson.JSONDecodeError as exc:
                yield Problem(name, number, None, f"not valid JSON: {exc.msg}")
                continue
            if not isinstance(value, dict):
                yield Problem(name, number, None, "is not a JSON object")
                continue
            yield RawRow(number, value)


def codec_is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


def lookup(values: dict[str, object], path: tuple[str, ...]) -> object:
    """A value by key path (nested JSON objects); None when absent. A CSV row is flat and
    its column names may contain dots, so the whole name is tried first."""
    if len(path) > 1:
        whole = ".".join(path)
        if whole in values:
            return values[whole]
    current: object = values
    for key in path:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current
