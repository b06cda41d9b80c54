"""The limits of what the readers and the mapping-file loader accept (issue 14).

Built once from the settings at the edge (:meth:`ReadLimits.from_settings`) and passed
down; the defaults are the settings' defaults, so library callers that pass nothing get
the same safe bounds. Each limit names the setting that changes it, for messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fhircare.settings import Settings

_DEFAULTS = Settings.model_fields


def _default(name: str) -> int:
    value = _DEFAULTS[name].default
    assert isinstance(value, int)
    return value


@dataclass(frozen=True)
class ReadLimits:
    extract_max_row_bytes: int = _default("extract_max_row_bytes")
    extract_max_field_bytes: int = _default("extract_max_field_bytes")
    mapping_max_bytes: int = _default("mapping_max_bytes")
    mapping_max_aliases: int = _default("mapping_max_aliases")
    mapping_max_nodes: int = _default("mapping_max_nodes")
    concept_map_max_bytes: int = _default("concept_map_max_bytes")
    #: folders besides the mapping file's own that its paths may name
    mapping_allowed_dirs: tuple[Path, ...] = field(default=())
    #: processes that read an extract's files (and map its service users) side by side
    #: (0: chosen by the work and the CPUs; fhircare.forked): not a limit of input, but
    #: a bound on what a run takes, read once with the limits
    workers: int = _default("workers")

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(
            extract_max_row_bytes=settings.extract_max_row_bytes,
            extract_max_field_bytes=settings.extract_max_field_bytes,
            mapping_max_bytes=settings.mapping_max_bytes,
            mapping_max_aliases=settings.mapping_max_aliases,
            mapping_max_nodes=settings.mapping_max_nodes,
            concept_map_max_bytes=settings.concept_map_max_bytes,
            mapping_allowed_dirs=tuple(settings.mapping_allowed_dirs),
            workers=settings.workers,
        )


def setting_name(limit: str) -> str:
    """The environment variable of a limit (``extract_max_row_bytes`` → ``FHIRCARE_EXTRACT_MAX_ROW_BYTES``)."""
    return f"FHIRCARE_{limit.upper()}"
