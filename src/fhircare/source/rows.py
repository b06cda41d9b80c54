"""Raw rows of extract files, streamed: CSV (with a header line) and JSON Lines.

Whatever the bytes, these yield rows or :class:`~fhircare.source.results.Problem`s and
never raise: undecodable bytes, malformed CSV or JSON, a line that is not a JSON object,
a row with more or fewer cells than the header, a row longer than the row limit are each
a :class:`BrokenRow` on their line, and the file goes on. A file that cannot be opened,
is not a regular file, is empty, or lacks its declared trailer line is one problem for
the whole file (``line`` None).

A broken row carries every value its line seems to hold (``candidates``), so the reader
can reject whoever it might belong to: rejecting a service user by mistake is safe,
half-reading one is not. A CSV record that fails after spanning several lines (an
unbalanced quote swallows the lines after it) costs only its first line: the lines
after it are read again on their own.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, cast

import orjson

from fhircare.errors import InputError
from fhircare.json_keys import repeated_key, repeats_a_key, shape
from fhircare.source.limits import ReadLimits, setting_name
from fhircare.source.results import Problem
from fhircare.workspace import open_regular

#: beyond this many problems in one file, stop reading it (one more problem says so)
MAX_PROBLEMS_PER_FILE = 1000
_UNDECODED = re.compile("[\udc80-\udcff]")
_BOM = "\ufeff"
#: of a line too long to read, this much is kept to tell whose row it was
_PREFIX_KEPT = 4096
#: JSON strings (whole, however long, so that quotes never pair up wrongly) and numbers
_JSON_SCALARS = re.compile(r'"((?:[^"\\]|\\.)*)"|(?<![\w.])(-?\d{1,18})(?![\w.])')
_PLACEHOLDER = re.compile(r"\{(rows|\*)\}")


class LineTemplate:
    """A header-count line before the column header or a trailer line after the last
    row, as a mapping file writes it: literal text with ``{rows}`` (the number of data
    rows, checked) and ``{*}`` (any text; synth writes the extract date there)."""

    def __init__(self, text: str) -> None:
        self.text = text
        pattern, last, counted = [], 0, False
        for match in _PLACEHOLDER.finditer(text):
            pattern.append(re.escape(text[last : match.start()]))
            if match[1] == "rows" and not counted:
                pattern.append(r"(?P<rows>\d{1,18})")
                counted = True
            else:
                pattern.append(r"\d{1,18}" if match[1] == "rows" else ".*?")
            last = match.end()
        pattern.append(re.escape(text[last:]))
        self._regex = re.compile("".join(pattern), re.DOTALL)
        self.counts_rows = "{rows}" in text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LineTemplate) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"LineTemplate({self.text!r})"

    def match(self, line: str) -> tuple[bool, int | None]:
        """Whether ``line`` (without its line ending) is this line, and the row count it states."""
        found = self._regex.fullmatch(line)
        if found is None:
            return False, None
        rows = found.groupdict().get("rows")
        return True, int(rows) if rows is not None else None

    def render(self, rows: int, stamp: str) -> str:
        return self.text.replace("{rows}", str(rows)).replace("{*}", stamp)


@dataclass(frozen=True)
class FileFormat:
    """How one extract file is read."""

    format: Literal["csv", "jsonl"]
    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    #: "minimal": the quote character quotes cells (RFC 4180); "none": it is a plain character
    quoting: Literal["minimal", "none"] = "minimal"
    preamble: LineTemplate | None = None
    trailer: LineTemplate | None = None


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
    """A line that cannot be read as a row. ``candidates``: every value the line seems to
    hold (its cells split naively, or the JSON strings and numbers in it), only to tell
    whose row it might have been."""

    problem: Problem
    candidates: tuple[str, ...]
    #: the header paired with the cells, when the line has the header's shape (only its
    #: bytes are wrong): its ids are where the header says
    values: dict[str, object] | None = None


Item = Header | RawRow | BrokenRow | Problem


class _TooLong(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _physical_lines(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes, too long): a line longer than ``limit`` is read past, not held."""
    number = 0
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while True:
                chunk = handle.readline(65536)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield number, raw[:_PREFIX_KEPT], True
            continue
        yield number, raw, False


