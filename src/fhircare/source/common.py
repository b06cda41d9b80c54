"""What every source record shares: the base model, ids, text, NHS number, origin.

Models are frozen and strict: a record holds Python values (``date``, enum members, ...)
that the readers have already converted from the trust's text, so nothing is coerced
silently here. Only the JSON form (``model_validate_json``) accepts ISO dates and code
strings, as JSON has no other way to write them.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

#: the weights of the first nine digits of an NHS number (NHS Data Dictionary)
_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid NHS number (ten digits, modulus 11), or None."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        if value.isascii() and len([c for c in value if c.isdigit()]) == 10 and not value.strip(" -0123456789"):
            # "943 476 5919", "943-476-5919": ten digits, as EPRs show them (fifth layout
            # trial: 'has ten digits' read as wrong to whoever saw ten digits)
            return "an NHS number has ten digits and nothing else: this one holds spaces or dashes (hook: digits-only)"
        return "an NHS number has ten digits"
    if len(set(value)) == 1:
        # every one of the ten passes modulus 11 (the check digit of d repeated is d), none
        # is issued: an EPR's placeholder for an unknown number (fourth layout trial)
        return "not a valid NHS number (a placeholder: every digit the same)"
    total = sum(int(digit) * weight for digit, weight in zip(value, _NHS_WEIGHTS, strict=False))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return "not a valid NHS number (no check digit is possible for these nine digits)"
    if check != int(value[9]):
        return "not a valid NHS number (the check digit does not match)"
    return None


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when none is possible (remainder 1)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _NHS_WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def _check_nhs_number(value: str) -> str:
    problem = nhs_number_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _fixed_offset(value: datetime) -> datetime:
    offset = value.utcoffset()
    assert offset is not None  # AwareDatetime
    return value.astimezone(timezone(offset))


#: a point in time with its UTC offset (DD-23), held without zone rules: an instant in
#: the autumn's repeated hour then compares and hashes by the instant it is
Instant = Annotated[AwareDatetime, AfterValidator(_fixed_offset)]
#: a trust's local identifier: printable ASCII, no leading or trailing space, at most 64
LocalId = Annotated[str, StringConstraints(pattern=r"^[!-~](?:[ -~]{0,62}[!-~])?$")]
#: free text: not blank, trimmed, at most 10,000 characters
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
#: a short label: not blank, trimmed, at most 200 characters
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
NhsNumber = Annotated[str, AfterValidator(_check_nhs_number)]
#: an ODS organisation or site code (the profiles' fhircare-ods-code-1)
OdsCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,10}$")]
#: a UK telephone number as written: digits, spaces and a leading +
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ]{5,19}$")]
#: a service's telephone number: as Phone, or a short national number (111, 999, 116 123)
ServicePhone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ]{2,19}$")]
#: a time of day on the 24-hour clock, ``HH:MM``
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
#: a BCP-47 language tag such as ``en``, ``cy`` or ``en-GB``
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error a record-level rule raises about one of its fields: readers report it on
    the column that field was read from (``ctx["field"]``)."""
    return PydanticCustomError("record_rule", "{field}: {reason}", {"field": field, "reason": message})


class SourceModel(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")


class Origin(SourceModel):
    """Where a record was read from: the extract file (relative to the extract folder)
    and the line its row starts on. Not part of a record's value: two records that differ
    only in origin are equal."""

    file: str
    line: int = Field(ge=1)


class SourceRecord(SourceModel):
    """A record of the trust extract. ``origin`` is kept for reports and left out of
    equality, hashing and dumps, so the same data read from two layouts compares equal."""

    origin: Origin | None = Field(default=None, exclude=True, repr=False)

    def _value(self) -> tuple[Any, ...]:
        return tuple(v for k, v in self.__dict__.items() if k != "origin")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceRecord):
            return NotImplemented
        return type(self) is type(other) and self._value() == other._value()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._value()))


class Dated(SourceRecord):
    """A record that applies from ``start_date`` until ``end_date`` (open when None)."""

    start_date: date
    end_date: date | None = None

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end_date is not None and self.end_date < self.start_date:
            raise field_error("end_date", "is before start_date")
        return self

    def current_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)
