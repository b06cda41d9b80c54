"""The record types a trust extract holds, and the fields a mapping file can fill.

Each record type names its model, the field(s) that identify a record, how its rows find
their service user (their own ``service_user_id`` or their parent record's), where its
records go in a :class:`~fhircare.source.bundle.ServiceUserRecord`, and which other
records it refers to. The mapping-file loader checks column names against
:attr:`RecordType.fields`; the readers use the rest.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import AwareDatetime, BaseModel

from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import (
    CarePlan,
    CarePlanAction,
    CarePlanNeed,
    CarePlanReview,
    CtpArea,
    Goal,
    PlanShare,
    PlanStatement,
    ReviewParticipant,
)
from fhircare.source.care_team import CareTeamMember, Organisation, Service, StaffMember, Team
from fhircare.source.carers import CarerInformation, CarersAssessment, ConsentDecision, Contact
from fhircare.source.clinical import Medication, RiskAssessment, RiskFactor
from fhircare.source.codes import DataAbsentReason, DialogItem
from fhircare.source.dialog import DialogAssessment, DialogRating
from fhircare.source.episode import CareArrangement, CareEpisode
from fhircare.source.local_codes import MemberKind, PerformerKind
from fhircare.source.movement import InpatientStay, Leave, OutOfAreaPlacement, Section117Entitlement, TeamTransfer
from fhircare.source.service_user import CapacityAssessment, LegalStatus, ReasonableAdjustment, ServiceUser

FieldKind = Literal["text", "int", "bool", "date", "datetime", "code", "codes"]

#: fields of the model that never come from a column of their own
_NOT_ROW_FIELDS = frozenset({"origin", "ratings"})


@dataclass(frozen=True)
class FieldSpec:
    """A canonical field a column can be mapped to."""

    name: str
    kind: FieldKind
    required: bool
    #: the code list of a ``code`` or ``codes`` field
    codes: type[StrEnum] | None = None
    #: False for fields used to find the service user but not kept in the record
    stored: bool = True


@dataclass(frozen=True)
class Ref:
    """A field holding the id of another record (``target``: a record type name)."""

    field: str
    target: str


@dataclass(frozen=True)
class KindRef:
    """A pair of fields: a kind (``kind_field``) saying which record type ``id_field``
    refers to; kinds absent from ``targets`` refer to nothing (the service user)."""

    kind_field: str
    id_field: str
    targets: dict[str, str]


@dataclass(frozen=True)
class RecordType:
    name: str
    model: type[BaseModel]
    key: tuple[str, ...]
    #: the bundle field its records go to (None: merged into its parent record)
    collection: str | None
    #: (parent record type, field holding the parent's id) for rows that find their
    #: service user through their parent
    parent: tuple[str, str] | None = None
    directory: bool = False
    refs: tuple[Ref | KindRef, ...] = ()
    extra_fields: tuple[FieldSpec, ...] = field(default=())

    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        """Every field a column can fill, by name."""
        specs: dict[str, FieldSpec] = {}
        for name, info in self.model.model_fields.items():
            if name in _NOT_ROW_FIELDS:
                continue
            kind, codes = _kind_of(info.annotation)
            specs[name] = FieldSpec(name, kind, info.is_required(), codes)
        for extra in self.extra_fields:
            specs[extra.name] = extra
        if not self.directory and "service_user_id" not in specs:
            specs["service_user_id"] = FieldSpec("service_user_id", "text", False, stored=False)
        return specs

    @property
    def top_level(self) -> bool:
        """Its rows carry their own service user id (not found through a parent)."""
        return not self.directory and self.parent is None


def _kind_of(annotation: object) -> tuple[FieldKind, type[StrEnum] | None]:
    """The field kind of a model annotation (Optional and Annotated unwrapped)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            break
    if typing.get_origin(annotation) is tuple:
        inner = typing.get_args(annotation)[0]
        kind, codes = _kind_of(inner)
        if kind != "code":
            raise TypeError(f"only tuples of codes are row fields, not {annotation!r}")
        return "codes", codes
    if isinstance(annotation, type):
        if issubclass(annotation, StrEnum):
            return "code", annotation
        if annotation is bool:
            return "bool", None
        if annotation is int:
            return "int", None
        if annotation is datetime or annotation is AwareDatetime:
            return "datetime", None
        if annotation is date:
            return "date", None
        if annotation is str:
            return "text", None
    raise TypeError(f"no field kind for {annotation!r}")


_PERFORMER_TARGETS = {
    PerformerKind.CARER.value: "contact",
    PerformerKind.STAFF.value: "staff",
    PerformerKind.TEAM.value: "team",
    PerformerKind.PARTNER_ORGANISATION.value: "organisation",
    PerformerKind.SERVICE.value: "service",
}
_MEMBER_TARGETS = {
    MemberKind.STAFF.value: "staff",
    MemberKind.TEAM.value: "team",
    MemberKind.ORGANISATION.value: "organisation",
    MemberKind.CONTACT.value: "contact",
}