def iter_rows(path: Path, name: str, fmt: FileFormat, limits: ReadLimits | None = None) -> Iterator[Item]:
    """The rows of one file (``name``: its path as reports show it)."""
    limits = limits or ReadLimits()
    problems = 0
    try:
        handle = open_regular(path)
    except InputError as exc:
        yield Problem(name, None, None, exc.message.removeprefix(f"{path}: "))
        return
    except OSError as exc:
        yield Problem(name, None, None, f"cannot be read: {exc.strerror or type(exc).__name__}")
        return
    with handle:
        witness = _EncodingWitness(handle, fmt.encoding)
        reading = cast(BinaryIO, witness)
        source = (
            _iter_csv(reading, name, fmt, limits) if fmt.format == "csv" else _iter_jsonl(reading, name, fmt, limits)
        )
        try:
            for item in source:
                if isinstance(item, BrokenRow):
                    problems += 1
                    if problems > MAX_PROBLEMS_PER_FILE:
                        yield Problem(name, None, None, f"stopped reading after {MAX_PROBLEMS_PER_FILE} problems")
                        return
                yield item
        except OSError as exc:
            yield Problem(name, None, None, f"cannot be read: {exc.strerror or type(exc).__name__}")
            return
        mistaken = witness.mistaken()
        if mistaken is not None:
            yield Problem(name, None, None, mistaken)


class _EncodingWitness:
    """The file's lines as read, watched for the signs that its encoding is not the one the
    mapping names: every word outside ASCII would then be read wrongly, and silently
    ('Renée' as 'RenÃ©e', 'O’Connor' as 'O\x92Connor'), into names and plans. Found by a
    trial of a new layout; a file read as UTF-8 that is not says so at each line already.

    - Declared a single-byte code page (cp1252, latin-1, ...) but every line outside ASCII
      is valid UTF-8 with a character beyond ASCII (text in a single-byte code page almost
      never is): the file is UTF-8.
    - Declared latin-1 (ISO 8859-1) but holding bytes 0x80-0x9F, which latin-1 reads as
      control characters: the file is cp1252 (Windows' curly quotes, dashes, the euro sign).
    - Declared UTF-8, with no byte order mark, but no line outside ASCII is UTF-8 and they
      read as UK text in cp1252: the file is cp1252. Each such line was a rejected row, and
      nothing said why (found by a trial of a new layout); a file holding UTF-8 lines too is
      UTF-8 with some rows damaged, each reported at its line.
    - Whatever is declared, a file starting with UTF-16's (or UTF-32's) byte order mark, or
      whose first line is a third or more NUL bytes, is UTF-16: SQL Server's and Excel's "Unicode
      text" export. fhircare reads ASCII-compatible encodings only; the file was said to be
      cp1252, and setting cp1252 would read no column (fourth layout trial)."""

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self._handle = handle
        try:
            self._codec = codecs.lookup(encoding).name
        except LookupError:
            self._codec = encoding
        self._single_byte = self._codec.startswith(_SINGLE_BYTE_CODECS)
        self._utf8_named = self._codec in ("utf-8", "utf-8-sig")
        self._bom = False
        self._first = True
        self._utf16 = False
        self._utf8 = 0
        self._not_utf8 = 0
        self._c1 = 0
        #: lines (declared UTF-8) that are not UTF-8 but read as UK text in cp1252
        self._cp1252 = 0

    def readline(self, size: int = -1) -> bytes:
        raw = self._handle.readline(size)
        if self._first:
            self._first = False
            self._bom = raw.startswith(b"\xef\xbb\xbf")
            self._utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw.count(0) * 3 >= len(raw) > 0
        if self._single_byte and raw and not raw.isascii():
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self._not_utf8 += 1
            else:
                # valid UTF-8 by chance ('RENÉ\xa0' is C9 A0, 'ɠ') gives letters no name or
                # plan holds: that line is no evidence the file is UTF-8, rather against it
                if _NOT_IN_UK_TEXT.search(text):
                    self._not_utf8 += 1
                else:
                    self._utf8 += 1
            if self._codec == "iso8859-1" and _C1_BYTES.search(raw):
                self._c1 += 1
        elif self._utf8_named and not (self._utf8 or self._not_utf8) and raw and not raw.isascii():
            # only until the first line that rules the cp1252 reading out
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    as_cp1252: str | None = raw.decode("cp1252")
                except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: not cp1252 either
                    as_cp1252 = None
                if as_cp1252 is not None and not _NOT_IN_UK_TEXT.search(as_cp1252):
                    self._cp1252 += 1
                else:
                    self._not_utf8 += 1
            else:
                self._utf8 += 1
        return raw

    def mistaken(self) -> str | None:
        """Why the file is not in the encoding the mapping names, or None."""
        named = f"the mapping file reads it as {self._codec}"
        if self._utf16:
            return (
                f"is UTF-16 (a 'Unicode text' export: two or four bytes a character), but {named}, and fhircare"
                " reads only encodings in which ASCII is one byte: nothing of the extract is used. Export it as"
                " UTF-8 (or cp1252)"
            )
        if self._single_byte and not self._not_utf8 and (self._bom or self._utf8):
            return (
                f"is UTF-8, but {named}: every letter outside ASCII would be read wrongly ('é' as 'Ã©'),"
                " so nothing of the extract is used. Set its encoding to utf-8 (read.encoding, or the"
                " file's own encoding)"
            )
        if self._utf8_named and self._cp1252 and not self._bom and not self._utf8 and not self._not_utf8:
            return (
                f"is not UTF-8: {self._cp1252} {'line holds' if self._cp1252 == 1 else 'lines hold'} bytes UTF-8"
                f" does not allow (each a rejected row), but {named}. They read as Windows-1252 (cp1252) letters"
                " and punctuation: is the export cp1252? Nothing of the extract is used. Set its encoding to cp1252"
                " (read.encoding, or the file's own encoding)"
            )
        if self._c1:
            return (
                f"holds bytes 0x80-0x9F on {self._c1} lines, which latin-1 reads as control characters, but {named}:"
                " is it cp1252 (Windows' curly quotes and dashes)? Nothing of the extract is used. Set its encoding"
                " to cp1252"
            )
        return None


