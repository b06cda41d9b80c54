"""The checks of a mapping file that need the record types (field names, codes, date
formats, required fields, shared files), and the plans they give."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fhircare.errors import MappingFileError
from fhircare.source.codes import PartnerOrganisationType
from fhircare.source.convert import ConversionProblem, JsonValue, ValueOptions, make_converter
from fhircare.source.mapping_columns import column_plan, format_problem, suggest, target_problem, value_options
from fhircare.source.mapping_schema import (
    ColumnPlan,
    ColumnSpec,
    CsvOptions,
    MappingDocument,
    RecordPlan,
    RecordTypeSpec,
    TrustMapping,
)
from fhircare.source.records import RECORD_TYPES, FieldSpec, RecordType
from fhircare.source.rows import FileFormat, LineTemplate

__all__ = ["Issue", "MappingCompiler", "line_of", "suggest"]

Issue = tuple[str, int | None, str]
#: the characters every extract encoding must write as ASCII does (line ends, delimiters)
_ASCII_PROBE = "\n\r\t ,;|\"'{}[]:0123456789ABCXYZabcxyz-_."


def line_of(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    """The line of a key path (or of its nearest ancestor the file has)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


#: a day that is a valid date read either way (3 April, 4 March)
_EXAMPLE_BOTH = datetime(2025, 4, 3, 14, 30)


