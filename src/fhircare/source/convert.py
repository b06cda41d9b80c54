"""Turning one raw value of a trust's row into a canonical field value.

A converter takes what a CSV cell (a string) or a JSON Lines value (string, number,
boolean, list) holds and returns the field's value in JSON form — ISO dates, code
strings, numbers — ready to be stored and validated by the model, or raises
:class:`ConversionProblem` with a reason a person can act on. Reasons name formats and
codes but never echo a value that could be personal data: only unknown codes are quoted,
and only those that look like codes (:func:`quoted_code`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache

from fhircare.source.records import FieldSpec

#: a converted value, JSON-ready (None: the value is missing)
JsonValue = str | int | bool | list[str] | None
Converter = Callable[[object], JsonValue]

_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: date and time formats read without strptime (the usual ones; ten times faster): groups
#: day, month, year, hour, minute[, second]; out-of-range values fail as strptime's do
_DMY_TIMES = {
    "%d/%m/%Y %H:%M": re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4}) ([0-9]{2}):([0-9]{2})"),
    "%d/%m/%Y %H:%M:%S": re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2})"),
}
_MAX_QUOTED = 40

#: what each strptime directive must match, exactly (strptime alone reads "202512" as
#: 2025-1-2 for %Y%m%d); ``%-d`` and the like allow one digit where strftime drops a zero
_DIRECTIVES = {
    "d": r"\d{2}",
    "m": r"\d{2}",
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "H": r"\d{2}",
    "I": r"\d{2}",
    "M": r"\d{2}",
    "S": r"\d{2}",
    "j": r"\d{3}",
    # up to seven digits: SQL Server's datetime2 and datetimeoffset write seven (100 ns);
    # strptime reads six, so the seventh is dropped before it (fifth layout trial: every
    # such row was a problem, and the mapping language had no way round it)
    "f": r"(?P<f>\d{1,7})",
    "p": r"(?:AM|PM|am|pm)",
    "b": r"[A-Za-z]{3}",
    "B": r"[A-Za-z]{3,9}",
    "a": r"[A-Za-z]{3}",
    "A": r"[A-Za-z]{6,9}",
    "z": r"(?:Z|[+-]\d{2}:?\d{2})",
    "%": "%",
}
_UNPADDED = frozenset("dmHIMSj")
_DIRECTIVE = re.compile(r"%(-?)(.)")

#: what a cell that says "unknown" holds, casefolded (a tri-state export's U, NHS Data
#: Dictionary style Not Known, and the usual variants): never a yes or a no
UNKNOWN_WORDS = frozenset(
    {"u", "unk", "unkn", "unknown", "not known", "notknown", "nk", "n/k", "?", "don't know", "dont know"}
)


class ConversionProblem(ValueError):
    """A raw value that cannot become the field's value; ``str()`` is the reason."""


@dataclass(frozen=True)
class ValueOptions:
    """How a column's values are read (resolved from the mapping file)."""

    date_formats: tuple[str, ...]
    datetime_formats: tuple[str, ...]
    timezone: tzinfo
    list_separator: str
    true_values: frozenset[str]
    false_values: frozenset[str]
    #: local value → canonical value (None: missing), or None to expect canonical values
    value_map: Mapping[str, str | None] | None = None
    value_map_name: str | None = None
    #: what a value the map does not list becomes: a problem, itself, or missing
    unmapped: str = "error"
    #: cell values that mean missing besides a blank cell ("NULL", "\\N", ...)
    missing_values: frozenset[str] = frozenset()
    #: the time zone a time written without an offset is in, where the column says it is
    #: not the trust's (UTC for a column a database filled with GETUTCDATE()); None: the
    #: trust's own, ``timezone``
    written_in: tzinfo | None = None


def quoted(value: str) -> str:
    """A code as it appears in a message: quoted, shortened, control characters escaped."""
    text = value if len(value) <= _MAX_QUOTED else value[: _MAX_QUOTED - 1] + "…"
    return repr(text)