#: characters outside what UK care records are written in: Latin letters with their
#: accents (Welsh, Irish, European names), typographic quotes and dashes, the euro and the
#: pound, and a byte order mark. UTF-8 read from cp1252 bytes by chance is mostly outside
#: (found by a review: a genuine cp1252 file was refused for one 'RENÉ\xa0')
_NOT_IN_UK_TEXT = re.compile("[^\x00-\x7f\xa0-\u017f\u2010-\u2027\u20ac\u2122\ufeff]")
#: codecs (as codecs.lookup names them) with one byte a character, whose mistaking for
#: UTF-8 the witness can see
_SINGLE_BYTE_CODECS = ("cp125", "iso8859-", "latin", "mac-", "cp437", "cp850")
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def _decode(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="surrogateescape")


def _too_long(limits: ReadLimits) -> str:
    return f"is longer than {setting_name('extract_max_row_bytes')} ({limits.extract_max_row_bytes} bytes)"


class _LineSource:
    """The decoded lines of a CSV file for csv.reader, remembering the lines of the record
    being read so that a failed one can be read again from its second line."""

    def __init__(self, lines: Iterator[tuple[int, bytes, bool]], encoding: str, limit: int) -> None:
        self._lines = lines
        # utf-8-sig's decoder is written in Python (slow per line): lines are decoded as
        # utf-8 and a BOM is taken off the first line (as utf-8-sig would, for any utf-8)
        self._encoding = "utf-8" if codec_is_utf8(encoding) else encoding
        self._limit = limit
        self._pending: deque[tuple[int, str, bool]] = deque()
        self.taken: list[tuple[int, str, bool]] = []
        self._size = 0

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        if self._pending:
            item = self._pending.popleft()
        else:
            number, raw, too_long = next(self._lines)
            text = _decode(raw, self._encoding)
            item = (number, text.removeprefix(_BOM) if number == 1 else text, too_long)
        self.taken.append(item)
        self._size += len(item[1])
        if item[2] or self._size > self._limit:
            raise _TooLong(self.taken[0][0])
        return item[1]

    def start(self) -> None:
        self.taken = []
        self._size = 0

    def read_again_after_first(self) -> None:
        """Put back every line the current record took but its first."""
        self._pending.extendleft(reversed(self.taken[1:]))