def _day_month_swapped(fmt: str) -> str:
    """The format with day and month exchanged (``%-d`` read as ``%d``)."""
    plain = fmt.replace("%-", "%")
    return plain.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


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
        kinds = [m.value for m in PartnerOrganisationType]
        if doc.trust.organisation_type not in kinds:
            self.issue(
                ("trust", "organisation_type"),
                f"'{doc.trust.organisation_type}' is not a partner organisation type code"
                + suggest(doc.trust.organisation_type, kinds),
            )
        for name in doc.trust.identifier_systems:
            if name not in RECORD_TYPES:
                self.issue(("trust", "identifier_systems", name), f"unknown record type '{name}'")
        self._check_encoding(("read", "encoding"), doc.read.encoding)
        self._check_csv(("read", "csv"), doc.read.csv)
        for key in ("date_formats", "datetime_formats"):
            for index, fmt in enumerate(getattr(doc.read, key)):
                self._check_format(("read", key, str(index)), fmt, "date" if key == "date_formats" else "datetime")
            self._check_orders(("read", key), getattr(doc.read, key))
        if "service_user" not in doc.record_types:
            self.issue(("record_types",), "the service_user record type is required")
        sources: dict[str, tuple[RecordPlan, ...]] = {}
        for name, specs in doc.record_types.items():
            where = ("record_types", name)
            record_type = RECORD_TYPES.get(name)
            if record_type is None:
                self.issue(where, f"unknown record type '{name}'" + suggest(name, list(RECORD_TYPES)))
                continue
            listed = (*where, "0") in self.lines
            plans = []
            for index, spec in enumerate(specs):
                plan = self._plan((*where, str(index)) if listed else where, record_type, spec, index)
                if plan is not None:
                    plans.append(plan)
            if len(plans) == len(specs):
                sources[name] = tuple(plans)
        self._check_shared_files(sources)
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
            sources=sources,
        )

    def _reporter(self, at: tuple[str, ...]) -> Callable[[tuple[str, ...], str], None]:
        def report(sub: tuple[str, ...], why: str) -> None:
            self.issue((*at, *sub), why)

        return report

    def _check_encoding(self, where: tuple[str, ...], encoding: str) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            self.issue(where, f"unknown encoding '{encoding}'")
            return
        try:
            ascii_compatible = _ASCII_PROBE.encode(encoding).removeprefix(codecs.BOM_UTF8) == _ASCII_PROBE.encode()
        except (UnicodeError, LookupError):
            ascii_compatible = False
        if not ascii_compatible:
            self.issue(where, f"'{encoding}' is not an encoding fhircare reads line by line (use utf-8, cp1252, ...)")

    def _check_csv(self, where: tuple[str, ...], options: CsvOptions) -> None:
        if options.delimiter in ("\r", "\n") or options.delimiter == options.quotechar:
            self.issue((*where, "delimiter"), "cannot be a line end or the quote character")
        for key in ("preamble", "trailer"):
            text = getattr(options, key)
            if text is not None and ("\n" in text or "\r" in text):
                self.issue((*where, key), "is one line (no line ends)")

    def _check_format(self, where: tuple[str, ...], fmt: str, kind: str) -> bool:
        problem = format_problem(fmt, kind)
        if problem is not None:
            self.issue(where, f"'{fmt}' {problem}")
        return problem is None

    def _check_orders(self, where: tuple[str, ...], formats: list[str]) -> bool:
        """Formats tried in order that read day and month both ways (``%d/%m/%Y`` and
        ``%m/%d/%Y``) read a value valid in both (03/04/2025) as the first, silently: the
        fifth layout trial's column of two date orders, given both formats to stop its
        rows being refused, shared 4 March as 3 April."""
        for later, fmt in enumerate(formats):
            swapped = _day_month_swapped(fmt)
            if swapped == fmt.replace("%-", "%"):
                continue
            first = next((f for f in formats[:later] if f.replace("%-", "%") == swapped), None)
            if first is not None:
                self.issue(
                    where,
                    f"'{first}' and '{fmt}' read day and month in both orders: a value valid in both (such as"
                    f" {_EXAMPLE_BOTH.strftime(first.replace('%-', '%'))}) would be read as the first, silently; give"
                    " the order the export writes (two orders in one column cannot be told apart)",
                )
                return False
        return True

    def _file_format(self, where: tuple[str, ...], spec: RecordTypeSpec, encoding: str) -> FileFormat:
        base = self.doc.read.csv
        overrides = spec.csv.model_dump(exclude_none=True) if spec.csv is not None else {}
        options = base.model_copy(update=overrides)
        if spec.csv is not None:
            if spec.format != "csv":
                self.issue((*where, "csv"), "CSV options apply to csv files")
            self._check_csv((*where, "csv"), options)
        return FileFormat(
            format=spec.format,
            encoding=encoding,
            delimiter=options.delimiter,
            quotechar=options.quotechar,
            quoting=options.quoting,
            preamble=LineTemplate(options.preamble) if options.preamble and spec.format == "csv" else None,
            trailer=LineTemplate(options.trailer) if options.trailer and spec.format == "csv" else None,
        )

    def _plan(
        self, where: tuple[str, ...], record_type: RecordType, spec: RecordTypeSpec, index: int
    ) -> RecordPlan | None:
        start = len(self.issues)
        pattern = PurePosixPath(spec.file)
        if pattern.is_absolute() or ".." in pattern.parts or "\\" in spec.file:
            self.issue((*where, "file"), "must be a pattern relative to the extract folder")
        if spec.encoding is not None:
            self._check_encoding((*where, "encoding"), spec.encoding)
        encoding = spec.encoding or self.doc.read.encoding
        file_format = self._file_format(where, spec, encoding)
        for key in ("date_formats", "datetime_formats"):
            for i, fmt in enumerate(getattr(spec, key) or []):
                self._check_format((*where, key, str(i)), fmt, "date" if key == "date_formats" else "datetime")
            self._check_orders((*where, key), getattr(spec, key) or [])
        fields = record_type.fields
        columns: list[ColumnPlan] = []
        for field_name, column in spec.columns.items():
            at = (*where, "columns", field_name)
            field_spec = fields.get(field_name)
            if field_spec is None:
                hint = suggest(field_name, list(fields))
                self.issue(at, f"unknown field '{field_name}' of {record_type.name}{hint}")
                continue
            options = self._options(at, field_spec, spec, column)
            if options is None:
                continue
            plan = column_plan(self._reporter(at), field_spec, spec, column, options)
            if plan is not None:
                columns.append(plan)
        defaults = self._defaults(where, record_type, spec)
        mapped = {c.field.name for c in columns}
        for field_spec in fields.values():
            # a field whose column is given but wrong is reported there, not again as unmapped
            if field_spec.name in spec.columns:
                continue
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
            index=index,
            file=spec.file,
            format=spec.format,
            optional=spec.optional,
            encoding=encoding,
            file_format=file_format,
            where={k: frozenset(v) for k, v in spec.where.items()},
            when_filled=tuple(spec.when_filled),
            ignore_rows=tuple({k: frozenset(v) for k, v in rule.items()} for rule in spec.ignore_rows),
            columns=tuple(columns),
            defaults=defaults,
            missing_values=frozenset(m.strip() for m in (spec.missing_values or self.doc.read.missing_values)),
        )

    def _options(
        self, where: tuple[str, ...], field_spec: FieldSpec, spec: RecordTypeSpec, column: ColumnSpec | None
    ) -> ValueOptions | None:
        value_map: dict[str, str | None] | None = None
        map_name = None
        if column is not None and column.value_map is not None:
            if field_spec.kind in ("date", "datetime"):
                self.issue((*where, "value_map"), f"value maps do not apply to {field_spec.kind} fields (use formats)")
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
                # a value map read from a ConceptMap is blamed where the file names it
                map_where: tuple[str, ...] = (
                    ("concept_maps", map_name) if map_name in self.doc.concept_maps else ("value_maps", map_name)
                )
            else:
                value_map, map_name, map_where = column.value_map, f"{where[-1]} (inline)", (*where, "value_map")
            if not self._check_targets(map_where, field_spec, value_map, used_at=where):
                return None
        formats = column.formats if column is not None else None
        if formats is not None:
            if field_spec.kind not in ("date", "datetime"):
                self.issue((*where, "formats"), f"formats apply to date fields, not {field_spec.kind}")
                return None
            if not all(
                self._check_format((*where, "formats", str(i)), f, field_spec.kind) for i, f in enumerate(formats)
            ) or not self._check_orders((*where, "formats"), formats):
                return None
        written_in = None
        if column is not None and column.timezone is not None:
            if field_spec.kind not in ("date", "datetime"):
                self.issue((*where, "timezone"), f"a time zone applies to date fields, not {field_spec.kind}")
                return None
            try:
                written_in = ZoneInfo(column.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                self.issue((*where, "timezone"), f"unknown time zone '{column.timezone}'")
                return None
        options = value_options(self.doc.read, spec, field_spec, column, value_map, map_name, self.timezone, written_in)
        if field_spec.kind == "bool" and value_map is None:
            # a record type's or a column's missing values replace read's: a yes or no among
            # them is read as missing (found by a review: an inactive contact shown active)
            both = sorted(
                m for m in options.missing_values if m.casefold() in options.true_values | options.false_values
            )
            if both:
                self.issue(
                    where,
                    f"{', '.join(map(repr, both))} is a missing value and a yes/no value of this field: a yes or no"
                    " would be read as missing",
                )
                return None
        return options

    def _check_targets(
        self,
        where: tuple[str, ...],
        field_spec: FieldSpec,
        value_map: dict[str, str | None],
        *,
        used_at: tuple[str, ...] = (),
    ) -> bool:
        ok = True
        for local, target in value_map.items():
            problem = target_problem(field_spec, target)
            if problem is not None:
                if where[0] == "concept_maps":  # a code, not a key of the mapping file
                    self.issue(where, f"{local} → {problem}, as {'.'.join(used_at)} reads it")
                else:
                    self.issue((*where, local), problem)
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
            canonical = ValueOptions(
                date_formats=("%Y-%m-%d",),
                datetime_formats=("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"),
                timezone=self.timezone,
                list_separator=self.doc.read.list_separator,
                true_values=frozenset({"true"}),
                false_values=frozenset({"false"}),
            )
            try:
                out[field_name] = make_converter(field_spec, canonical)(raw)
            except ConversionProblem as exc:
                self.issue((*where, "defaults", field_name), f"{exc} (defaults are canonical values)")
        return out

    def _check_shared_files(self, sources: dict[str, tuple[RecordPlan, ...]]) -> None:
        by_file: dict[str, list[RecordPlan]] = {}
        for plans in sources.values():
            for plan in plans:
                by_file.setdefault(plan.file, []).append(plan)
        for shared in by_file.values():
            first = shared[0]
            for other in shared[1:]:
                for attribute in ("format", "encoding", "file_format"):
                    if getattr(other, attribute) != getattr(first, attribute):
                        what = "CSV options" if attribute == "file_format" else attribute
                        self.issue(
                            ("record_types", other.record_type.name),
                            f"shares {other.file} with {first.record_type.name} but its {what} differ",
                        )
                        break