#: what a code a value map or code list names looks like: one short token (SNOMED CT ids,
#: local codes such as "CPA2", "F20.0", "in-progress")
_CODE_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+#-]{0,24}")
#: something like a date (31/12/1980, 31-Dec-1980) or a UK postcode (SW1A 1AA)
_PERSON_LIKE = re.compile(
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{1,2}[-/ ]?[A-Za-z]{3,9}[-/ ]?\d{2,4}|[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}"
)
#: from this many digits a value may be an NHS number, a phone number or a date of birth in
#: any layout (9434765919, 943-476-5919, 07700900123, 19801231); a SNOMED CT id that long
#: is hidden too, which costs only the hint
_PERSON_DIGITS = 8
#: how a message shows a value that was to be a code and does not look like one
NOT_SHOWN = "(not shown: it does not look like a code, and may be personal data)"


def quoted_code(value: str) -> str:
    """A value that was to be a code, as a message shows it: quoted when it looks like a
    code, else not shown. A column mapped by mistake (names, NHS numbers, dates of birth,
    free text where a code belongs) would otherwise put one service user's personal data on
    the console for each row. A one-word name still looks like a code: the residual risk
    is in the hazard log (H27)."""
    if (
        _CODE_LIKE.fullmatch(value)
        and not _PERSON_LIKE.fullmatch(value)
        and sum(c.isdigit() for c in value) < _PERSON_DIGITS
    ):
        return quoted(value)
    return NOT_SHOWN


def is_missing(raw: object, markers: frozenset[str] = frozenset()) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        text = raw.strip()
        return not text or text in markers
    return isinstance(raw, list) and not raw


@lru_cache(maxsize=256)
def strict_format(fmt: str) -> tuple[re.Pattern[str], str]:
    """The regular expression a value in ``fmt`` must match exactly, and the format to
    give strptime (``%-d`` is ``%d`` to it). ValueError for a directive fhircare does not read."""
    pattern, last = [], 0
    for match in _DIRECTIVE.finditer(fmt):
        pattern.append(re.escape(fmt[last : match.start()]))
        unpadded, letter = match[1] == "-", match[2]
        if letter not in _DIRECTIVES or (unpadded and letter not in _UNPADDED):
            raise ValueError(f"the directive %{match[1]}{letter} is not one fhircare reads")
        if letter == "f" and "(?P<f>" in "".join(pattern):
            raise ValueError("the directive %f is given twice")  # strptime cannot read it either
        pattern.append(r"\d{1,2}" if unpadded and letter != "j" else r"\d{1,3}" if unpadded else _DIRECTIVES[letter])
        last = match.end()
    pattern.append(re.escape(fmt[last:]))
    return re.compile("".join(pattern)), fmt.replace("%-", "%")


def _scalar_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float) and math.isfinite(raw):
        # a JSON number written with a point: 5.0 is the whole number 5, and 3.5 is read as
        # the text it is, so that a whole-number field says "not a whole number" (it said
        # "expected text, found a JSON number", though 6 was read; a layout trial)
        return str(int(raw)) if raw.is_integer() else repr(raw)
    raise ConversionProblem(f"expected text, found a JSON {_json_type(raw)}")


def _json_type(raw: object) -> str:
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, int | float):
        return "number"
    if isinstance(raw, list):
        return "array"
    if isinstance(raw, dict):
        return "object"
    return "string" if isinstance(raw, str) else type(raw).__name__


#: the pseudo-format of a spreadsheet's serial day number (Excel's 1900 date system, as an
#: export re-saved from a spreadsheet writes dates: 45474 is 1 July 2024, 45474.5 its noon)
EXCEL_SERIAL = "excel"
_SERIAL = re.compile(r"(\d{1,7})(?:\.(\d+))?")
#: serial 61 is 1 March 1900: below it Excel counts a 29 February 1900 that never was
_FIRST_SERIAL, _LAST_SERIAL = 61, 2958465
_SERIAL_EPOCH = datetime(1899, 12, 30)
#: a format that holds the hour (padded or not): its time can be in another zone
_HOUR = re.compile(r"%-?[HI]")


def _excel_serial(text: str, *, needs_time: bool) -> datetime:
    """The day (and time, from the fraction of a day, to the second) a serial names, or
    ValueError: before 1 March 1900, after 9999, or a whole day where a time is wanted."""
    match = _SERIAL.fullmatch(text)
    if match is None or not _FIRST_SERIAL <= int(match[1]) <= _LAST_SERIAL:
        raise ValueError("not an Excel serial date from 1 March 1900")
    if needs_time and not match[2]:
        raise ValueError("a whole day, no time")
    seconds = round(float(f"0.{match[2] or 0}") * 86400)
    return _SERIAL_EPOCH + timedelta(days=int(match[1]), seconds=seconds)


