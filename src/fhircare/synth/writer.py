"""Writing canonical records as an extract in a mapping file's layout: the readers'
inverse. Each field goes to its column in the first of its date formats, through the
reverse of its value map; fields the layout has no column for must equal the layout's
default, so that reading the extract back gives exactly the records written.

Files are named by their pattern with ``*`` replaced by the extract date stamp, and
written as rows come (streaming); each write returns the file and line it went to.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import BaseModel

from fhircare.source.dialog import DialogAssessment, DialogRating
from fhircare.source.mapping_file import ColumnPlan, RecordPlan, TrustMapping
from fhircare.source.records import DIALOG_WIDE_FIELDS
from fhircare.source.rows import codec_is_utf8

#: a change made to one row before it is written (fault injection); returns the column
RowEdit = Callable[[dict[str, Any], RecordPlan], str]
_WIDE = {spec.name for spec in DIALOG_WIDE_FIELDS}


class LayoutError(ValueError):
    """The layout cannot carry a record as it is (a missing column or code)."""


@dataclass(frozen=True)
class Written:
    file: str
    line: int
    column: str | None = None


@dataclass
class _OutFile:
    name: str
    plans: list[RecordPlan]
    handle: IO[bytes]
    columns: list[str] = field(default_factory=list)
    lines: int = 0
    rows: int = 0


def canonical_json(value: object) -> object:
    """A field value in the JSON form defaults are held in."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [canonical_json(v) for v in value]
    return value


