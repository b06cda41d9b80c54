"""Turning one raw value of a trust's row into a canonical field value.

A converter takes what a CSV cell (a string) or a JSON Lines value (string, number,
boolean, list) holds and returns the field's value in JSON form — ISO dates, code
strings, numbers — ready to be stored and validated by the model, or raises
:class:`ConversionProblem` with a reason a person can act on. Reasons name formats and
codes but never echo a value that could be personal data: only unknown codes are quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum

from fhircare.source.records import FieldSpec

#: a converted value, JSON-ready (None: the value is missing)
JsonValue = str | int | bool | list[str] | None
Converter = Callable[[object], JsonValue]

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_QUOTED = 40


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
    #: local code → canonical code, or None to expect canonical codes
    value_map: Mapping[str, str] | None = None
    value_map_name: str | None = None


def quoted(value: str) -> str:
    """A code as it appears in a message: quoted, shortened, control characters escaped."""
    text = value if len(value) <= _MAX_QUOTED else value[: _MAX_QUOTED - 1] + "…"
    return repr(text)


def is_missing(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, list) and not raw


def _scalar_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
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


def parse_date(text: str, formats: Sequence[str]) -> date:
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
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ConversionProblem(f"not a date in the format {_formats(formats)}")


def parse_datetime(text: str, formats: Sequence[str], zone: tzinfo) -> datetime:
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
    raise ConversionProblem(f"not a date and time in the format {_formats(formats)}")


def _formats(formats: Sequence[str]) -> str:
    return " or ".join(formats)


def _code(text: str, codes: type[StrEnum], options: ValueOptions) -> str:
    if options.value_map is not None:
        found = options.value_map.get(text)
        if found is None:
            known = ", ".join(sorted(options.value_map)[:12])
            more = ", ..." if len(options.value_map) > 12 else ""
            raise ConversionProblem(
                f"unknown code {quoted(text)} (value map '{options.value_map_name}' has: {known}{more})"
            )
        return found
    try:
        return codes(text).value
    except ValueError:
        known = ", ".join(m.value for m in list(codes)[:12])
        more = ", ..." if len(codes) > 12 else ""
        raise ConversionProblem(f"unknown code {quoted(text)} (expected one of: {known}{more})") from None


def make_converter(spec: FieldSpec, options: ValueOptions) -> Converter:
    """The converter of one mapped column (missing values come back as None)."""
    kind = spec.kind

    def convert(raw: object) -> JsonValue:
        if is_missing(raw):
            return None
        if kind == "codes":
            return _codes(raw)
        if kind == "bool":
            return _bool(raw)
        if kind == "int":
            return _int(raw)
        text = _scalar_text(raw)
        if kind == "text":
            return text
        if kind == "date":
            return parse_date(text, options.date_formats).isoformat()
        if kind == "datetime":
            return parse_datetime(text, options.datetime_formats, options.timezone).isoformat()
        assert spec.codes is not None
        return _code(text, spec.codes, options)

    def _codes(raw: object) -> list[str] | None:
        assert spec.codes is not None
        if isinstance(raw, list):
            parts = [_scalar_text(item) for item in raw]
        else:
            parts = _scalar_text(raw).split(options.list_separator)
        values = [_code(part.strip(), spec.codes, options) for part in parts if part.strip()]
        return values or None

    def _bool(raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        text = _scalar_text(raw)
        if options.value_map is not None:
            mapped = options.value_map.get(text)
            if mapped is None:
                raise ConversionProblem(f"unknown code {quoted(text)} (value map '{options.value_map_name}')")
            return mapped == "true"
        folded = text.casefold()
        if folded in options.true_values:
            return True
        if folded in options.false_values:
            return False
        yes = "/".join(sorted(options.true_values))
        no = "/".join(sorted(options.false_values))
        raise ConversionProblem(f"not a yes/no value (expected {yes} or {no})")

    def _int(raw: object) -> int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        text = raw.strip() if isinstance(raw, str) else ""
        if text.isascii() and text.lstrip("+-").isdigit() and len(text) <= 18:
            return int(text)
        raise ConversionProblem("not a whole number")

    return convert
