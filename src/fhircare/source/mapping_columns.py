"""One column spec of a mapping file becomes a :class:`ColumnPlan`: where its raw value
comes from (a column, several, a template, a part of one, a hook) and how that value is
converted (formats, value map, missing markers). Problems go to the compiler's list."""

from __future__ import annotations

import difflib
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo

from fhircare.source.convert import (
    EXCEL_SERIAL,
    ConversionProblem,
    ValueOptions,
    is_missing,
    make_converter,
    strict_format,
)
from fhircare.source.hooks import find_hook, known_hooks
from fhircare.source.mapping_schema import ColumnPlan, ColumnSpec, RawReader, ReadOptions, RecordTypeSpec
from fhircare.source.records import FieldSpec
from fhircare.source.rows import lookup

#: reports one problem of the mapping file at a key path below the column's own
Report = Callable[[tuple[str, ...], str], None]


def suggest(word: str, known: list[str]) -> str:
    # a header written in another case (Patient_ID exported as PATIENT_ID) is far from the
    # name by difflib's measure: the fifth layout trial's file lacked all 22 columns, with
    # no hint of why
    same = next((k for k in known if k != word and k.casefold() == word.casefold()), None)
    if same is not None:
        return f" (did you mean '{same}'? names are matched exactly, case included)"
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def format_problem(fmt: str, kind: str) -> str | None:
    """Why a strftime/strptime format cannot read a date (or date and time), or None."""
    if fmt == EXCEL_SERIAL:
        return None
    sample = datetime(2024, 11, 19, 14, 35, 47, tzinfo=UTC)
    try:
        pattern, plain = strict_format(fmt)
        written = sample.strftime(fmt)
        if pattern.fullmatch(written) is None:
            return "is not a format fhircare can read exactly"
        parsed = datetime.strptime(written, plain)
    except ValueError as exc:
        return f"not a usable date format: {exc}"
    if parsed.date() != sample.date():
        return "does not hold a full date (day, month and year)"
    if kind == "datetime" and (parsed.hour, parsed.minute) != (14, 35):
        return "does not hold a time (hours and minutes)"
    return None


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _path(name: str) -> tuple[str, ...]:
    return tuple(name.split("."))