def _cells_of(text: str, fmt: FileFormat) -> tuple[str, ...]:
    """A line's cells split on the delimiter alone, quotes taken off: whose row it was."""
    cells = (cell.strip().strip(fmt.quotechar).strip() for cell in text.rstrip("\r\n").split(fmt.delimiter))
    return tuple(dict.fromkeys(cell for cell in cells if cell and not _UNDECODED.search(cell)))


@dataclass(frozen=True)
class _Record:
    line: int
    text: str
    cells: list[str] | None
    reason: str | None = None


def _csv_records(lines: _LineSource, fmt: FileFormat, limits: ReadLimits, width: list[int]) -> Iterator[_Record]:
    """The records of a CSV file; ``width[0]`` is the header's number of columns once it
    is known (0 before): a record that spans several lines and lacks that shape is taken
    for an unbalanced quote, and the lines after its first are read again."""

    def reader() -> Iterator[list[str]]:
        if fmt.quoting == "none":
            return csv.reader(lines, delimiter=fmt.delimiter, quoting=csv.QUOTE_NONE, strict=True)
        return csv.reader(lines, delimiter=fmt.delimiter, quotechar=fmt.quotechar, strict=True)

    csv.field_size_limit(limits.extract_max_field_bytes)
    rows = reader()
    while True:
        lines.start()
        try:
            cells = next(rows)
        except StopIteration:
            return
        except (csv.Error, _TooLong) as exc:
            first = lines.taken[0] if lines.taken else None
            if first is None:
                return
            if isinstance(exc, _TooLong):
                reason = _too_long(limits)
            elif "field larger than field limit" in str(exc):
                limit = setting_name("extract_max_field_bytes")
                reason = f"holds a cell longer than {limit} ({limits.extract_max_field_bytes} bytes)"
            elif fmt.quoting != "none" and fmt.quotechar in first[1]:
                reason = "not valid CSV: an unbalanced quote starts on this line"
            elif "new-line character seen in unquoted field" in str(exc):
                # Python's words ("open the file in universal-newline mode?") send a trust
                # after the wrong fix (found by a trial of a new layout)
                reason = "not valid CSV: a carriage return inside a cell (a line break typed into a field?)"
            else:
                reason = f"not valid CSV: {exc}"
            if len(lines.taken) > 1:
                lines.read_again_after_first()
            rows = reader()
            yield _Record(first[0], first[1], None, reason)
            continue
        first = lines.taken[0]
        if len(lines.taken) > 1 and width[0] and len(cells) != width[0]:
            lines.read_again_after_first()
            rows = reader()
            yield _Record(first[0], first[1], None, "not valid CSV: an unbalanced quote starts on this line")
            continue
        yield _Record(first[0], first[1], cells)


