"""``--with-errors``: a known set of bad rows, each in a different service user, so that
a reader's rejects can be checked against exactly what was broken (file, line, column).

Every kind of bad input the readers must report is here: an invalid NHS number, an
impossible date, an unknown code, a duplicate id, a missing required value, a reference
to a record that does not exist, and a row for a service user who is not in the extract.
One fault is in records that read well but disagree with each other (an action given to
someone outside the care team), which the mapping rejects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlanAction
from fhircare.source.local_codes import PerformerKind
from fhircare.source.mapping_file import RecordPlan
from fhircare.source.records import RECORD_TYPES
from fhircare.synth.directory import TrustDirectory

#: a team whose staff are in no synthetic care team
UNALLOCATED_TEAM = "T-REHAB"

#: the id of the service user the stray row names (no synthetic service user has it)
UNKNOWN_SERVICE_USER = "P999999"


def _column(plan: RecordPlan, field: str) -> str:
    column = plan.column_for(field)
    if column is None:
        raise ValueError(f"the layout maps no column for {plan.record_type.name}.{field}")
    return column


def _impossible_date(fmt: str) -> str:
    """The 31st of February in the column's own format."""
    return fmt.replace("%d", "31").replace("%m", "02").replace("%Y", "2025").replace("%b", "Feb")


def _invalid_nhs_number(row: dict[str, Any], plan: RecordPlan) -> str:
    column = _column(plan, "nhs_number")
    number = str(row[column])
    row[column] = number[:9] + str((int(number[9]) + 1) % 10)
    return column


def _bad_date(row: dict[str, Any], plan: RecordPlan) -> str:
    column = next(c for c in plan.columns if c.field.name == "start_date")
    row[column.source] = _impossible_date(column.options.date_formats[0])
    return column.source


def _unknown_code(row: dict[str, Any], plan: RecordPlan) -> str:
    column = _column(plan, "life_areas")
    row[column] = "XYZ" if plan.format == "csv" else ["XYZ"]
    return column


def _missing_value(row: dict[str, Any], plan: RecordPlan) -> str:
    column = _column(plan, "team_id")
    row[column] = None
    return column


def _unknown_reference(row: dict[str, Any], plan: RecordPlan) -> str:
    column = _column(plan, "performer_id")
    row[column] = "S99999"
    return column


def _duplicate(row: dict[str, Any], plan: RecordPlan) -> str:
    """The second row of an id, saying something else (a row repeated whole is no
    duplicate: the reader reads it once)."""
    description = _column(plan, "description")
    row[description] = f"{row[description]} (entered again, differently)"
    return _column(plan, plan.record_type.key[0])


def _stranger_performer(row: dict[str, Any], plan: RecordPlan, directory: TrustDirectory) -> str:
    """A member of staff who exists but is in nobody's care team (the rehabilitation team's
    manager): the row reads, and the service user is rejected when mapped."""
    column = _column(plan, "performer_id")
    row[column] = directory.manager(UNALLOCATED_TEAM).staff_id
    return column


@dataclass(frozen=True)
class Fault:
    kind: str
    record_type: str
    #: which record of the service user gets the fault (the first that matches)
    applies: Callable[[BaseModel], bool]
    edit: Callable[..., str]
    #: the row is written twice (the second copy is the fault)
    repeat: bool = False
    #: ``edit`` also takes the trust directory (``directory=``)
    needs_directory: bool = False
    #: found when mapping (records that disagree), not when reading
    found_by: str = "read"

    def target(self, record: ServiceUserRecord) -> BaseModel | None:
        return next((m for m in record.records() if self._type_matches(m) and self.applies(m)), None)

    def _type_matches(self, model: BaseModel) -> bool:
        return type(model) is RECORD_TYPES[self.record_type].model


def _staff_action(model: BaseModel) -> bool:
    return isinstance(model, CarePlanAction) and model.performer_kind is PerformerKind.STAFF


FAULTS: tuple[Fault, ...] = (
    Fault("invalid-nhs-number", "service_user", lambda m: getattr(m, "nhs_number", None) is not None,
          _invalid_nhs_number),
    Fault("bad-date", "care_plan", lambda m: True, _bad_date),
    Fault("unknown-code", "goal", lambda m: True, _unknown_code),
    Fault("duplicate-id", "care_plan_need", lambda m: True, _duplicate, repeat=True),
    Fault("missing-value", "care_team_member", lambda m: True, _missing_value),
    Fault("unknown-reference", "care_plan_action", _staff_action, _unknown_reference),
    Fault("performer-not-in-care-team", "care_plan_action", _staff_action, _stranger_performer,
          needs_directory=True, found_by="consistency"),
)  # fmt: skip