def template_columns(template: str) -> list[str] | None:
    """The columns a template names, in order (None: not a usable template)."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        return None


def _reader(spec: ColumnSpec, markers: frozenset[str]) -> tuple[RawReader, tuple[str, ...], str]:
    """How the raw value is read, the columns it reads, and how messages name them."""
    if spec.column is not None:
        path = _path(spec.column)
        return (lambda values: lookup(values, path)), (spec.column,), spec.column
    if spec.columns is not None:
        paths = [_path(c) for c in spec.columns]
        join = spec.join

        def several(values: Mapping[str, object]) -> object:
            found = [lookup(values, p) for p in paths]
            filled = [v for v in found if not is_missing(v, markers)]
            if join is None:
                return filled[0] if filled else None
            texts = [t for t in (_text(v) for v in filled) if t]
            return join.join(texts) if texts else None

        return several, tuple(spec.columns), (" + " if join is not None else " or ").join(spec.columns)
    assert spec.template is not None
    pieces = list(string.Formatter().parse(spec.template))
    names = tuple(name for _, name, _, _ in pieces if name is not None)

    def templated(values: Mapping[str, object]) -> object:
        out = []
        for literal, name, _, _ in pieces:
            out.append(literal)
            if name is not None:
                text = _text(lookup(values, _path(name)))
                if text is None or is_missing(text, markers):
                    return None
                out.append(text)
        return "".join(out)

    return templated, names, spec.template


def _part(base: RawReader, separator: str, part: str, markers: frozenset[str]) -> RawReader:
    rest = part.endswith(":")
    index = int(part.rstrip(":"))
    index = index - 1 if index > 0 else index

    def read(values: Mapping[str, object]) -> object:
        value = base(values)
        text = _text(value)
        if text is None or is_missing(text, markers):
            return None
        pieces = [p.strip() for p in text.split(separator) if p.strip()]
        if rest:
            chosen = pieces[index:]
            return separator.join(chosen) if chosen else None
        try:
            return pieces[index]
        except IndexError:
            return None

    return read


def _hooked(base: RawReader, name: str, hook: Callable[[object, Mapping[str, object]], object]) -> RawReader:
    def read(values: Mapping[str, object]) -> object:
        value = base(values)
        try:
            return hook(value, values)
        except Exception as exc:  # a trust's code: its failure is a problem on the row
            raise ConversionProblem(f"hook '{name}' failed ({type(exc).__name__})") from None

    return read


def column_plan(
    report: Report,
    field_spec: FieldSpec,
    spec: RecordTypeSpec,
    column: ColumnSpec,
    options: ValueOptions,
) -> ColumnPlan | None:
    """The plan of one column spec (None after reporting its problems)."""
    ok = True
    if column.template is not None:
        names = template_columns(column.template)
        if not names:
            report(("template",), "a template names at least one column in braces, e.g. '{REFERRAL_ID}-lead'")
            ok = False
    hook = None
    if column.hook is not None:
        hook = find_hook(column.hook)
        if hook is None:
            report(("hook",), f"unknown hook '{column.hook}'" + suggest(column.hook, known_hooks()))
            ok = False
    if not ok:
        return None
    read, columns, source = _reader(column, options.missing_values)
    if column.split is not None and column.part is not None:
        read = _part(read, column.split, column.part, options.missing_values)
        source = f"{source} (part {column.part})"
    if hook is not None and column.hook is not None:
        read = _hooked(read, column.hook, hook)
    simple = _path(column.column) if column.column is not None and column.split is None and hook is None else None
    return ColumnPlan(field_spec, source, options, make_converter(field_spec, options), columns, read, column, simple)


def value_options(
    read: ReadOptions,
    spec: RecordTypeSpec,
    field_spec: FieldSpec,
    column: ColumnSpec | None,
    value_map: Mapping[str, str | None] | None,
    map_name: str | None,
    timezone: tzinfo,
    written_in: tzinfo | None = None,
) -> ValueOptions:
    formats = column.formats if column is not None else None
    markers = (
        (column.missing_values if column is not None else None) or spec.missing_values or read.missing_values or []
    )
    return ValueOptions(
        date_formats=tuple((formats if field_spec.kind == "date" else None) or spec.date_formats or read.date_formats),
        datetime_formats=tuple(
            (formats if field_spec.kind == "datetime" else None) or spec.datetime_formats or read.datetime_formats
        ),
        timezone=timezone,
        list_separator=(column.separator if column is not None else None) or read.list_separator,
        true_values=frozenset(v.casefold() for v in read.true_values),
        false_values=frozenset(v.casefold() for v in read.false_values),
        value_map=value_map,
        value_map_name=map_name,
        unmapped=column.unmapped if column is not None else "error",
        missing_values=frozenset(m.strip() for m in markers),
        written_in=written_in,
    )


def target_problem(field_spec: FieldSpec, target: str | None) -> str | None:
    """Why a value map target cannot be a value of the field, or None."""
    if target is None:
        return None  # null: the value is missing
    kind = field_spec.kind
    if kind == "bool":
        return None if target in ("true", "false") else f"'{target}' is not true or false"
    if kind == "int":
        ok = target.lstrip("+-").isdigit() and target.isascii()
        return None if ok else f"'{target}' is not a whole number"
    if kind in ("code", "codes"):
        assert field_spec.codes is not None
        codes = [m.value for m in field_spec.codes]
        if target in codes:
            return None
        return f"'{target}' is not a {field_spec.name} code" + suggest(target, codes)
    if kind == "text":
        return None if target.strip() else "a value map target is not blank (use null for missing)"
    return f"value maps do not apply to {kind} fields"