def parse_date(text: str, formats: Sequence[str], zone: tzinfo | None = None, written_in: tzinfo | None = None) -> date:
    """The day ``text`` names. A value with a UTC offset (``1985-04-11T23:00:00.000Z``:
    midnight of 12 April in British Summer Time, as JSON exports write dates) is the day it
    is in ``zone``, the trust's: its UTC date was a day early (found by a trial of a new
    layout: 18 of 30 dates of birth)."""
    for fmt in formats:
        try:
            if fmt == "%Y-%m-%d":
                if _ISO_DATE.match(text):
                    return date.fromisoformat(text)
                continue
            if fmt == "%d/%m/%Y":
                match = _DMY.match(text)
                if match:
                    return date(int(match[3]), int(match[2]), int(match[1]))
                continue
            parsed = _excel_serial(text, needs_time=False) if fmt == EXCEL_SERIAL else _strptime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None and written_in is not None and (fmt == EXCEL_SERIAL or _HOUR.search(fmt)):
            # a time in another zone than the trust's: 23:30 UTC on 10 June is 11 June here
            parsed = parsed.replace(tzinfo=written_in)
        if parsed.tzinfo is not None and zone is not None:
            return parsed.astimezone(zone).date()
        return parsed.date()
    raise ConversionProblem(f"not a date in the format {_formats(formats)}")


def _strptime(text: str, fmt: str) -> datetime:
    """strptime, but only for text that matches the format exactly (ValueError else)."""
    pattern, plain = strict_format(fmt)
    match = pattern.fullmatch(text)
    if match is None:
        raise ValueError("does not match the format exactly")
    if "f" in pattern.groupindex and len(match["f"]) == 7:
        text = text[: match.start("f") + 6] + text[match.end("f") :]  # a tenth of a microsecond dropped
    return datetime.strptime(text, plain)


def _read_datetime(text: str, fmt: str) -> datetime:
    if fmt == EXCEL_SERIAL:
        return _excel_serial(text, needs_time=True)
    fast = _DMY_TIMES.get(fmt)
    if fast is None:
        return _strptime(text, fmt)
    match = fast.fullmatch(text)
    if match is None:
        raise ValueError("does not match the format exactly")
    day, month, year, hour, minute, *second = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, minute, second[0] if second else 0)


def parse_datetime(text: str, formats: Sequence[str], zone: tzinfo, written_in: tzinfo | None = None) -> datetime:
    for fmt in formats:
        try:
            parsed = _read_datetime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None and written_in is not None:
            # a column the mapping says is written in another zone (UTC), given in the trust's
            parsed = parsed.replace(tzinfo=written_in)
        # an instant given with its offset (UTC, as JSON exports write them) is kept, in the
        # trust's time: a DIALOG rated at 00:30 BST read "on 15 April" in UTC (found by a
        # trial of a new layout)
        return parsed.astimezone(zone) if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
    raise ConversionProblem(f"not a date and time in the format {_formats(formats)}")


def _formats(formats: Sequence[str]) -> str:
    """The formats as a problem names them, each with an example: ``%d-%b-%Y (such as
    07-Dec-2025)``. The example is a fixed day, never the value read (personal data: a date
    of birth), so that a trust can see at once what was expected (layout trial F16)."""
    return " or ".join(
        f"{fmt} (a spreadsheet's serial day number from 61, such as {format_date(_EXAMPLE.date(), fmt)})"
        if fmt == EXCEL_SERIAL
        else f"{fmt} (such as {_EXAMPLE.strftime(fmt)})"
        for fmt in formats
    )


def format_date(value: date, fmt: str) -> str:
    """``value`` written in ``fmt``, a strftime format or :data:`EXCEL_SERIAL` (the
    serial with the time as a fraction of a day, for a date and time)."""
    if fmt != EXCEL_SERIAL:
        return value.strftime(fmt)
    if not isinstance(value, datetime):
        return str((value - _SERIAL_EPOCH.date()).days)
    elapsed = value.replace(tzinfo=None) - _SERIAL_EPOCH
    return f"{elapsed.days}.{round(elapsed.seconds / 86400 * 10**6):06d}".rstrip("0").rstrip(".")