class LayoutWriter:
    def __init__(self, mapping: TrustMapping, out_dir: Path, stamp: str) -> None:
        self.mapping = mapping
        self.out_dir = out_dir
        self.stamp = stamp
        self._files: dict[str, _OutFile] = {}
        self._reverse: dict[int, dict[str, str]] = {}
        self._unmapped_cache: dict[str, list[tuple[str, object]]] = {}

    def file_name(self, pattern: str) -> str:
        if any(char in pattern for char in "?[]"):
            raise LayoutError(f"cannot name a file for the pattern {pattern!r} (only * is filled in)")
        return pattern.replace("*", self.stamp)

    # --- records -------------------------------------------------------------------------

    def write(self, rtype: str, model: BaseModel, su_id: str | None, edit: RowEdit | None = None) -> list[Written]:
        """Write one record (and, for DIALOG in long form, its ratings' rows)."""
        plan = self.mapping.records.get(rtype)
        if plan is None:
            raise LayoutError(f"the layout has no record type {rtype}")
        out = [self._write_row(plan, self._row(plan, lambda name: self._value(model, name, su_id)), edit)]
        if isinstance(model, DialogAssessment) and model.ratings and not self._has_wide(plan):
            rating_plan = self.mapping.records.get("dialog_rating")
            if rating_plan is None:
                raise LayoutError("the layout has neither DIALOG rating columns nor a dialog_rating record type")
            for rating in model.ratings:
                values = self._row(rating_plan, _rating_values(rating, model, su_id))
                out.append(self._write_row(rating_plan, values, None))
        return out

    def _has_wide(self, plan: RecordPlan) -> bool:
        return any(c.field.name in _WIDE for c in plan.columns)

    def _value(self, model: BaseModel, name: str, su_id: str | None) -> object:
        if name == "service_user_id" and not hasattr(model, name):
            return su_id
        if name in _WIDE:
            assert isinstance(model, DialogAssessment)
            part, item = name.split(".", 1)
            rating = next((r for r in model.ratings if r.item.value == item), None)
            return getattr(rating, part) if rating is not None else None
        return getattr(model, name)

    def _unmapped(self, plan: RecordPlan) -> list[tuple[str, object]]:
        """The stored fields the layout has no column for, each with the value it reads as."""
        found = self._unmapped_cache.get(plan.record_type.name)
        if found is None:
            rt, mapped = plan.record_type, {c.field.name for c in plan.columns}
            found = []
            for name, spec in rt.fields.items():
                if name in mapped or not spec.stored or name in _WIDE:
                    continue
                expected: object = plan.defaults.get(name)
                if expected is None and name in rt.model.model_fields:
                    expected = canonical_json(rt.model.model_fields[name].default)
                found.append((name, expected))
            self._unmapped_cache[plan.record_type.name] = found
        return found

    def _row(self, plan: RecordPlan, value_of: Callable[[str], object]) -> dict[str, Any]:
        for name, expected in self._unmapped(plan):
            value = canonical_json(value_of(name))
            if value != expected:
                raise LayoutError(
                    f"{plan.record_type.name}.{name}: the layout has no column for it and its default is not {value!r}"
                )
        row: dict[str, Any] = {}
        for column in plan.columns:
            row[column.source] = self._render(plan, column, value_of(column.field.name))
        for key, values in plan.where.items():
            row[key] = sorted(values)[0]
        return row

    def _render(self, plan: RecordPlan, column: ColumnPlan, value: object) -> Any:
        if value is None or value == ():
            return None
        options, kind, csv_format = column.options, column.field.kind, plan.format == "csv"
        if kind == "codes":
            assert isinstance(value, tuple)
            codes = [self._code(column, v) for v in value]
            return options.list_separator.join(codes) if csv_format else codes
        if kind == "code":
            return self._code(column, value)
        if kind == "bool":
            if options.value_map is not None:
                return self._code(column, "true" if value else "false")
            if not csv_format:
                return value
            read = self.mapping.read
            return read.true_values[0] if value else read.false_values[0]
        if kind == "int":
            return str(value) if csv_format else value
        if kind == "date":
            assert isinstance(value, date)
            return value.strftime(options.date_formats[0])
        if kind == "datetime":
            assert isinstance(value, datetime)
            fmt = options.datetime_formats[0]
            local = value.astimezone(options.timezone)
            return local.strftime(fmt) if "%z" in fmt else local.replace(tzinfo=None).strftime(fmt)
        return value

    def _code(self, column: ColumnPlan, value: object) -> str:
        code = value.value if isinstance(value, StrEnum) else str(value)
        value_map = column.options.value_map
        if value_map is None:
            return code
        reverse = self._reverse.get(id(value_map))
        if reverse is None:
            reverse = {}
            for local, canonical in value_map.items():
                if canonical is not None:
                    reverse.setdefault(canonical, local)
            self._reverse[id(value_map)] = reverse
        local_code = reverse.get(code)
        if local_code is None:
            raise LayoutError(f"value map '{column.options.value_map_name}' has no local code for {code!r}")
        return local_code

    # --- files ----------------------------------------------------------------------------

    def _file(self, plan: RecordPlan) -> _OutFile:
        out = self._files.get(plan.file)
        if out is not None:
            return out
        name = self.file_name(plan.file)
        path = self.out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        plans = self.mapping.files()[plan.file]
        out = _OutFile(name, plans, path.open("wb"))
        if plan.format == "csv":
            out.columns = list(dict.fromkeys(c for p in plans for c in [*(x.source for x in p.columns), *p.where]))
            self._emit(out, self._csv_line(plan, out.columns), bom=plan.encoding.lower() in ("utf-8-sig", "utf_8_sig"))
        self._files[plan.file] = out
        return out

    def _csv_line(self, plan: RecordPlan, cells: list[str]) -> str:
        buffer = io.StringIO()
        options = plan.file_format
        csv.writer(buffer, delimiter=options.delimiter, quotechar=options.quotechar, lineterminator="\r\n").writerow(
            cells
        )
        return buffer.getvalue()

    def _emit(self, out: _OutFile, text: str, bom: bool = False) -> None:
        encoding = out.plans[0].encoding
        data = text.encode("utf-8" if codec_is_utf8(encoding) else encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
        out.handle.write(data)
        out.lines += text.count("\n")

    def _write_row(self, plan: RecordPlan, row: dict[str, Any], edit: RowEdit | None) -> Written:
        out = self._file(plan)
        column = edit(row, plan) if edit is not None else None
        line = out.lines + 1
        if plan.format == "csv":
            cells = ["" if row.get(c) is None else str(row[c]) for c in out.columns]
            self._emit(out, self._csv_line(plan, cells))
        else:
            self._emit(out, orjson.dumps(_nest(row), option=orjson.OPT_SORT_KEYS).decode() + "\n")
        out.rows += 1
        return Written(out.name, line, column)

    def counts(self) -> dict[str, int]:
        """Rows written per file (every file of the layout, empty ones included)."""
        return {out.name: out.rows for out in sorted(self._files.values(), key=lambda o: o.name)}

    def close(self) -> None:
        for plans in self.mapping.files().values():
            self._file(plans[0])  # every file exists, if only with its header
        for out in self._files.values():
            out.handle.close()


def _rating_values(rating: DialogRating, parent: DialogAssessment, su_id: str | None) -> Callable[[str], object]:
    """The field values of one rating's own row (long form)."""

    def value(name: str) -> object:
        if name == "dialog_assessment_id":
            return parent.dialog_assessment_id
        if name == "service_user_id":
            return su_id
        return getattr(rating, name)

    return value


def _nest(row: dict[str, Any]) -> dict[str, Any]:
    """Dotted key paths as nested JSON objects (absent values left out)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None:
            continue
        target = out
        *parents, last = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return out
