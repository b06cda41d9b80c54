"""Writing canonical records as an extract in a mapping file's layout: the readers'
inverse, for any layout a mapping file can describe.

Each record goes to the first of its record type's sources that can carry it whole —
proved by reading the row back (:mod:`fhircare.synth.render`) — or, when none can, is
split across several sources (DIALOG "more help" on a row of its own), which the reader
merges back by id. A row of a file several sources read is shared when the layout puts
records side by side (the current lead on the referral row): a record joins an existing
row of its service user when the row, read whole, then gives exactly the records placed
on it plus this one. Files are named by their pattern with ``*`` replaced by the extract
date stamp; a service user's rows are written together, and each write returns the file
and line it went to.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import BaseModel

from fhircare.source.dialog import DialogAssessment, DialogRating
from fhircare.source.mapping_file import RecordPlan, TrustMapping
from fhircare.source.row_loading import convert_row, takes
from fhircare.source.rows import codec_is_utf8
from fhircare.synth.render import WIDE, Renderer, Unwritable, ValueOf, canonical_json, same

__all__ = ["LayoutError", "LayoutWriter", "RowEdit", "Written", "canonical_json"]

#: a change made to one row before it is written (fault injection); returns the column
RowEdit = Callable[[dict[str, Any], RecordPlan], str]


class LayoutError(ValueError):
    """The layout cannot carry a record as it is (a missing column or code, ...)."""


@dataclass(frozen=True)
class Written:
    file: str
    line: int
    column: str | None = None


@dataclass
class _Row:
    cells: dict[str, Any]
    #: (source, what the source must read from the row) for each record placed on it
    placed: list[tuple[RecordPlan, dict[str, object]]]
    line: int


@dataclass
class _OutFile:
    name: str
    plans: list[RecordPlan]
    handle: IO[bytes]
    path: Path
    columns: list[str] = field(default_factory=list)
    #: lines reserved so far (preamble, header, rows placed)
    lines: int = 0
    rows: int = 0
    pending: list[_Row] = field(default_factory=list)
    #: the body is written apart and the preamble (which counts rows) put before it at the end
    deferred: bool = False


class LayoutWriter:
    def __init__(self, mapping: TrustMapping, out_dir: Path, stamp: str) -> None:
        self.mapping = mapping
        self.out_dir = out_dir
        self.stamp = stamp
        self._files: dict[str, _OutFile] = {}
        self._renderer = Renderer(mapping.read.true_values[0], mapping.read.false_values[0])
        self._group: str | None = None

    def file_name(self, pattern: str) -> str:
        if any(char in pattern for char in "?[]"):
            raise LayoutError(f"cannot name a file for the pattern {pattern!r} (only * is filled in)")
        return pattern.replace("*", self.stamp)

    # --- records -------------------------------------------------------------------------

    def write(self, rtype: str, model: BaseModel, su_id: str | None, edit: RowEdit | None = None) -> list[Written]:
        """Write one record (and, for DIALOG in long form, its ratings' rows)."""
        if su_id != self._group:
            self.flush()
            self._group = su_id
        plans = self.mapping.sources.get(rtype)
        if not plans:
            raise LayoutError(f"the layout has no record type {rtype}")

        def value_of(name: str) -> object:
            return _value(model, name, su_id)

        out = [self._place(rtype, plans, value_of, edit)]
        if isinstance(model, DialogAssessment) and model.ratings and not _has_wide(plans):
            rating_plans = self.mapping.sources.get("dialog_rating")
            if not rating_plans:
                raise LayoutError("the layout has neither DIALOG rating columns nor a dialog_rating record type")
            for rating in model.ratings:
                out.append(self._place("dialog_rating", rating_plans, _rating_values(rating, model, su_id), None))
        return out

    def _place(self, rtype: str, plans: tuple[RecordPlan, ...], value_of: ValueOf, edit: RowEdit | None) -> Written:
        reasons = []
        for plan in plans:
            try:
                self._check_unmapped(plan, value_of)
                cells = self._renderer.render(plan, value_of)
                expected = {c.field.name: canonical_json(value_of(c.field.name)) for c in plan.columns}
                return self._put(plan, cells, expected, edit)
            except Unwritable as exc:
                reasons.append(f"{plan.file}: {exc}")
        if len(plans) > 1:
            try:
                return self._put_in_parts(plans, value_of)
            except Unwritable as exc:
                reasons.append(f"in parts: {exc}")
        raise LayoutError(f"{rtype}: the layout cannot carry this record ({'; '.join(reasons)})")

    def _check_unmapped(self, plan: RecordPlan, value_of: ValueOf) -> None:
        """Fields the source has no column for must be what reading gives without one."""
        rt, mapped = plan.record_type, {c.field.name for c in plan.columns}
        for name, spec in rt.fields.items():
            if name in mapped or not spec.stored or name in WIDE:
                continue
            if not _same_as_absent(plan, name, value_of(name)):
                raise Unwritable(f"no column for {name} and its value is not the default")

    def _put_in_parts(self, plans: tuple[RecordPlan, ...], value_of: ValueOf) -> Written:
        """A record split across its sources, each part carrying what the earlier ones
        did not (the reader merges parts of one id)."""
        rt = plans[0].record_type
        always = {*rt.key, "service_user_id", *(rt.parent[1:] if rt.parent else ())}
        remaining = {
            name
            for name, spec in rt.fields.items()
            if spec.stored and name not in always and not _same_as_absent(plans[0], name, value_of(name), model=True)
        }
        first: Written | None = None
        merged: dict[str, object] = {}
        for plan in plans:
            mapped = {c.field.name for c in plan.columns}
            share = remaining & mapped
            if not share:
                continue
            cells = self._renderer.render(plan, value_of, fields=share | always)
            expected = {name: canonical_json(value_of(name)) for name in share | (always & mapped)}
            written = self._put(plan, cells, expected, None)
            first = first or written
            data, _ = convert_row(plan, cells)
            for name, value in data.items():
                if name in merged and merged[name] != value:
                    raise Unwritable(f"the parts would give {name} twice")
                merged[name] = value
            remaining -= share
        if remaining or first is None:
            raise Unwritable(f"no source has a column for {', '.join(sorted(remaining)) or 'it'}")
        return first

    def _put(
        self, plan: RecordPlan, cells: dict[str, Any], expected: dict[str, object], edit: RowEdit | None
    ) -> Written:
        """The row goes on a new line if it reads as this record alone, else on a row of
        the same service user it completes."""
        out = self._file(plan)
        row = _Row(dict(cells), [(plan, expected)], 0)
        if self._reads_as_placed(out, row):
            out.lines += 1
            row.line = out.lines
            out.pending.append(row)
            return Written(out.name, row.line, edit(row.cells, plan) if edit is not None else None)
        for existing in out.pending:
            merged = dict(existing.cells)
            if any(key in merged and merged[key] != value for key, value in cells.items()):
                continue
            merged.update(cells)
            candidate = _Row(merged, [*existing.placed, (plan, expected)], existing.line)
            if self._reads_as_placed(out, candidate):
                existing.cells, existing.placed = candidate.cells, candidate.placed
                return Written(out.name, existing.line, edit(existing.cells, plan) if edit is not None else None)
        raise Unwritable("the row would also be read as another record, and no row of this service user takes it")

    def _reads_as_placed(self, out: _OutFile, row: _Row) -> bool:
        """Whether reading the row through every source of its file gives exactly the
        records placed on it."""
        placed = {id(plan): expected for plan, expected in row.placed}
        for plan in out.plans:
            taken = takes(plan, row.cells)
            if taken != (id(plan) in placed):
                return False
            if taken:
                try:
                    self._renderer.check(plan, row.cells, placed[id(plan)])
                except Unwritable:
                    return False
        return True

    # --- files ----------------------------------------------------------------------------

    def _file(self, plan: RecordPlan) -> _OutFile:
        out = self._files.get(plan.file)
        if out is not None:
            return out
        name = self.file_name(plan.file)
        path = self.out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        plans = self.mapping.files()[plan.file]
        fmt = plan.file_format
        deferred = fmt.preamble is not None and fmt.preamble.counts_rows
        target = path.with_name(f".{path.name}.body") if deferred else path
        out = _OutFile(name, plans, target.open("wb"), path, deferred=deferred)
        if plan.format == "csv":
            out.columns = list(dict.fromkeys(c for p in plans for c in p.columns_read()))
            if fmt.preamble is not None:
                out.lines += 1
                if not deferred:
                    self._emit(out, fmt.preamble.render(0, self.stamp) + "\r\n", bom=True)
            out.lines += 1
            if not deferred:
                self._emit(out, self._csv_line(plan, out.columns), bom=fmt.preamble is None)
        self._files[plan.file] = out
        return out

    def _csv_line(self, plan: RecordPlan, cells: list[str]) -> str:
        buffer = io.StringIO()
        fmt = plan.file_format
        if fmt.quoting == "none":
            # quotes are just characters in such a file (a name holding '"'): the csv module
            # refuses to write one unless told it quotes nothing (found by a property test)
            writer = csv.writer(
                buffer, delimiter=fmt.delimiter, quoting=csv.QUOTE_NONE, quotechar=None, lineterminator="\r\n"
            )
        else:
            writer = csv.writer(buffer, delimiter=fmt.delimiter, quotechar=fmt.quotechar, lineterminator="\r\n")
        writer.writerow(cells)
        return buffer.getvalue()

    def _encode(self, out: _OutFile, text: str, bom: bool = False) -> bytes:
        encoding = out.plans[0].encoding
        data = text.encode("utf-8" if codec_is_utf8(encoding) else encoding)
        if bom and encoding.lower().replace("_", "-") == "utf-8-sig":
            data = b"\xef\xbb\xbf" + data
        return data

    def _emit(self, out: _OutFile, text: str, bom: bool = False) -> None:
        out.handle.write(self._encode(out, text, bom))

    def flush(self) -> None:
        """Write the rows held for the current service user (or the directory)."""
        for out in self._files.values():
            plan = out.plans[0]
            for row in out.pending:
                if plan.format == "csv":
                    cells = ["" if row.cells.get(c) is None else str(row.cells[c]) for c in out.columns]
                    self._emit(out, self._csv_line(plan, cells))
                else:
                    self._emit(out, orjson.dumps(_nest(row.cells), option=orjson.OPT_SORT_KEYS).decode() + "\n")
                out.rows += 1
            out.pending.clear()

    def counts(self) -> dict[str, int]:
        """Rows written per file (every file of the layout, empty ones included)."""
        return {out.name: out.rows for out in sorted(self._files.values(), key=lambda o: o.name)}

    def close(self) -> None:
        self.flush()
        for plans in self.mapping.files().values():
            self._file(plans[0])  # every file exists, if only with its header
        for out in self._files.values():
            fmt = out.plans[0].file_format
            if fmt.trailer is not None:
                self._emit(out, fmt.trailer.render(out.rows, self.stamp) + "\r\n")
            out.handle.close()
            if out.deferred:
                assert fmt.preamble is not None
                body = out.handle.name
                with out.path.open("wb") as final:
                    final.write(self._encode(out, fmt.preamble.render(out.rows, self.stamp) + "\r\n", bom=True))
                    final.write(self._encode(out, self._csv_line(out.plans[0], out.columns)))
                    final.write(Path(str(body)).read_bytes())
                Path(str(body)).unlink()


def _has_wide(plans: tuple[RecordPlan, ...]) -> bool:
    return any(c.field.name in WIDE for plan in plans for c in plan.columns)


def _value(model: BaseModel, name: str, su_id: str | None) -> object:
    if name == "service_user_id" and not hasattr(model, name):
        return su_id
    if name in WIDE:
        assert isinstance(model, DialogAssessment)
        part, item = name.split(".", 1)
        rating = next((r for r in model.ratings if r.item.value == item), None)
        return getattr(rating, part) if rating is not None else None
    return getattr(model, name)


def _same_as_absent(plan: RecordPlan, name: str, value: object, model: bool = False) -> bool:
    """Whether a field's value is what reading gives when nothing carries it."""
    rt = plan.record_type
    expected: object = None if model else plan.defaults.get(name)
    if expected is None and name in rt.model.model_fields:
        expected = canonical_json(rt.model.model_fields[name].default)
    found = canonical_json(value)
    if expected in ((), []):
        expected = None
    return same(rt.fields[name], expected, found) if found is not None and expected is not None else expected == found


def _rating_values(rating: DialogRating, parent: DialogAssessment, su_id: str | None) -> ValueOf:
    """The field values of one rating's own row (long form)."""

    def value(name: str) -> object:
        if name == "dialog_assessment_id":
            return parent.dialog_assessment_id
        if name == "service_user_id":
            return su_id
        return getattr(rating, name, None)

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