def _iter_csv(handle: BinaryIO, name: str, fmt: FileFormat, limits: ReadLimits) -> Iterator[Item]:
    encoding = fmt.encoding
    lines = _LineSource(_physical_lines(handle, limits.extract_max_row_bytes), encoding, limits.extract_max_row_bytes)
    expected_rows: int | None = None
    if fmt.preamble is not None:
        try:
            first = next(lines)
        except (StopIteration, _TooLong):
            yield Problem(name, None, None, f"is empty or lacks its first line ({fmt.preamble.text!r})")
            return
        matched, expected_rows = fmt.preamble.match(first.rstrip("\r\n").removeprefix(_BOM))
        if not matched:
            yield Problem(name, None, None, f"its first line is not the line the mapping names ({fmt.preamble.text!r})")
            return
    header: list[str] | None = None
    written: list[str] = []  # the header line's cells as written
    held: _Record | None = None  # one record held back: it may be the trailer
    data_rows = 0
    width = [0]
    for record in _csv_records(lines, fmt, limits, width):
        if record.cells is not None and (not record.cells or (len(record.cells) == 1 and not record.cells[0].strip())):
            continue
        if header is None:
            if record.cells is None:
                yield Problem(name, None, None, f"the header line cannot be read: {record.reason}")
                return
            if any(_UNDECODED.search(cell) for cell in record.cells):
                yield Problem(name, None, None, f"the header line holds bytes that are not valid {encoding}")
                return
            header = [cell.strip() for cell in record.cells]
            header[0] = header[0].removeprefix(_BOM)
            written = _header_cells(record.cells)
            # a column with no name (a spreadsheet's trailing delimiters) is no column the
            # mapping can read: named by its place, it is never taken for another
            header = [cell or f"(unnamed column {number})" for number, cell in enumerate(header, start=1)]
            duplicates = sorted({c for c in header if header.count(c) > 1})
            if duplicates:
                yield Problem(name, None, None, f"the header line names a column twice: {', '.join(duplicates)}")
                return
            width[0] = len(header)
            yield Header(tuple(header))
            continue
        if (
            record.cells
            and written
            and record.cells[0].strip().removeprefix(_BOM).strip() == written[0]  # cheap, first
            and _header_cells(record.cells) == written
        ):
            continue  # the header line again (files joined after export): not a row of data
        if held is not None:
            data_rows += 1
            yield _row(held, header, fmt, name)
        held = record
    if header is None:
        yield Problem(name, None, None, "is empty: a CSV file starts with a header line")
        return
    stated: int | None = None
    if fmt.trailer is not None:
        matched, stated = fmt.trailer.match(held.text.rstrip("\r\n")) if held is not None else (False, None)
        if not matched:
            if held is not None:
                data_rows += 1
                yield _row(held, header, fmt, name)
            yield Problem(
                name,
                None,
                None,
                f"does not end with its trailer line ({fmt.trailer.text!r}): the file may be incomplete",
            )
            return
    elif held is not None:
        data_rows += 1
        yield _row(held, header, fmt, name)
    for which, count in (("first", expected_rows), ("last", stated)):
        if count is not None and count != data_rows:
            found = f"{data_rows} were found: the file may be incomplete"
            yield Problem(name, None, None, f"its {which} line says it holds {count} rows but {found}")


