"""The shape of a trust mapping file (pydantic models of the YAML) and the checked,
ready-to-read plans a loaded file becomes. See :mod:`fhircare.source.mapping_file`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from fhircare.source.convert import Converter, JsonValue, ValueOptions, make_converter
from fhircare.source.records import FieldSpec, RecordType


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _column_spec(value: object) -> object:
    return {"column": value} if isinstance(value, str) else value


class ColumnSpec(_Strict):
    """Where one canonical field comes from: a column (CSV) or a key path (JSON Lines,
    dots for nested objects), with optional formats, value map and list separator."""

    column: str = Field(min_length=1)
    formats: list[str] | None = None
    value_map: str | dict[str, str] | None = None
    separator: str | None = Field(default=None, min_length=1)


class CsvOptions(_Strict):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quotechar: str = Field(default='"', min_length=1, max_length=1)


class ReadOptions(_Strict):
    encoding: str = "utf-8"
    csv: CsvOptions = CsvOptions()
    date_formats: list[str] = Field(default=["%Y-%m-%d"], min_length=1)
    datetime_formats: list[str] = Field(default=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"], min_length=1)
    list_separator: str = Field(default=";", min_length=1)
    true_values: list[str] = ["true", "yes", "y", "1"]
    false_values: list[str] = ["false", "no", "n", "0"]


class RecordTypeSpec(_Strict):
    file: str = Field(min_length=1)
    format: Literal["csv", "jsonl"]
    optional: bool = False
    encoding: str | None = None
    where: dict[str, str | list[str]] = {}
    columns: dict[str, Annotated[ColumnSpec, BeforeValidator(_column_spec)]]
    defaults: dict[str, str | list[str]] = {}
    date_formats: list[str] | None = None
    datetime_formats: list[str] | None = None


class TrustSpec(_Strict):
    """The trust the extract comes from and the identifier systems of its records."""

    name: str = Field(min_length=1)
    ods_code: str = Field(pattern=r"^[A-Z0-9]{3,10}$")
    #: business identifier systems are ``<base>/<record type>`` unless overridden
    identifier_system_base: str = Field(pattern=r"^https?://[^\s]+[^/\s]$")
    identifier_systems: dict[str, Annotated[str, Field(pattern=r"^https?://[^\s]+$")]] = {}
    consent_policy_uri: str = Field(pattern=r"^https?://[^\s]+$")
    timezone: str = "Europe/London"


class MappingDocument(_Strict):
    description: str = Field(min_length=1)
    trust: TrustSpec
    read: ReadOptions = ReadOptions()
    value_maps: dict[str, dict[str, str]] = {}
    #: value maps written as FHIR ConceptMap JSON files, relative to the mapping file
    concept_maps: dict[str, str] = {}
    record_types: dict[str, RecordTypeSpec]


@dataclass(frozen=True)
class ColumnPlan:
    """One mapped column, ready to read: the field, where it is, how to convert it."""

    field: FieldSpec
    source: str
    options: ValueOptions
    convert: Converter
    #: the source split on dots (nested JSON keys)
    key_path: tuple[str, ...]

    @classmethod
    def make(cls, field: FieldSpec, source: str, options: ValueOptions) -> ColumnPlan:
        return cls(field, source, options, make_converter(field, options), tuple(source.split(".")))


@dataclass(frozen=True)
class RecordPlan:
    """How one record type is read from its file(s)."""

    record_type: RecordType
    file: str
    format: Literal["csv", "jsonl"]
    optional: bool
    encoding: str
    csv: CsvOptions
    where: dict[str, frozenset[str]]
    columns: tuple[ColumnPlan, ...]
    defaults: dict[str, JsonValue]

    def column_for(self, field: str) -> str | None:
        """The column (or key path) a canonical field is read from, if mapped."""
        return next((c.source for c in self.columns if c.field.name == field), None)


@dataclass(frozen=True)
class TrustMapping:
    """A loaded, checked mapping file."""

    name: str
    path: Path
    description: str
    trust: TrustSpec
    read: ReadOptions
    timezone: tzinfo
    value_maps: dict[str, dict[str, str]]
    records: dict[str, RecordPlan]

    def files(self) -> dict[str, list[RecordPlan]]:
        """Record plans by file pattern, in the order the mapping file lists them."""
        out: dict[str, list[RecordPlan]] = {}
        for plan in self.records.values():
            out.setdefault(plan.file, []).append(plan)
        return out

    def identifier_system(self, record_type: str) -> str:
        """The business identifier system of a record type's ids (DESIGN.md "Identity")."""
        found = self.trust.identifier_systems.get(record_type)
        return found or f"{self.trust.identifier_system_base}/{record_type.replace('_', '-')}"
