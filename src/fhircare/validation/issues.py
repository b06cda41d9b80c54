"""Validation issues and the OperationOutcome they become.

An issue's ``expression`` is a FHIRPath location in the style of the HL7 reference
validator: array items carry their index (``CarePlan.activity[0]``), choice elements
are written ``Observation.value.ofType(Quantity)``, and a resource inside another
(contained, Bundle entry, Parameters) is annotated with a FHIRPath comment naming
it (``Bundle.entry[0].resource/*Patient/p1*/.name[0]``). Issues raised about an
element's children (cardinality, unknown properties) sit on the parent element.

Where the JSON itself is wrong (a number for a string, an object for an array, a
property nobody defines), the location is the one the HL7 validator's JSON reader
gives, before any element is validated: see ``read_location``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["fatal", "error", "warning", "information"]

_SEVERITY_ORDER: dict[str, int] = {"fatal": 0, "error": 1, "warning": 2, "information": 3}

LINE_EXT = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"
SOURCE_EXT = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-source"


_RESOURCE_COMMENT = re.compile(r"/\*.*?\*/")
_OF_TYPE = re.compile(r"\.ofType\([A-Za-z]+\)")


def read_location(loc: str, primitive_in_list: bool = False) -> str:
    """``loc`` as the HL7 validator's JSON reader names a property it cannot read: a choice
    as written in its definition (``Observation.value[x].unit``, not
    ``value.ofType(Quantity).unit``), no comment naming a resource, and a primitive in an
    array without its index (``name[0].given``: the reader reports the array's property).
    Someone holding both validators' output then finds one place, not two."""
    read = _OF_TYPE.sub("[x]", _RESOURCE_COMMENT.sub("", loc))
    if primitive_in_list and read.endswith("]"):
        read = read[: read.rindex("[")]
    return read


@dataclass(frozen=True, slots=True)
class Issue:
    severity: Severity
    code: str  # http://hl7.org/fhir/issue-type
    expression: str
    text: str
    #: the invariant key, slice or message id that raised it (for filtering and tests)
    rule: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity in ("error", "fatal")

    def to_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "details": {"text": self.text},
            "expression": [self.expression],
        }
        if self.rule:
            issue["extension"] = [{"url": SOURCE_EXT, "valueString": self.rule}]
        return issue


@dataclass(slots=True)
class ValidationResult:
    """Every issue found in one resource (the validator never stops at the first)."""

    issues: list[Issue] = field(default_factory=list)
    source: str | None = None  # a file name or other label, for reports

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def error_count(self) -> int:
        return sum(1 for i in self.issues if i.is_error)

    @property
    def warning_count(self) -> int:
        return sum(1 for i in self.issues if i.severity == "warning")

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    def sorted_issues(self) -> list[Issue]:
        """Errors first, then by where: ``entry[4]`` before ``entry[40]`` (by number, not text)."""
        return sorted(self.issues, key=lambda i: (_SEVERITY_ORDER[i.severity], _by_number(i.expression)))

    def to_operation_outcome(self) -> dict[str, Any]:
        issues = [i.to_fhir() for i in self.sorted_issues()]
        if not issues:
            issues = [
                {
                    "severity": "information",
                    "code": "informational",
                    "details": {"text": "All OK"},
                }
            ]
        return {"resourceType": "OperationOutcome", "issue": issues}


class IssueSink:
    """Collects issues for one validation run, dropping exact duplicates.

    The same instance is walked once per structure (base resource, then each
    profile), so an inherited rule can fire twice at one location; the HL7
    validator reports it once.
    """

    __slots__ = ("_seen", "issues", "raised")

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._seen: set[tuple[str, str, str]] = set()
        #: issues raised, duplicates included (a check that raised none found nothing)
        self.raised = 0

    def add(
        self,
        severity: Severity,
        code: str,
        expression: str,
        text: str,
        rule: str | None = None,
    ) -> None:
        self.raised += 1
        key = (severity, expression, text)
        if key in self._seen:
            return
        self._seen.add(key)
        self.issues.append(Issue(severity, code, expression, text, rule))

    def error(self, code: str, expression: str, text: str, rule: str | None = None) -> None:
        self.add("error", code, expression, text, rule)

    def warning(self, code: str, expression: str, text: str, rule: str | None = None) -> None:
        self.add("warning", code, expression, text, rule)

    def info(self, code: str, expression: str, text: str, rule: str | None = None) -> None:
        self.add("information", code, expression, text, rule)

    def extend(self, issues: Iterable[Issue]) -> None:
        for i in issues:
            self.add(i.severity, i.code, i.expression, i.text, i.rule)


_DIGITS = re.compile(r"(\d+)")


def _by_number(expression: str) -> list[str | int]:
    # re.split with a group alternates text and digits, so the parts compare text with text
    # and number with number
    return [int(part) if n % 2 else part for n, part in enumerate(_DIGITS.split(expression))]
