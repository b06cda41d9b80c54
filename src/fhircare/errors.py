"""One error tree for fhircare.

Every error knows the OperationOutcome issue it becomes and the HTTP status an API
answers with, so the CLI, the validator and (later) the partner API report failures
the same way. Messages name files, lines, fields and ids — never personal data — and
an unexpected failure (500) never echoes exception text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class FhircareError(Exception):
    """Base of every error fhircare raises on purpose."""

    #: FHIR IssueType code (http://hl7.org/fhir/issue-type)
    issue_code: str = "exception"
    http_status: int = 500
    severity: str = "error"

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
        expression: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.expression = expression

    def where(self) -> str:
        """`file:line:column` as far as known, for messages a person reads."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_issue(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.issue_code,
            "details": {"text": self.message if self.http_status < 500 else "Internal error"},
        }
        if self.expression:
            issue["expression"] = [self.expression]
        if self.line is not None:
            issue["extension"] = [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line",
                    "valueInteger": self.line,
                }
            ]
            if self.column is not None:
                issue["extension"].append(
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col",
                        "valueInteger": self.column,
                    }
                )
        return issue

    def to_operation_outcome(self) -> dict[str, Any]:
        return {"resourceType": "OperationOutcome", "issue": [self.to_issue()]}


class InputError(FhircareError):
    """Input a user gave us cannot be used as it is (a file, an argument)."""

    issue_code = "invalid"
    http_status = 400


class MalformedJSONError(InputError):
    """The bytes are not JSON; line and column say where parsing stopped."""

    issue_code = "structure"


class NotFHIRError(InputError):
    """Valid JSON, but not a FHIR resource (no or unknown resourceType)."""

    issue_code = "structure"


class UsageError(InputError):
    """A command or API call was made with arguments that cannot work together."""


class DefinitionError(FhircareError):
    """A conformance resource (profile, ValueSet, ...) is unreadable or inconsistent."""

    issue_code = "not-found"
    http_status = 422


class UnknownProfileError(DefinitionError):
    """A profile (or its base) was asked for but is not in any loaded package."""


class PackageError(FhircareError):
    """A FHIR package could not be found, fetched, checked or installed."""

    issue_code = "not-found"
    http_status = 503


class PackageIntegrityError(PackageError):
    """A downloaded package does not match its published checksum."""

    issue_code = "security"


class PackageUnreadableError(PackageError, InputError):
    """A package file that is not a readable .tgz at all (a wrong file given with --from):
    an input that cannot be used (exit 2), not a source that failed."""

    issue_code = "invalid"


class MappingFileError(InputError):
    """A trust mapping file (``mappings/<name>.yaml``) cannot be used.

    Each issue names the key path in the file (``record_types.care_plan.columns``) and,
    where known, its line; the message is the first issue, the rest are in ``issues``.
    """

    def __init__(self, file: Path | str, issues: list[tuple[str, int | None, str]]) -> None:
        if not issues:
            raise ValueError("a MappingFileError needs at least one issue")
        path, line, reason = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{path}: {reason}{more}" if path else f"{reason}{more}", file=file, line=line)
        self.issues = issues

    def lines(self) -> list[str]:
        """Every issue as ``file:line: key.path: reason``."""
        out = []
        for path, line, reason in self.issues:
            where = f"{self.file}:{line}" if line is not None else str(self.file)
            out.append(f"{where}: {path}: {reason}" if path else f"{where}: {reason}")
        return out


class ExtractError(InputError):
    """A trust extract cannot be read at all (no such folder, nothing matching)."""


class LimitError(InputError):
    """An input is larger than a configured limit allows (a row, a field, a mapping file,
    YAML aliases, a ConceptMap): the message names the limit's setting and the file."""

    issue_code = "too-costly"
    http_status = 413


class OutputError(InputError):
    """fhircare cannot write where it was asked to: the disk is full, a file size limit is
    set, permission is denied. Nothing half-written is left behind."""

    issue_code = "exception"


class OutputBusyError(InputError):
    """Another fhircare process is writing to the same output folder."""

    issue_code = "lock-error"
    http_status = 409


class RecordError(InputError):
    """One problem with one row of a trust extract, naming its file, line and field
    (the column or JSON key as the trust wrote it)."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message, file=file, line=line)
        self.reason = message
        self.field = field


class LimitExceededError(InputError):
    """An input is past one of the documented limits (file size, line size, JSON depth,
    number size, archive members or unpacked size). The message names the limit, its
    value and the FHIRCARE_ setting that raises it."""

    issue_code = "too-costly"
    http_status = 413


class StoreError(FhircareError):
    """The record store cannot be opened, migrated or written."""

    issue_code = "exception"
    http_status = 503


class StoreVersionError(StoreError):
    """The store was written by a newer fhircare (a schema revision this one does not know)."""

    issue_code = "not-supported"


class StoreMissingError(StoreError):
    """A command that only reads or adds to a store was given one that does not exist (a
    SQLite file that is not there, a database without fhircare's schema): only ``load``
    and ``run`` create a store."""

    issue_code = "not-found"


class StoreBusyError(StoreError):
    """Another fhircare process holds the store for the same work (a load, a SQLite sync)."""

    issue_code = "lock-error"
    http_status = 409


class TargetError(FhircareError):
    """The target FHIR server cannot be used: unreachable, not FHIR R4, lacking a capability
    the sync needs, or refusing fhircare's credentials."""

    issue_code = "transient"
    http_status = 502


class TargetAuthError(TargetError):
    """The target (or its token endpoint) refused fhircare's credentials."""

    issue_code = "security"


# --- the partner FHIR API -------------------------------------------------------------------


class AuthenticationError(FhircareError):
    """No usable access token (missing, expired, forged, for another audience, revoked)."""

    issue_code = "login"
    http_status = 401


class ForbiddenError(FhircareError):
    """The token's scopes do not allow this interaction on this resource type."""

    issue_code = "forbidden"
    http_status = 403


class NotFoundError(FhircareError):
    """No such resource — or one the caller may not see: the two are never told apart."""

    issue_code = "not-found"
    http_status = 404


class SearchTooCostlyError(InputError):
    """A page of a search whose includes would make it larger than the API returns at once
    (``service.MAX_PAGE_RESOURCES``): refused, never cut short. A 400, like every search
    the API will not answer as asked (the request is not too large: 413 is for a body);
    the client asks a smaller ``_count`` or fewer includes."""

    issue_code = "too-costly"


class NotSupportedError(InputError):
    """A search parameter, modifier, operation or format the API does not support: refused,
    never ignored."""

    issue_code = "not-supported"


class MethodNotAllowedError(NotSupportedError):
    """The API reads only: creating, updating and deleting are not allowed."""

    http_status = 405


class NotAcceptableError(NotSupportedError):
    """A response format other than FHIR JSON was asked for."""

    http_status = 406


class UnsupportedMediaTypeError(NotSupportedError):
    """A request body in a form the API does not read (a search posted as JSON): refused,
    never read as if it were empty."""

    http_status = 415
