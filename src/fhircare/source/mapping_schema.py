"""The shape of a trust mapping file (pydantic models of the YAML) and the checked,
ready-to-read plans a loaded file becomes. See :mod:`fhircare.source.mapping_file` and
``mappings/README.md``."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from fhircare.source.convert import UNKNOWN_WORDS, Converter, JsonValue, ValueOptions, make_converter
from fhircare.source.records import FieldSpec, RecordType
from fhircare.source.rows import FileFormat, lookup


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _column_spec(value: object) -> object:
    return {"column": value} if isinstance(value, str) else value


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


class ColumnSpec(_Strict):
    """Where one canonical field comes from: a column (CSV) or a key path (JSON Lines,
    dots for nested objects); or several columns (the first filled one, or all filled
    ones joined); or a template of columns. Then optionally a part of it (split), a
    named hook, a value map, formats, list separator and missing-value markers."""

    column: str | None = Field(default=None, min_length=1)
    #: several columns: the first one filled, or with ``join`` every filled one joined
    columns: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None, min_length=2)
    join: str | None = None
    #: text with ``{COLUMN}`` placeholders, e.g. "{REFERRAL_ID}-lead" (missing if any is)
    template: str | None = Field(default=None, min_length=1)
    #: split the text on this and keep ``part``: "1" the first piece, "2:" the second
    #: and every later piece (joined with the same text), "-1" the last
    split: str | None = Field(default=None, min_length=1)
    part: str | None = Field(default=None, pattern=r"^-?[1-9][0-9]*:?$")
    #: a named Python function (the escape hatch, see mappings/README.md "Hooks")
    hook: str | None = Field(default=None, min_length=1)
    formats: list[str] | None = None
    #: the time zone a date and time written without an offset is in, where it is not
    #: ``trust.timezone`` (``UTC`` for a column a database filled with GETUTCDATE())
    timezone: str | None = Field(default=None, min_length=1)
    #: local value -> canonical value (null: the value is missing)
    value_map: str | dict[str, str | None] | None = None
    #: a value the map does not list: an error (default), kept as it is, or missing
    unmapped: Literal["error", "keep", "missing"] = "error"
    separator: str | None = Field(default=None, min_length=1)
    missing_values: list[str] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        given = [k for k in ("column", "columns", "template") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of column, columns or template")
        if self.join is not None and self.columns is None:
            raise ValueError("join goes with columns")
        if (self.split is None) != (self.part is None):
            raise ValueError("split and part go together")
        if self.unmapped != "error" and self.value_map is None:
            raise ValueError("unmapped goes with value_map")
        return self


class CsvOptions(_Strict):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quotechar: str = Field(default='"', min_length=1, max_length=1)
    #: minimal: the quote character quotes cells; none: quotes are ordinary characters
    quoting: Literal["minimal", "none"] = "minimal"
    #: the line before the column header, e.g. "HDR\t{*}\t{rows}" ({rows}: checked count)
    preamble: str | None = Field(default=None, min_length=1)
    #: the last line of the file, e.g. "TRL\t{rows}"
    trailer: str | None = Field(default=None, min_length=1)


class CsvOverrides(_Strict):
    """A file's own CSV options, each replacing the ``read.csv`` default it names (an
    empty preamble or trailer: this file has none)."""

    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    quotechar: str | None = Field(default=None, min_length=1, max_length=1)
    quoting: Literal["minimal", "none"] | None = None
    preamble: str | None = None
    trailer: str | None = None


class ReadOptions(_Strict):
    encoding: str = "utf-8"
    csv: CsvOptions = CsvOptions()
    date_formats: list[str] = Field(default=["%Y-%m-%d"], min_length=1)
    datetime_formats: list[str] = Field(default=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"], min_length=1)
    list_separator: str = Field(default=";", min_length=1)
    true_values: list[str] = ["true", "yes", "y", "1"]
    false_values: list[str] = ["false", "no", "n", "0"]
    #: cell values that mean "missing" besides a blank cell, e.g. ["NULL", "\\N", "N/A"]
    missing_values: list[str] = []

    @model_validator(mode="after")
    def _yes_no_unambiguous(self) -> ReadOptions:
        # a word that is both yes and no was read as yes: with N in both, every contact was
        # marked not to be involved (found by a trial of a new layout)
        yes = {v.casefold() for v in self.true_values}
        no = {v.casefold() for v in self.false_values}
        both = sorted(yes & no)
        if both:
            raise ValueError(
                f"{', '.join(map(repr, both))} is both a true and a false value (true_values, false_values)"
            )
        unknown = sorted((yes | no) & UNKNOWN_WORDS)
        if unknown:
            # a tri-state export's U read as no: a person the service user may not want
            # involved shared as a contact (fifth layout trial)
            raise ValueError(
                f"{', '.join(map(repr, unknown))} says unknown, which is neither a true nor a false value"
                " (true_values, false_values): an unknown would be read as a yes or a no"
            )
        missing = sorted({v.casefold() for v in self.missing_values} & (yes | no))
        if missing:
            raise ValueError(
                f"{', '.join(map(repr, missing))} is a missing value and a yes/no value (missing_values, true_values,"
                " false_values): a yes or no would be read as missing"
            )
        return self


WhereSpec = dict[str, Annotated[list[str], BeforeValidator(_one_or_many)]]


class RecordTypeSpec(_Strict):
    """One source of a record type: a file and the rows of it that give its records."""

    file: str = Field(min_length=1)
    format: Literal["csv", "jsonl"]
    optional: bool = False
    encoding: str | None = None
    csv: CsvOverrides | None = None
    where: WhereSpec = {}
    #: only rows where these columns are filled give this record type
    when_filled: Annotated[list[str], BeforeValidator(_one_or_many)] = []
    #: rows no record type takes that match one of these are counted as ignored
    ignore_rows: list[WhereSpec] = []
    columns: dict[str, Annotated[ColumnSpec, BeforeValidator(_column_spec)]]
    defaults: dict[str, str | list[str]] = {}
    date_formats: list[str] | None = None
    datetime_formats: list[str] | None = None
    missing_values: list[str] | None = None


class TrustSpec(_Strict):
    """The trust (or health board) the extract comes from and its identifier systems."""

    name: str = Field(min_length=1)
    #: the organisation is identified by its ODS code (as every organisation with one is)
    ods_code: str = Field(pattern=r"^[A-Z0-9]{3,10}$")
    #: a partner organisation type code: nhs-mental-health-trust, local-health-board, ...
    organisation_type: str = "nhs-mental-health-trust"
    #: business identifier systems are ``<base>/<record type>`` unless overridden
    identifier_system_base: str = Field(pattern=r"^https?://[^\s]+[^/\s]$")
    identifier_systems: dict[str, Annotated[str, Field(pattern=r"^https?://[^\s]+$")]] = {}
    consent_policy_uri: str = Field(pattern=r"^https?://[^\s]+$")
    timezone: str = "Europe/London"


def _sources(value: object) -> object:
    return value if isinstance(value, list) else [value]


class MappingDocument(_Strict):
    description: str = Field(min_length=1)
    trust: TrustSpec
    read: ReadOptions = ReadOptions()
    value_maps: dict[str, dict[str, str | None]] = {}
    #: value maps written as FHIR ConceptMap JSON files, relative to the mapping file
    concept_maps: dict[str, str] = {}
    #: a record type's source, or a list of its sources (one record type from several files)
    record_types: dict[str, Annotated[list[RecordTypeSpec], BeforeValidator(_sources)]]


#: reads the raw value of a column plan from a row (before conversion)
RawReader = Callable[[Mapping[str, object]], object]


@dataclass(frozen=True)
class ColumnPlan:
    """One mapped field, ready to read: the field, where it is, how to convert it.
    ``source`` is the column (or key path) as the trust wrote it, or a short description
    of several (``"ADDR1 + ADDR2"``); ``columns`` every column it reads."""

    field: FieldSpec
    source: str
    options: ValueOptions
    convert: Converter
    columns: tuple[str, ...]
    raw: RawReader
    spec: ColumnSpec
    #: the key path of a column read as it is (no parts, hooks or templates): read directly
    simple_path: tuple[str, ...] | None = None

    @property
    def key_path(self) -> tuple[str, ...]:
        """The key path of a single-column plan (its one column split on dots)."""
        return tuple(self.columns[0].split("."))

    @classmethod
    def simple(cls, field: FieldSpec, source: str, options: ValueOptions) -> ColumnPlan:
        """A plan reading one column as it is (tests and defaults)."""
        path = tuple(source.split("."))
        return cls(
            field,
            source,
            options,
            make_converter(field, options),
            (source,),
            lambda values: lookup(values, path),
            ColumnSpec(column=source),
            path,
        )


@dataclass(frozen=True)
class RecordPlan:
    """How one record type is read from one of its sources (a file and some of its rows)."""

    record_type: RecordType
    #: which source of the record type this is (0 for the first)
    index: int
    file: str
    format: Literal["csv", "jsonl"]
    optional: bool
    encoding: str
    file_format: FileFormat
    where: dict[str, frozenset[str]]
    when_filled: tuple[str, ...]
    ignore_rows: tuple[dict[str, frozenset[str]], ...]
    columns: tuple[ColumnPlan, ...]
    defaults: dict[str, JsonValue]
    #: cell values that mean missing besides a blank cell (for ``when_filled``)
    missing_values: frozenset[str] = frozenset()

    def column_for(self, field: str) -> str | None:
        """The column (or key path, or description) a canonical field is read from."""
        return next((c.source for c in self.columns if c.field.name == field), None)

    def columns_read(self) -> list[str]:
        """Every column this source reads, in order, each once."""
        names = [name for c in self.columns for name in c.columns]
        names += [*self.where, *self.when_filled, *(k for rule in self.ignore_rows for k in rule)]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class TrustMapping:
    """A loaded, checked mapping file."""

    name: str
    path: Path
    description: str
    trust: TrustSpec
    read: ReadOptions
    timezone: tzinfo
    value_maps: dict[str, dict[str, str | None]]
    #: every source of every record type, in the order the mapping file lists them
    sources: dict[str, tuple[RecordPlan, ...]]

    @property
    def records(self) -> dict[str, RecordPlan]:
        """The first source of each record type."""
        return {name: plans[0] for name, plans in self.sources.items()}

    def plans(self) -> list[RecordPlan]:
        return [plan for plans in self.sources.values() for plan in plans]

    def files(self) -> dict[str, list[RecordPlan]]:
        """Sources by file pattern, in the order the mapping file lists them."""
        out: dict[str, list[RecordPlan]] = {}
        for plan in self.plans():
            out.setdefault(plan.file, []).append(plan)
        return out

    def column_for(self, record_type: str, field: str, file: str | None = None) -> str | None:
        """The column a field of a record read from ``file`` came from (the first source
        whose pattern matches the file, else the record type's first source)."""
        plans = self.sources.get(record_type, ())
        if file is not None:
            for plan in plans:
                if fnmatch.fnmatchcase(file, plan.file):
                    found = plan.column_for(field)
                    if found is not None:
                        return found
        return next((c for c in (p.column_for(field) for p in plans) if c is not None), None)

    def identifier_system(self, record_type: str) -> str:
        """The business identifier system of a record type's ids (DESIGN.md "Identity")."""
        found = self.trust.identifier_systems.get(record_type)
        return found or f"{self.trust.identifier_system_base}/{record_type.replace('_', '-')}"
