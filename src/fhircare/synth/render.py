"""One record's fields as the cells of one source's row, and the proof that reading
those cells back through the same source gives the same fields.

Rendering is the reverse of each column spec (a value map in reverse, the first of a
field's formats, a template filled in, split parts joined, the first of several
columns); it is naive on purpose, because every row is then read back with the reader's
own code (:func:`~fhircare.source.row_loading.convert_row`) and compared with the
record: a layout that cannot carry a value (a given name with a space where forenames
are split on spaces, a tab in a tab-separated file without quoting, a code with no local
code) is found here, never written wrong.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from fhircare.source.convert import format_date
from fhircare.source.mapping_schema import ColumnPlan, RecordPlan
from fhircare.source.records import DIALOG_WIDE_FIELDS, FieldSpec
from fhircare.source.row_loading import convert_row, takes

#: a record's value for a canonical field (the record's own type, not JSON)
ValueOf = Callable[[str], object]
WIDE = frozenset(spec.name for spec in DIALOG_WIDE_FIELDS)


class Unwritable(Exception):
    """This source cannot carry this record as it is (the reason says why)."""


def canonical_json(value: object) -> object:
    """A field value in the JSON form the reader gives (and defaults are held in)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [canonical_json(v) for v in value] or None
    return value


def same(spec: FieldSpec, expected: object, found: object) -> bool:
    """Whether a value read back equals the record's (instants compared as instants)."""
    if spec.kind == "datetime" and isinstance(expected, str) and isinstance(found, str):
        return datetime.fromisoformat(expected) == datetime.fromisoformat(found)
    return expected == found


class _Reverse:
    """Value maps in reverse (canonical → the first local value listed for it)."""

    def __init__(self) -> None:
        self._maps: dict[int, dict[str, str]] = {}

    def local(self, column: ColumnPlan, canonical: str) -> str:
        options = column.options
        value_map = options.value_map
        if value_map is None:
            return canonical
        reverse = self._maps.get(id(value_map))
        if reverse is None:
            reverse = {}
            for local, target in value_map.items():
                if target is not None:
                    reverse.setdefault(target, local)
            self._maps[id(value_map)] = reverse
        found = reverse.get(canonical)
        if found is not None:
            return found
        if options.unmapped == "keep" and canonical not in value_map:
            return canonical
        raise Unwritable(f"value map '{options.value_map_name}' has no local code for {canonical!r}")


