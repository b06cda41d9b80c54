"""What reading an extract gives: per service user an accepted record bundle or the
problems that rejected them; and problems with whole files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhircare.errors import RecordError
from fhircare.source.bundle import ServiceUserRecord


@dataclass(frozen=True)
class Problem:
    """One precise problem: the extract file (relative to the extract folder), the line
    its row starts on (None for the whole file), the column or JSON key as the trust
    wrote it (None when no single one is to blame) and the reason. ``target`` is the
    canonical field, when the problem is about one."""

    file: str
    line: int | None
    field: str | None
    reason: str
    target: str | None = None
    record_type: str | None = None
    service_user_id: str | None = None
    #: the root cause this problem follows from (a missing file, a missing column), as
    #: its own problem reads; None for a problem of its own
    caused_by: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        # a field no column of the file gives (unmapped, defaulted) is named as fhircare
        # calls it: "is required with an NHS number" alone did not say what is required
        column = f"{self.field}: " if self.field else f"{self.target} (no column): " if self.target else ""
        return f"{where}: {column}{self.reason}"

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line or 0, self.field or "", self.reason)

    def to_error(self) -> RecordError:
        return RecordError(self.reason, file=self.file, line=self.line, field=self.field)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of a rejects report line."""
        out: dict[str, Any] = {"file": self.file, "line": self.line, "field": self.field, "reason": self.reason}
        for key in ("target", "record_type", "service_user_id", "caused_by"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class Accepted:
    """A service user whose records are all valid and consistent."""

    record: ServiceUserRecord

    @property
    def service_user_id(self) -> str:
        return self.record.service_user_id


@dataclass(frozen=True)
class Rejected:
    """A service user rejected whole: nothing of theirs is to be used."""

    service_user_id: str
    problems: tuple[Problem, ...]


ReadResult = Accepted | Rejected
