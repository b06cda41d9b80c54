"""What to validate: files, folders and NDJSON read into resources or input problems.

This is the validator's I/O edge. :func:`iter_inputs` turns the paths a user gave
into a stream of :class:`InputResource` (one parsed JSON resource with a label for
reports) and :class:`InputProblem` (a file or line that cannot be validated, with
``file:line:column`` where known). Nothing here raises for bad input: one unusable
file never stops the others.

* A ``.json`` file is one resource (a Bundle stays one item: the validator checks
  its entries itself). A file named on the command line is read as JSON whatever
  its extension, unless it ends in ``.ndjson`` or ``.jsonl``.
* An ``.ndjson`` / ``.jsonl`` file holds one resource per line (blank lines are
  skipped); each line is labelled ``file:line``.
* A folder is walked recursively, in sorted order, for ``*.json``, ``*.ndjson``
  and ``*.jsonl``; hidden files and folders (``.name``) and symbolic links to
  folders are skipped.
* A UTF-8 byte order mark is accepted and ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fhircare.errors import InputError, MalformedJSONError, NotFHIRError

#: file name endings walked in folders
JSON_SUFFIXES = (".json",)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class InputResource:
    """One resource to validate. ``label`` names it in reports."""

    label: str
    resource: dict[str, Any]
    path: Path
    line: int | None = None  # the NDJSON line it came from


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A file or NDJSON line that cannot be validated, and why."""

    label: str
    message: str
    line: int | None
    column: int | None
    path: Path
    #: the error behind it: ``str()`` gives ``file:line:column: message``
    error: InputError = field(repr=False, compare=False)

    @classmethod
    def of(cls, label: str, path: Path, error: InputError) -> InputProblem:
        return cls(label, error.message, error.line, error.column, path, error)

    def where(self) -> str:
        """``file:line:column`` as far as known."""
        return self.error.where() or self.label

    def __str__(self) -> str:
        return str(self.error)

    def to_operation_outcome(self) -> dict[str, Any]:
        return self.error.to_operation_outcome()


InputItem = InputResource | InputProblem


def iter_inputs(paths: Sequence[Path]) -> Iterator[InputItem]:
    """Every resource (or problem) in ``paths``, files and folders, in a stable order."""
    for path, problem in _files(paths):
        if problem is not None:
            yield InputProblem.of(str(path), path, problem)
        elif path.name.lower().endswith(NDJSON_SUFFIXES):
            yield from _read_ndjson(path)
        else:
            yield _read_json(path)


def count_inputs(paths: Sequence[Path]) -> int:
    """How many files :func:`iter_inputs` will read (for a progress bar; no file is opened)."""
    return sum(1 for _ in _files(paths))


# -- finding files ------------------------------------------------------------


def _files(paths: Sequence[Path]) -> Iterator[tuple[Path, InputError | None]]:
    """Each file to read (or a problem with a path), each file once."""
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            candidates: Iterator[tuple[Path, InputError | None]] = _walk(path)
        elif path.exists():
            candidates = iter([(path, None)])
        else:
            candidates = iter([(path, InputError("no such file or folder", file=path))])
        for candidate, problem in candidates:
            if problem is None:
                key = _identity(candidate)
                if key in seen:
                    continue
                seen.add(key)
            yield candidate, problem


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _walk(folder: Path) -> Iterator[tuple[Path, InputError | None]]:
    """Problems reading folders, then the files in path order (as ``find | sort``)."""
    problems: list[OSError] = []
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=problems.append):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            Path(root) / name
            for name in files
            if not name.startswith(".") and name.lower().endswith(JSON_SUFFIXES + NDJSON_SUFFIXES)
        )
    for problem in problems:
        yield _walk_problem(problem)
    for path in sorted(found, key=lambda p: p.parts):
        yield path, None


def _walk_problem(exc: OSError) -> tuple[Path, InputError]:
    where = Path(exc.filename) if exc.filename else Path(".")
    return where, InputError(f"cannot read folder: {exc.strerror or exc}", file=where)


# -- reading ------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes | InputProblem:
    try:
        return path.read_bytes()
    except OSError as exc:
        error = InputError(f"cannot read file: {exc.strerror or type(exc).__name__}", file=path)
        return InputProblem.of(str(path), path, error)


def _read_json(path: Path) -> InputItem:
    data = _read_bytes(path)
    if isinstance(data, InputProblem):
        return data
    label = str(path)
    parsed = parse_resource(data, file=path)
    if isinstance(parsed, InputError):
        return InputProblem.of(label, path, parsed)
    return InputResource(label, parsed, path)


def _read_ndjson(path: Path) -> Iterator[InputItem]:
    data = _read_bytes(path)
    if isinstance(data, InputProblem):
        yield data
        return
    data = data.removeprefix(_BOM)
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        label = f"{path}:{number}"
        parsed = parse_resource(line, file=path, line=number)
        if isinstance(parsed, InputError):
            yield InputProblem.of(label, path, parsed)
        else:
            yield InputResource(label, parsed, path, number)


def parse_resource(
    data: bytes, *, file: Path | str | None = None, line: int | None = None
) -> dict[str, Any] | InputError:
    """``data`` parsed as one FHIR resource, or the error that says why it is not one.

    ``line`` is the line of ``file`` that ``data`` is (for NDJSON).
    """
    data = data.removeprefix(_BOM)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return _malformed(data, exc, file, 1 if line is None else line)
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return NotFHIRError("not a FHIR resource (no resourceType)", file=file, line=line)
    return value


def _malformed(
    data: bytes, fast: orjson.JSONDecodeError, file: Path | str | None, first_line: int
) -> MalformedJSONError:
    """The error for bytes orjson refused, located by the standard library's parser."""
    offset = first_line - 1
    if not data.strip():
        return MalformedJSONError("malformed JSON: empty", file=file, line=first_line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        return MalformedJSONError(
            "malformed JSON: not UTF-8 text (FHIR JSON is UTF-8)",
            file=file,
            line=line + offset,
            column=column,
        )
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return MalformedJSONError(f"malformed JSON: {exc.msg}", file=file, line=exc.lineno + offset, column=exc.colno)
    except RecursionError:
        pass
    # The standard library accepts some things orjson (rightly) refuses: NaN,
    # unpaired surrogates, very deep nesting. orjson's own position is good enough.
    message = fast.msg.split(": line ")[0]
    return MalformedJSONError(f"malformed JSON: {message}", file=file, line=fast.lineno + offset, column=fast.colno)


def _position(data: bytes, index: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``data[index]``."""
    line = data.count(b"\n", 0, index) + 1
    start = data.rfind(b"\n", 0, index) + 1
    return line, index - start + 1
