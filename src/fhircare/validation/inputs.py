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
* Only regular files are read: a FIFO, device or socket inside a folder is reported and
  never opened, and one named on the command line is read only when the caller allows it
  (``--allow-special-files``), and then only up to the file-size limit.
* Limits (:class:`ReadLimits`, from settings): a ``.json`` file's size, an NDJSON line's
  size (NDJSON files are streamed line by line, so memory follows the largest line, not
  the file), JSON nesting depth and the digits of a number. Past one, the file or line is
  an input problem naming the limit. Duplicate keys in one JSON object are an input
  problem too (the HL7 validator reports them; a parser would silently keep the last).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from fhircare.errors import InputError, LimitExceededError, MalformedJSONError, NotFHIRError
from fhircare.json_keys import repeated_key, repeats_a_key, shape

#: file name endings walked in folders
JSON_SUFFIXES = (".json",)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")

_BOM = b"\xef\xbb\xbf"
#: stdlib re-parsing (for an exact error position) only below this size
_RELOCATE_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """How much one input may cost. The defaults are the settings' defaults."""

    max_file_bytes: int = 256 * 1024 * 1024
    max_line_bytes: int = 64 * 1024 * 1024
    max_depth: int = 100
    max_number_digits: int = 100
    #: read FIFOs and devices named on the command line (never ones found in folders)
    allow_special_files: bool = False

    @classmethod
    def from_settings(cls, settings: Any, *, allow_special_files: bool = False) -> ReadLimits:
        return cls(
            max_file_bytes=settings.validate_max_file_bytes,
            max_line_bytes=settings.validate_max_line_bytes,
            max_depth=settings.validate_max_json_depth,
            max_number_digits=settings.validate_max_number_digits,
            allow_special_files=allow_special_files,
        )


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


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


def iter_inputs(paths: Sequence[Path], limits: ReadLimits | None = None) -> Iterator[InputItem]:
    """Every resource (or problem) in ``paths``, files and folders, in a stable order."""
    limits = limits or ReadLimits()
    for path, problem in _files(paths, limits):
        if problem is not None:
            yield InputProblem.of(str(path), path, problem)
        elif path.name.lower().endswith(NDJSON_SUFFIXES):
            yield from _read_ndjson(path, limits)
        else:
            yield _read_json(path, limits)


def count_inputs(paths: Sequence[Path]) -> int:
    """How many files :func:`iter_inputs` will read (for a progress bar; no file is opened)."""
    return sum(1 for _ in _files(paths, ReadLimits()))


# -- finding files ------------------------------------------------------------


def _special(mode: int) -> str | None:
    """What kind of non-regular file ``mode`` is (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _files(paths: Sequence[Path], limits: ReadLimits) -> Iterator[tuple[Path, InputError | None]]:
    """Each file to read (or a problem with a path), each file once."""
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            reason = "no such file or folder" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror}"
            yield path, InputError(reason, file=path)
            continue
        candidates: Iterator[tuple[Path, InputError | None]]
        if stat.S_ISDIR(mode):
            candidates = _walk(path)
        elif (kind := _special(mode)) is not None and not limits.allow_special_files:
            refused = InputError(f"{kind}, not a regular file: not read (--allow-special-files reads it)", file=path)
            candidates = iter([(path, refused)])
        else:
            candidates = iter([(path, None)])
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
    """Problems reading folders, then the files in path order (as ``find | sort``).

    A FIFO, device or socket found in a folder is reported and never opened (opening a
    FIFO would wait for a writer for ever)."""
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
        try:
            kind = _special(path.stat().st_mode)
        except OSError as exc:
            yield path, InputError(f"cannot read file: {exc.strerror or type(exc).__name__}", file=path)
            continue
        if kind is not None:
            yield path, InputError(f"{kind} in a folder, not a regular file: not read", file=path)
        else:
            yield path, None


def _walk_problem(exc: OSError) -> tuple[Path, InputError]:
    where = Path(exc.filename) if exc.filename else Path(".")
    return where, InputError(f"cannot read folder: {exc.strerror or exc}", file=where)


# -- reading ------------------------------------------------------------------


def _cannot_read(path: Path, exc: OSError) -> InputProblem:
    error = InputError(f"cannot read file: {exc.strerror or type(exc).__name__}", file=path)
    return InputProblem.of(str(path), path, error)


def _read_bytes(path: Path, limits: ReadLimits) -> bytes | InputProblem:
    """The whole file, or the problem: unreadable, or larger than the limit (a special file
    is read in chunks only up to the limit, so /dev/zero stops there)."""
    limit = limits.max_file_bytes
    try:
        with path.open("rb") as f:
            found = os.fstat(f.fileno())
            too_big = stat.S_ISREG(found.st_mode) and found.st_size > limit
            data = None if too_big else f.read(limit + 1)
    except OSError as exc:
        return _cannot_read(path, exc)
    if data is None or len(data) > limit:
        error = LimitExceededError(
            f"the file is larger than the limit of {_size(limit)} for one JSON document"
            " (FHIRCARE_VALIDATE_MAX_FILE_BYTES; NDJSON files are streamed and have no such limit)",
            file=path,
        )
        return InputProblem.of(str(path), path, error)
    return data


def _read_json(path: Path, limits: ReadLimits) -> InputItem:
    data = _read_bytes(path, limits)
    if isinstance(data, InputProblem):
        return data
    label = str(path)
    parsed = parse_resource(data, file=path, limits=limits)
    if isinstance(parsed, InputError):
        return InputProblem.of(label, path, parsed)
    return InputResource(label, parsed, path)


def _lines(f: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) of a stream, a line never held past ``limit`` bytes: a longer one
    comes as None, the rest of it read and dropped."""
    number = 0
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, line