def _header_cells(cells: list[str]) -> list[str]:
    """A header line's names, as a line repeating it is compared with it: stripped, a byte
    order mark taken off (a second file joined on), trailing unnamed columns dropped."""
    names = [cell.strip().removeprefix(_BOM).strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    return names


def _row(record: _Record, header: list[str], fmt: FileFormat, name: str) -> RawRow | BrokenRow:
    cells = record.cells
    if cells is None:
        assert record.reason is not None
        return BrokenRow(Problem(name, record.line, None, record.reason), _cells_of(record.text, fmt))
    if _UNDECODED.search("".join(cells)):  # one search: joining makes no undecoded byte
        values: dict[str, object] = dict(zip(header, cells, strict=False))
        # the column and the byte: a trust fixing its export needs to know which field (none
        # when the byte is in a cell past the header's last column: a stray delimiter before
        # it; found by the CSV fuzz test, which raised StopIteration here)
        named = ((h, m) for h, c in zip(header, cells, strict=False) if (m := _UNDECODED.search(c)))
        column, found = next(named, (None, None))
        found = found or _UNDECODED.search("".join(cells))
        assert found is not None
        byte = ord(found.group()) - 0xDC00
        problem = Problem(name, record.line, column, f"holds a byte (0x{byte:02X}) that is not valid {fmt.encoding}")
        return BrokenRow(problem, _cells_of(record.text, fmt), values)
    if len(cells) != len(header):
        # the cells are not where the header says (a stray delimiter, a cell lost): every
        # value is a candidate, none is taken for its column
        problem = Problem(name, record.line, None, f"has {len(cells)} fields, the header has {len(header)}")
        return BrokenRow(problem, _cells_of(record.text, fmt) + tuple(c.strip() for c in cells if c.strip()))
    return RawRow(record.line, dict(zip(header, cells, strict=True)))


def _json_candidates(text: str) -> tuple[str, ...]:
    found = (m[1] if m[1] is not None else m[2] for m in _JSON_SCALARS.finditer(text))
    return tuple(dict.fromkeys(v for v in found if v and len(v) <= 64 and not _UNDECODED.search(v)))


def _iter_jsonl(handle: BinaryIO, name: str, fmt: FileFormat, limits: ReadLimits) -> Iterator[RawRow | BrokenRow]:
    utf8 = codec_is_utf8(fmt.encoding)
    for number, raw, too_long in _physical_lines(handle, limits.extract_max_row_bytes):
        data = raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw
        if too_long:
            text = _decode(data, "utf-8" if utf8 else fmt.encoding)
            yield BrokenRow(Problem(name, number, None, _too_long(limits)), _json_candidates(text))
            continue
        if not data.strip():
            continue
        try:
            value = orjson.loads(data) if utf8 else orjson.loads(data.decode(fmt.encoding))
        except UnicodeDecodeError:
            problem = Problem(name, number, None, f"holds bytes that are not valid {fmt.encoding}")
            yield BrokenRow(problem, _json_candidates(_decode(data, "utf-8" if utf8 else fmt.encoding)))
            continue
        except orjson.JSONDecodeError as exc:
            problem = Problem(name, number, None, f"not valid JSON: {exc.msg}")
            yield BrokenRow(problem, _json_candidates(_decode(data, "utf-8" if utf8 else fmt.encoding)))
            continue
        if not isinstance(value, dict):
            problem = Problem(name, number, None, "is not a JSON object")
            yield BrokenRow(problem, _json_candidates(_decode(data, "utf-8" if utf8 else fmt.encoding)))
            continue
        if repeats_a_key(data, shape(value)[1]):
            # the parse kept the last value: a do-not-involve flag written true, then false,
            # read as false (found by a trial of a new layout)
            text = _decode(data, "utf-8" if utf8 else fmt.encoding)
            key = repeated_key(text)
            reason = f"repeats the key '{key}' in one object, so which of its values holds cannot be told"
            yield BrokenRow(Problem(name, number, key, reason), _json_candidates(text))
            continue
        yield RawRow(number, value)


def codec_is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


def has_path(values: Mapping[str, object], path: tuple[str, ...]) -> bool:
    """Whether the key path is there (its value may be null), as :func:`lookup` reads it."""
    if len(path) > 1 and ".".join(path) in values:
        return True
    current: object = values
    for key in path:
        found, current = _step(current, key)
        if not found:
            return False
    return True


def lookup(values: Mapping[str, object], path: tuple[str, ...]) -> object:
    """A value by key path: nested JSON objects, arrays by position from 0
    (``scores.0.score``) or by a key of their objects (``scores[domain=DLG01].score``: the
    one object whose ``domain`` is ``DLG01``, wherever the export puts it; none, or more
    than one, is missing); None when absent. A CSV row is flat and its column names may
    contain dots, so the whole name is tried first."""
    if len(path) > 1:
        whole = ".".join(path)
        if whole in values:
            return values[whole]
    # the first step and plain object keys inline: this runs for every column of every row
    current = values.get(path[0], _ABSENT)
    if current is _ABSENT:
        found, current = _step(values, path[0])
        if not found:
            return None
    for key in path[1:]:
        if type(current) is dict and key in current:
            current = current[key]
            continue
        found, current = _step(current, key)
        if not found:
            return None
    return current


_ABSENT = object()


#: a key path step choosing an array's object by one of its keys: ``scores[domain=DLG01]``
_SELECTOR = re.compile(r"^([^\[\]=]+)\[([^\[\]=]+)=([^\[\]]*)\]$")


def path_root(column: str) -> str:
    """The top-level key a column's key path starts from (``scores`` of
    ``scores[domain=DLG01].score``): what a row must keep for the path to be read."""
    first = column.split(".", 1)[0]
    selector = _SELECTOR.match(first) if "[" in first else None
    return selector.group(1) if selector is not None else first


def _step(current: object, key: str) -> tuple[bool, object]:
    """One step of a key path: (whether it is there, the value it reaches)."""
    if isinstance(current, list) and key.isdigit():
        return (True, current[int(key)]) if int(key) < len(current) else (False, None)
    if not isinstance(current, Mapping):
        return False, None
    if key in current:
        return True, current[key]
    selector = _SELECTOR.match(key) if "[" in key else None
    if selector is None:
        return False, None
    name, field, wanted = selector.groups()
    items = current.get(name)
    # an array read by a key of its objects, not by position: an export that reorders
    # the array (DIALOG's eleven ratings) cannot swap two values (found by a layout trial)
    chosen = [
        item
        for item in (items if isinstance(items, list) else ())
        if isinstance(item, dict) and _key_text(item.get(field)) == wanted
    ]
    return (True, chosen[0]) if len(chosen) == 1 else (False, None)


def _key_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
