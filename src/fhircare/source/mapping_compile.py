"""The checks of a mapping file that need the record types (field names, codes, date
formats, required fields, shared files), and the plans they give."""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fhircare.errors import MappingFileError
from fhircare.source.convert import ConversionProblem, JsonValue, ValueOptions, make_converter
from fhircare.source.mapping_schema import (
    ColumnPlan,
    ColumnSpec,
    MappingDocument,
    RecordPlan,
    RecordTypeSpec,
    TrustMapping,
)
from fhircare.source.records import RECORD_TYPES, FieldSpec, RecordType

Issue = tuple[str, int | None, str]


def line_of(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    """The line of a key path (or of its nearest ancestor the file has)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


def suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _format_problem(fmt: str, kind: str) -> str | None:
    """Why a strftime/strptime format cannot read a date (or date and time), or None."""
    sample = datetime(2024, 3, 9, 14, 5, 7, tzinfo=UTC)
    try:
        parsed = datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        return f"not a usable date format: {exc}"
    if parsed.date() != sample.date():
        return "does not hold a full date (day, month and year)"
    if kind == "datetime" and (parsed.hour, parsed.minute) != (14, 5):
        return "does not hold a time (hours and minutes)"
    return None


class MappingCompiler:
    """The checks pydantic cannot make (they need the record types), then the plans."""

    def __init__(self, path: Path, document: MappingDocument, lines: dict[tuple[str, ...], int]) -> None:
        self.path = path
        self.doc = document
        self.lines = lines
        self.issues: list[Issue] = []
        self.timezone: tzinfo = UTC

    def issue(self, path: tuple[str, ...], reason: str) -> None:
        self.issues.append((".".join(path), line_of(self.lines, path), reason))

    def compile(self) -> TrustMapping:
        doc = self.doc
        try:
            self.timezone = ZoneInfo(doc.trust.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.issue(("trust", "timezone"), f"unknown time zone '{doc.trust.timezone}'")
        for name in doc.trust.identifier_systems:
            if name not in RECORD_TYPES:
                self.issue(("trust", "identifier_systems", name), f"unknown record type '{name}'")
        self._check_encoding(("read", "encoding"), doc.read.encoding)
        for key in ("date_formats", "datetime_formats"):
            for index, fmt in enumerate(getattr(doc.read, key)):
                self._check_format(("read", key, str(index)), fmt, "date" if key == "date_formats" else "datetime")
        if "service_user" not in doc.record_types:
            self.issue(("record_types",), "the service_user record type is required")
        records: dict[str, RecordPlan] = {}
        for name, spec in doc.record_types.items():
            where = ("record_types", name)
            record_type = RECORD_TYPES.get(name)
            if record_type is None:
                self.issue(where, f"unknown record type '{name}'" + suggest(name, list(RECORD_TYPES)))
                continue
            plan = self._plan(where, record_type, spec)
            if plan is not None:
                records[name] = plan
        self._check_shared_files(records)
        if self.issues:
            raise MappingFileError(self.path, self.issues)
        return TrustMapping(
            name=self.path.stem,
            path=self.path,
            description=doc.description,
            trust=doc.trust,
            read=doc.read,
            timezone=self.timezone,
            value_maps=doc.value_maps,
            records=records,
        )

    def _check_encoding(self, where: tuple[str, ...], encoding: str) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            self.issue(where, f"unknown encoding '{encoding}'")

    def _check_format(self, where: tuple[str, ...], fmt: str, kind: str) -> bool:
        problem = _format_problem(fmt, kind)
        if problem is not None:
            self.issue(where, f"'{fmt}' {problem}")
        return problem is None

    def _plan(self, where: tuple[str, ...], record_type: RecordType, spec: RecordTypeSpec) -> RecordPlan | None:
        start = len(self.issues)
        pattern = PurePosixPath(spec.file)
        if pattern.is_absolute() or ".." in pattern.parts or "\\" in spec.file:
            self.issue((*where, "file"), "must be a pattern relative to the extract folder")
        if spec.encoding is not None:
            self._check_encoding((*where, "encoding"), spec.encoding)
        for key in ("date_formats", "datetime_formats"):
            for index, fmt in enumerate(getattr(spec, key) or []):
                self._check_format((*where, key, str(index)), fmt, "date" if key == "date_formats" else "datetime")
        fields = record_type.fields
        columns: list[ColumnPlan] = []
        for field_name, column in spec.columns.items():
            field_spec = fields.get(field_name)
            if field_spec is None:
                self.issue(
                    (*where, "columns", field_name),
                    f"unknown field '{field_name}' of {record_type.name}" + suggest(field_name, list(fields)),
                )
                continue
            options = self._options((*where, "columns", field_name), field_spec, spec, column)
            if options is not None:
                columns.append(ColumnPlan.make(field_spec, column.column, options))
        defaults = self._defaults(where, record_type, spec)
        mapped = {c.field.name for c in columns}
        for field_spec in fields.values():
            if field_spec.required and field_spec.name not in mapped and field_spec.name not in defaults:
                self.issue(
                    (*where, "columns"),
                    f"required field '{field_spec.name}' of {record_type.name} is neither mapped nor defaulted",
                )
        if record_type.top_level and "service_user_id" not in mapped:
            self.issue((*where, "columns"), "service_user_id must be mapped to a column")
        for key in record_type.key:
            if key in defaults:
                self.issue((*where, "defaults", key), f"'{key}' identifies a record and cannot have a default")
        if len(self.issues) > start:
            return None
        return RecordPlan(
            record_type=record_type,
            file=spec.file,
            format=spec.format,
            optional=spec.optional,
            encoding=spec.encoding or self.doc.read.encoding,
            csv=self.doc.read.csv,
            where={k: frozenset([v] if isinstance(v, str) else v) for k, v in spec.where.items()},
            columns=tuple(columns),
            defaults=defaults,
        )

    def _options(
        self, where: tuple[str, ...], field_spec: FieldSpec, spec: RecordTypeSpec, column: ColumnSpec | None
    ) -> ValueOptions | None:
        read = self.doc.read
        value_map, map_name = None, None
        if column is not None and column.value_map is not None:
            if field_spec.kind not in ("code", "codes", "bool"):
                self.issue((*where, "value_map"), f"value maps apply to code and yes/no fields, not {field_spec.kind}")
                return None
            if isinstance(column.value_map, str):
                map_name = column.value_map
                value_map = self.doc.value_maps.get(map_name)
                if value_map is None:
                    self.issue(
                        (*where, "value_map"),
                        f"unknown value map '{map_name}'" + suggest(map_name, list(self.doc.value_maps)),
                    )
                    return None
                map_where: tuple[str, ...] = ("value_maps", map_name)
            else:
                value_map, map_name, map_where = column.value_map, f"{where[-1]} (inline)", (*where, "value_map")
            if not self._check_targets(map_where, field_spec, value_map):
                return None
        formats = column.formats if column is not None else None
        if formats is not None:
            if field_spec.kind not in ("date", "datetime"):
                self.issue((*where, "formats"), f"formats apply to date fields, not {field_spec.kind}")
                return None
            if not all(
                self._check_format((*where, "formats", str(i)), f, field_spec.kind) for i, f in enumerate(formats)
            ):
                return None
        return ValueOptions(
            date_formats=tuple(
                (formats if field_spec.kind == "date" else None) or spec.date_formats or read.date_formats
            ),
            datetime_formats=tuple(
                (formats if field_spec.kind == "datetime" else None) or spec.datetime_formats or read.datetime_formats
            ),
            timezone=self.timezone,
            list_separator=(column.separator if column is not None else None) or read.list_separator,
            true_values=frozenset(v.casefold() for v in read.true_values),
            false_values=frozenset(v.casefold() for v in read.false_values),
            value_map=value_map,
            value_map_name=map_name,
        )

    def _check_targets(self, where: tuple[str, ...], field_spec: FieldSpec, value_map: dict[str, str]) -> bool:
        ok = True
        for local, target in value_map.items():
            if field_spec.kind == "bool":
                valid = target in ("true", "false")
                expected = "true or false"
            else:
                assert field_spec.codes is not None
                valid = target in {m.value for m in field_spec.codes}
                expected = f"a {field_spec.name} code" + suggest(target, [m.value for m in field_spec.codes])
            if not valid:
                self.issue((*where, local), f"'{target}' is not {expected}")
                ok = False
        return ok

    def _defaults(self, where: tuple[str, ...], record_type: RecordType, spec: RecordTypeSpec) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {}
        for field_name, raw in spec.defaults.items():
            field_spec = record_type.fields.get(field_name)
            if field_spec is None:
                self.issue(
                    (*where, "defaults", field_name),
                    f"unknown field '{field_name}' of {record_type.name}"
                    + suggest(field_name, list(record_type.fields)),
                )
                continue
            options = self._options((*where, "defaults", field_name), field_spec, spec, None)
            if options is None:
                continue
            canonical = ValueOptions(
                date_formats=("%Y-%m-%d",),
                datetime_formats=("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"),
                timezone=options.timezone,
                list_separator=options.list_separator,
                true_values=frozenset({"true"}),
                false_values=frozenset({"false"}),
            )
            try:
                out[field_name] = make_converter(field_spec, canonical)(raw)
            except ConversionProblem as exc:
                self.issue((*where, "defaults", field_name), f"{exc} (defaults are canonical values)")
        return out

    def _check_shared_files(self, records: dict[str, RecordPlan]) -> None:
        by_file: dict[str, list[RecordPlan]] = {}
        for plan in records.values():
            by_file.setdefault(plan.file, []).append(plan)
        for plans in by_file.values():
            first = plans[0]
            for other in plans[1:]:
                where = ("record_types", other.record_type.name, "format")
                same: Callable[[RecordPlan], object]
                for attribute, same in (("format", lambda p: p.format), ("encoding", lambda p: p.encoding)):
                    if same(other) != same(first):
                        self.issue(
                            (*where[:-1], attribute),
                            f"shares {other.file} with {first.record_type.name} but its {attribute} differs",
                        )