def _read_ndjson(path: Path, limits: ReadLimits) -> Iterator[InputItem]:
    try:
        f = path.open("rb")
    except OSError as exc:
        yield _cannot_read(path, exc)
        return
    with f:
        try:
            for number, line in _lines(f, limits.max_line_bytes):
                label = f"{path}:{number}"
                if line is None:
                    error = LimitExceededError(
                        f"the line is longer than the limit of {_size(limits.max_line_bytes)}"
                        " for one NDJSON line (FHIRCARE_VALIDATE_MAX_LINE_BYTES)",
                        file=path,
                        line=number,
                    )
                    yield InputProblem.of(label, path, error)
                    continue
                line = line.rstrip(b"\r\n")
                if number == 1:
                    line = line.removeprefix(_BOM)
                if not line.strip():
                    continue
                parsed = parse_resource(line, file=path, line=number, limits=limits)
                if isinstance(parsed, InputError):
                    yield InputProblem.of(label, path, parsed)
                else:
                    yield InputResource(label, parsed, path, number)
        except OSError as exc:
            yield _cannot_read(path, exc)


def parse_resource(
    data: bytes,
    *,
    file: Path | str | None = None,
    line: int | None = None,
    limits: ReadLimits | None = None,
) -> dict[str, Any] | InputError:
    """``data`` parsed as one FHIR resource, or the error that says why it is not one.

    ``line`` is the line of ``file`` that ``data`` is (for NDJSON).
    """
    limits = limits or ReadLimits()
    data = data.removeprefix(_BOM)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return _malformed(data, exc, file, 1 if line is None else line, limits)
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return NotFHIRError("not a FHIR resource (no resourceType)", file=file, line=line)
    depth, keys = shape(value)
    if depth > limits.max_depth:
        return LimitExceededError(
            f"JSON nested {depth} levels deep, past the limit of {limits.max_depth} (FHIRCARE_VALIDATE_MAX_JSON_DEPTH)",
            file=file,
            line=line,
        )
    if repeats_a_key(data, keys):
        return _duplicate_key(data, file, 1 if line is None else line)
    return value


def _duplicate_key(data: bytes, file: Path | str | None, first_line: int) -> MalformedJSONError:
    """The error for an object that repeats a key, naming the first such key."""
    name = repeated_key(data.decode("utf-8", errors="replace"))
    found = re.search(rb'"' + re.escape(name.encode()) + rb'"\s*:', data)
    where = data.count(b"\n", 0, found.start()) + first_line if found else first_line
    return MalformedJSONError(
        f"duplicate JSON property '{name}' in one object (JSON objects must not repeat a name)",
        file=file,
        line=where,
    )


def _malformed(
    data: bytes, fast: orjson.JSONDecodeError, file: Path | str | None, first_line: int, limits: ReadLimits
) -> InputError:
    """The error for bytes orjson refused, located by the standard library's parser."""
    offset = first_line - 1
    if not data.strip():
        return MalformedJSONError("malformed JSON: empty", file=file, line=first_line)
    digits = _number_at(data, fast.pos)
    if digits > limits.max_number_digits:
        return LimitExceededError(
            f"a JSON number of {digits} digits, past the limit of {limits.max_number_digits}"
            " (FHIRCARE_VALIDATE_MAX_NUMBER_DIGITS)",
            file=file,
            line=fast.lineno + offset,
            column=fast.colno,
        )
    if "recursion" in fast.msg.lower():
        return LimitExceededError(
            f"JSON nested deeper than the limit of {limits.max_depth} (FHIRCARE_VALIDATE_MAX_JSON_DEPTH)",
            file=file,
            line=fast.lineno + offset,
        )
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
    if len(data) <= _RELOCATE_MAX_BYTES:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return MalformedJSONError(
                f"malformed JSON: {exc.msg}", file=file, line=exc.lineno + offset, column=exc.colno
            )
        except (ValueError, RecursionError):
            pass  # numbers past Python's digit limit, very deep nesting: orjson's account stands
    # The standard library accepts some things orjson (rightly) refuses: NaN,
    # unpaired surrogates, very deep nesting. orjson's own position is good enough.
    message = fast.msg.split(": line ")[0]
    return MalformedJSONError(f"malformed JSON: {message}", file=file, line=fast.lineno + offset, column=fast.colno)


def _number_at(data: bytes, pos: int) -> int:
    """Digits of the JSON number starting at ``pos`` (0 when there is none)."""
    found = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?").match(data, pos)
    if found is None:
        return 0
    return sum(1 for c in found.group() if 48 <= c <= 57)


def _position(data: bytes, index: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``data[index]``."""
    line = data.count(b"\n", 0, index) + 1
    start = data.rfind(b"\n", 0, index) + 1
    return line, index - start + 1