class Renderer:
    def __init__(self, true_value: str, false_value: str) -> None:
        self._reverse = _Reverse()
        self._true = true_value
        self._false = false_value

    def cell_value(self, plan: RecordPlan, column: ColumnPlan, value: object) -> object:
        """A field's value as its column holds it (before templates and parts)."""
        if value is None or value == ():
            return None
        kind, options, csv_file = column.field.kind, column.options, plan.format == "csv"
        if kind == "codes":
            assert isinstance(value, tuple)
            codes = [self._reverse.local(column, canonical_json(v)) for v in value]  # type: ignore[arg-type]
            return options.list_separator.join(codes) if csv_file else codes
        if kind == "code":
            return self._reverse.local(column, str(canonical_json(value)))
        if kind == "bool":
            if options.value_map is not None:
                return self._reverse.local(column, "true" if value else "false")
            if not csv_file:
                return value
            return self._true if value else self._false
        if kind == "int":
            if options.value_map is not None:
                return self._reverse.local(column, str(value))
            return str(value) if csv_file else value
        if kind == "date":
            assert isinstance(value, date)
            return format_date(value, options.date_formats[0])
        if kind == "datetime":
            assert isinstance(value, datetime)
            fmt = options.datetime_formats[0]
            local = value.astimezone(options.timezone)
            return local.strftime(fmt) if "%z" in fmt else format_date(local.replace(tzinfo=None), fmt)
        text = str(value)
        return self._reverse.local(column, text) if options.value_map is not None else text

    def render(self, plan: RecordPlan, value_of: ValueOf, fields: set[str] | None = None) -> dict[str, Any]:
        """The cells of ``plan``'s row for a record (only ``fields``, when given)."""
        whole: dict[str, object] = {}
        parts: dict[str, list[tuple[str, str]]] = {}

        def propose(column: str, value: object) -> None:
            if column in whole and whole[column] != value:
                raise Unwritable(f"the column {column} would need two values")
            whole[column] = value

        for column in plan.columns:
            name = column.field.name
            if fields is not None and name not in fields:
                continue
            value = self.cell_value(plan, column, value_of(name))
            if value is None:
                continue
            spec = column.spec
            if spec.template is not None:
                for key, piece in _fill_template(spec.template, str(value)).items():
                    propose(key, piece)
            elif spec.columns is not None:
                propose(spec.columns[0], value)
            elif spec.split is not None and spec.part is not None:
                assert spec.column is not None
                parts.setdefault(spec.column, []).append((spec.part, str(value)))
            else:
                assert spec.column is not None
                propose(spec.column, value)
        for split_column, pieces in parts.items():
            if split_column in whole:
                raise Unwritable(f"the column {split_column} is both whole and split")
            whole[split_column] = _join_parts(split_column, pieces, _separator(plan, split_column))
        for key, values in plan.where.items():
            wanted = sorted(values)[0]
            if key in whole and str(whole[key]) not in values:
                raise Unwritable(f"the column {key} cannot hold both a value and what where needs")
            whole.setdefault(key, wanted)
        if plan.format == "csv":
            for key, value in whole.items():
                _check_cell(plan, key, value)
        return whole

    def check(self, plan: RecordPlan, cells: Mapping[str, object], expected: Mapping[str, object]) -> None:
        """Unwritable unless ``plan`` takes the row and reads ``expected`` from it (every
        field it maps: the expected value, or nothing when none is expected)."""
        values = dict(cells)
        if not takes(plan, values):
            raise Unwritable("the source would not take the row (where, when_filled)")
        data, problems = convert_row(plan, values)
        if problems:
            _, field_name, reason = problems[0]
            raise Unwritable(f"{field_name} would read back as a problem ({reason})")
        for column in plan.columns:
            name = column.field.name
            want = expected.get(name)
            got = data.get(name)
            if want is None and got is None:
                continue
            if want is None or got is None or not same(column.field, want, got):
                raise Unwritable(f"{name} would read back differently")


def _separator(plan: RecordPlan, column: str) -> str:
    spec = next(c.spec for c in plan.columns if c.spec.column == column and c.spec.split is not None)
    assert spec.split is not None
    return spec.split


def _join_parts(column: str, pieces: list[tuple[str, str]], separator: str) -> str:
    """Split parts ("1", "2", "2:") joined back into one cell."""
    by_index: dict[int, str] = {}
    for part, text in pieces:
        index = int(part.rstrip(":"))
        if index < 1:
            raise Unwritable(f"the column {column} is split from its end")
        by_index[index] = text
    if sorted(by_index) != list(range(1, len(by_index) + 1)):
        raise Unwritable(f"the column {column} would miss a part")
    return separator.join(by_index[i] for i in sorted(by_index))


def _fill_template(template: str, value: str) -> dict[str, str]:
    """The columns a template's value came from (Unwritable if it does not fit)."""
    pattern: list[str] = []
    names: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        pattern.append(re.escape(literal))
        if name is not None:
            if name in names:
                pattern.append(f"(?P=c{names.index(name)})")
            else:
                pattern.append(f"(?P<c{len(names)}>.+?)")
                names.append(name)
    found = re.fullmatch("".join(pattern), value)
    if found is None:
        raise Unwritable(f"{value!r} does not fit the template {template!r}")
    return {name: found[f"c{i}"] for i, name in enumerate(names)}


def _check_cell(plan: RecordPlan, column: str, value: object) -> None:
    text = value if isinstance(value, str) else str(value)
    fmt = plan.file_format
    if fmt.quoting == "none" and (fmt.delimiter in text or "\n" in text or "\r" in text):
        raise Unwritable(f"{column}: a tab, delimiter or line end cannot be written without quoting")
    if text != text.strip():
        raise Unwritable(f"{column}: a value with spaces around it reads back without them")
    try:
        text.encode(fmt.encoding)
    except UnicodeEncodeError:
        raise Unwritable(f"{column}: a character {fmt.encoding} cannot hold") from None