#: the day and time every format's example shows
_EXAMPLE = datetime(2025, 12, 7, 14, 30, 5, tzinfo=UTC)


@lru_cache(maxsize=256)
def _code_values(codes: type[StrEnum]) -> frozenset[str]:
    return frozenset(m.value for m in codes)


def _code(text: str, codes: type[StrEnum]) -> str:
    if text in _code_values(codes):  # the common case, without building the member
        return text
    try:
        return codes(text).value
    except ValueError:
        known = ", ".join(m.value for m in list(codes)[:12])
        more = ", ..." if len(codes) > 12 else ""
        raise ConversionProblem(f"unknown code {quoted_code(text)} (expected one of: {known}{more})") from None


def _through_map(text: str, options: ValueOptions) -> str | None:
    """A value through the column's value map (None: it means missing)."""
    value_map = options.value_map
    if value_map is None:
        return text
    if text in value_map:
        return value_map[text]
    if options.unmapped == "keep":
        return text
    if options.unmapped == "missing":
        return None
    known = ", ".join(sorted(value_map)[:12])
    more = ", ..." if len(value_map) > 12 else ""
    name = options.value_map_name
    raise ConversionProblem(f"unknown code {quoted_code(text)} (value map '{name}' has: {known}{more})")


#: characters no one sees, which break searching and matching a name (``Made\u200bup``
#: is not ``Madeup`` to a search, or to the Spine): a zero-width space, a word joiner, a
#: byte order mark mid-text, a soft hyphen
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))


def clean_text(text: str) -> str:
    """Text as it is shown and compared: composed (NFC: ``Siân`` written as ``a`` and a
    combining circumflex is the ``â`` a search finds) and without invisible characters
    (found by a trial of a new layout: both went into Patient.name unchanged)."""
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE)


def make_converter(spec: FieldSpec, options: ValueOptions) -> Converter:
    """The converter of one mapped column (missing values come back as None)."""
    kind = spec.kind
    markers = options.missing_values

    def convert(raw: object) -> JsonValue:
        if is_missing(raw, markers):
            return None
        if kind == "codes":
            return _codes(raw)
        if kind == "bool":
            return _bool(raw)
        text: str | None
        if kind == "int":
            if isinstance(raw, int) and not isinstance(raw, bool) and options.value_map is None:
                return raw
            text = _through_map(_scalar_text(raw), options)
            return None if text is None else _int(text)
        text = _through_map(_scalar_text(raw), options)
        if text is None or not text.strip():
            return None
        if kind == "text":
            return text if text.isascii() else clean_text(text)
        if kind == "date":
            return parse_date(text, options.date_formats, options.timezone, options.written_in).isoformat()
        if kind == "datetime":
            return parse_datetime(text, options.datetime_formats, options.timezone, options.written_in).isoformat()
        assert spec.codes is not None
        return _code(text, spec.codes)

    def _codes(raw: object) -> list[str] | None:
        assert spec.codes is not None
        if isinstance(raw, list):
            parts = [_scalar_text(item) for item in raw]
        else:
            parts = _scalar_text(raw).split(options.list_separator)
        values = []
        for part in parts:
            text = _through_map(part.strip(), options) if part.strip() else None
            if text is not None:
                values.append(_code(text, spec.codes))
        return values or None

    def _bool(raw: object) -> bool | None:
        if isinstance(raw, bool) and options.value_map is None:
            return raw
        text = _scalar_text(raw) if not isinstance(raw, bool) else str(raw).lower()
        if options.value_map is not None:
            mapped = _through_map(text, options)
            if mapped is None:
                return None
            if mapped not in ("true", "false"):
                raise ConversionProblem(f"not a yes/no value after the value map: {quoted_code(mapped)}")
            return mapped == "true"
        folded = text.casefold()
        if folded in options.true_values:
            return True
        if folded in options.false_values:
            return False
        yes = "/".join(sorted(options.true_values))
        no = "/".join(sorted(options.false_values))
        raise ConversionProblem(f"not a yes/no value (expected {yes} or {no})")

    def _int(text: str) -> int:
        text = text.strip()
        if text.isascii() and text.lstrip("+-").isdigit() and len(text) <= 18:
            return int(text)
        raise ConversionProblem("not a whole number")

    return convert
