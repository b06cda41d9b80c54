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