#: the wide form of DIALOG: one column per item for its rating, "more help" and reason
DIALOG_WIDE_FIELDS: tuple[FieldSpec, ...] = tuple(
    spec
    for item in DialogItem
    for spec in (
        FieldSpec(f"rating.{item.value}", "int", False),
        FieldSpec(f"more_help.{item.value}", "bool", False),
        FieldSpec(f"not_rated_reason.{item.value}", "code", False, DataAbsentReason),
    )
)

RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        RecordType(
            "service_user",
            ServiceUser,
            ("service_user_id",),
            "service_user",
            refs=(Ref("gp_practice_id", "organisation"),),
        ),
        RecordType("legal_status", LegalStatus, ("legal_status_id",), "legal_statuses"),
        RecordType(
            "reasonable_adjustment", ReasonableAdjustment, ("reasonable_adjustment_id",), "reasonable_adjustments"
        ),
        RecordType(
            "capacity_assessment",
            CapacityAssessment,
            ("capacity_assessment_id",),
            "capacity_assessments",
            refs=(Ref("assessor_staff_id", "staff"),),
        ),
        RecordType(
            "care_episode",
            CareEpisode,
            ("episode_id",),
            "episodes",
            refs=(Ref("team_id", "team"), Ref("previous_episode_id", "care_episode")),
        ),
        RecordType(
            "care_arrangement",
            CareArrangement,
            ("arrangement_id",),
            "arrangements",
            refs=(Ref("episode_id", "care_episode"),),
        ),
        RecordType(
            "team_transfer",
            TeamTransfer,
            ("transfer_id",),
            "transfers",
            refs=(
                Ref("from_episode_id", "care_episode"),
                Ref("to_team_id", "team"),
                Ref("to_episode_id", "care_episode"),
            ),
        ),
        RecordType(
            "care_plan",
            CarePlan,
            ("care_plan_id",),
            "care_plans",
            refs=(
                Ref("episode_id", "care_episode"),
                Ref("author_staff_id", "staff"),
                Ref("parent_care_plan_id", "care_plan"),
                Ref("replaces_care_plan_id", "care_plan"),
            ),
        ),
        RecordType("care_plan_need", CarePlanNeed, ("need_id",), "needs", parent=("care_plan", "care_plan_id")),
        RecordType(
            "goal",
            Goal,
            ("goal_id",),
            "goals",
            parent=("care_plan", "care_plan_id"),
            refs=(
                KindRef("expressed_by", "expressed_by_id", _PERFORMER_TARGETS),
                Ref("dialog_assessment_id", "dialog_assessment"),
            ),
        ),
        RecordType(
            "plan_statement",
            PlanStatement,
            ("statement_id",),
            "statements",
            parent=("care_plan", "care_plan_id"),
            refs=(KindRef("expressed_by", "expressed_by_id", _PERFORMER_TARGETS),),
        ),
        RecordType("ctp_area", CtpArea, ("ctp_area_id",), "ctp_areas", parent=("care_plan", "care_plan_id")),
        RecordType(
            "care_plan_action",
            CarePlanAction,
            ("action_id",),
            "actions",
            parent=("care_plan", "care_plan_id"),
            refs=(Ref("goal_id", "goal"), KindRef("performer_kind", "performer_id", _PERFORMER_TARGETS)),
        ),
        RecordType(
            "care_plan_review",
            CarePlanReview,
            ("review_id",),
            "reviews",
            parent=("care_plan", "care_plan_id"),
            refs=(Ref("reviewer_staff_id", "staff"),),
        ),
        RecordType(
            "review_participant",
            ReviewParticipant,
            ("review_participant_id",),
            "review_participants",
            parent=("care_plan_review", "review_id"),
            refs=(KindRef("participant_kind", "participant_id", _PERFORMER_TARGETS),),
        ),
        RecordType(
            "plan_share",
            PlanShare,
            ("share_id",),
            "plan_shares",
            parent=("care_plan", "care_plan_id"),
            refs=(KindRef("recipient_kind", "recipient_id", _PERFORMER_TARGETS), Ref("consent_id", "consent_decision")),
        ),
        RecordType(
            "care_team_member",
            CareTeamMember,
            ("membership_id",),
            "care_team",
            refs=(
                Ref("episode_id", "care_episode"),
                Ref("team_id", "team"),
                KindRef("member_kind", "member_id", _MEMBER_TARGETS),
            ),
        ),
        RecordType("contact", Contact, ("contact_id",), "contacts"),
        RecordType(
            "carers_assessment",
            CarersAssessment,
            ("carers_assessment_id",),
            "carers_assessments",
            parent=("contact", "contact_id"),
            refs=(Ref("assessing_organisation_id", "organisation"),),
        ),
        RecordType(
            "carer_information",
            CarerInformation,
            ("carer_information_id",),
            "carer_information",
            parent=("contact", "contact_id"),
            refs=(Ref("recorded_by_staff_id", "staff"),),
        ),
        RecordType(
            "consent_decision",
            ConsentDecision,
            ("consent_id",),
            "consents",
            refs=(
                Ref("decided_by_contact_id", "contact"),
                Ref("decided_by_staff_id", "staff"),
                Ref("recipient_contact_id", "contact"),
                Ref("recipient_organisation_id", "organisation"),
                Ref("care_plan_id", "care_plan"),
                Ref("capacity_assessment_id", "capacity_assessment"),
            ),
        ),
        RecordType(
            "dialog_assessment",
            DialogAssessment,
            ("dialog_assessment_id",),
            "dialog_assessments",
            refs=(
                Ref("care_plan_id", "care_plan"),
                Ref("episode_id", "care_episode"),
                Ref("author_staff_id", "staff"),
            ),
            extra_fields=DIALOG_WIDE_FIELDS,
        ),
        RecordType(
            "dialog_rating",
            DialogRating,
            ("dialog_assessment_id", "item"),
            None,
            parent=("dialog_assessment", "dialog_assessment_id"),
            extra_fields=(FieldSpec("dialog_assessment_id", "text", True),),
        ),
        RecordType(
            "inpatient_stay",
            InpatientStay,
            ("stay_id",),
            "inpatient_stays",
            refs=(Ref("episode_id", "care_episode"), Ref("provider_organisation_id", "organisation")),
        ),
        RecordType("leave", Leave, ("leave_id",), "leave", parent=("inpatient_stay", "stay_id")),
        RecordType(
            "out_of_area_placement",
            OutOfAreaPlacement,
            ("placement_id",),
            "out_of_area_placements",
            refs=(Ref("provider_organisation_id", "organisation"),),
        ),
        RecordType(
            "section_117",
            Section117Entitlement,
            ("section_117_id",),
            "section_117",
            refs=(
                Ref("health_body_organisation_id", "organisation"),
                Ref("local_authority_organisation_id", "organisation"),
            ),
        ),
        RecordType(
            "risk_assessment",
            RiskAssessment,
            ("risk_assessment_id",),
            "risk_assessments",
            refs=(Ref("assessor_staff_id", "staff"),),
        ),
        RecordType(
            "risk_factor",
            RiskFactor,
            ("risk_factor_id",),
            "risk_factors",
            parent=("risk_assessment", "risk_assessment_id"),
        ),
        RecordType(
            "medication",
            Medication,
            ("medication_id",),
            "medications",
            refs=(Ref("prescriber_staff_id", "staff"),),
        ),
        RecordType(
            "staff",
            StaffMember,
            ("staff_id",),
            "staff",
            directory=True,
            refs=(Ref("team_id", "team"),),
        ),
        RecordType(
            "team",
            Team,
            ("team_id",),
            "teams",
            directory=True,
            refs=(Ref("organisation_id", "organisation"), Ref("manager_staff_id", "staff")),
        ),
        RecordType("organisation", Organisation, ("organisation_id",), "organisations", directory=True),
        RecordType(
            "service",
            Service,
            ("service_id",),
            "services",
            directory=True,
            refs=(Ref("organisation_id", "organisation"), Ref("team_id", "team")),
        ),
    )
}


#: the record type of each model class (DialogRating has none: it is part of its assessment)
_BY_MODEL: dict[type[BaseModel], RecordType] = {rt.model: rt for rt in RECORD_TYPES.values() if rt.collection}


def record_type_of(model: BaseModel) -> RecordType:
    """The record type a record belongs to."""
    return _BY_MODEL[type(model)]


def _check_registry() -> None:
    """Every collection is a field of ServiceUserRecord; every ref names a known type."""
    bundle_fields = ServiceUserRecord.model_fields
    for rt in RECORD_TYPES.values():
        if rt.collection is not None and rt.collection not in bundle_fields:
            raise AssertionError(f"{rt.name}: no bundle field {rt.collection}")
        targets = [r.target for r in rt.refs if isinstance(r, Ref)]
        targets += [t for r in rt.refs if isinstance(r, KindRef) for t in r.targets.values()]
        if rt.parent is not None:
            targets.append(rt.parent[0])
        for target in targets:
            if target not in RECORD_TYPES:
                raise AssertionError(f"{rt.name}: unknown target {target}")
        for key in rt.key:
            if key not in rt.fields:
                raise AssertionError(f"{rt.name}: key {key} is not a field")


_check_registry()
