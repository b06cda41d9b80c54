"""Rules across one service user's records, checked before anything of theirs is mapped.

The readers check each record and that every id resolves; these rules check that the
records agree with each other and can be said in the profiles at all: an action given
to a member of staff who is not in the care team, a plan shared with someone the
service user does not want involved, two current key workers. Any broken rule rejects
the service user whole (DESIGN.md "Bundles"): nothing of theirs is emitted.

Each :class:`Inconsistency` names the record and canonical field to blame, so the
rejects report can point at the file, line and column the trust wrote it in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from fhircare.mapping.care_plan import next_review
from fhircare.mapping.care_team import OPEN_EPISODE, awaiting_since, care_team_status, current_key_workers
from fhircare.mapping.dialog import dialog_care_plan
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan
from fhircare.source.care_team import Organisation
from fhircare.source.carers import ConsentDecision
from fhircare.source.codes import (
    CarePlanStatus,
    CarePlanType,
    CoordinationRole,
    CrisisContingencyContent,
)
from fhircare.source.codes import PartnerOrganisationType as OrgType
from fhircare.source.common import SourceRecord
from fhircare.source.local_codes import (
    ConsentDecisionType,
    ConsentKind,
    MemberKind,
    PerformerKind,
)
from fhircare.source.mapping_schema import TrustMapping
from fhircare.source.records import record_type_of
from fhircare.source.results import Problem

#: plans that must say whom to contact and what to look out for (fhircare-care-plan-3)
_CRISIS_TYPES = (CarePlanType.CRISIS_PLAN, CarePlanType.CONTINGENCY_PLAN)
_LOOK_OUT_FOR = (CrisisContingencyContent.TRIGGER, CrisisContingencyContent.EARLY_WARNING_SIGN)
_HEALTH_BODIES = (OrgType.INTEGRATED_CARE_BOARD, OrgType.LOCAL_HEALTH_BOARD)


@dataclass(frozen=True)
class Inconsistency:
    """A rule one service user's records break: the record and field to blame, and why."""

    record: SourceRecord
    field: str | None
    reason: str

    def to_problem(self, mapping: TrustMapping, service_user_id: str) -> Problem:
        """The problem as the rejects report gives it: file, line and the trust's column."""
        rt = record_type_of(self.record)
        plan = mapping.records.get(rt.name)
        column = plan.column_for(self.field) if plan is not None and self.field else None
        origin = self.record.origin
        return Problem(
            origin.file if origin else "",
            origin.line if origin else None,
            column,
            self.reason,
            target=self.field,
            record_type=rt.name,
            service_user_id=service_user_id,
        )


def check_consistency(record: ServiceUserRecord, as_of: date) -> list[Inconsistency]:
    """Every rule the records break (empty when they can be mapped)."""
    return [
        *_care_team(record, as_of),
        *_directory(record),
        *_plans(record),
        *_actions(record),
        *_goals(record),
        *_shares(record),
        *_carers(record),
        *_dialog(record),
        *_section_117(record),
    ]


def _care_team(record: ServiceUserRecord, as_of: date) -> Iterator[Inconsistency]:
    """One named key worker at a time, or an explicit wait with a default contact (004 §3.4, §3.11)."""
    key_workers = current_key_workers(record, as_of)
    for extra in key_workers[1:]:
        yield Inconsistency(
            extra,
            "coordination_role",
            f"a second current key worker (membership {key_workers[0].membership_id} is current too):"
            " the care team has one named key worker at a time",
        )
    for member in record.care_team:
        if member.member_kind is MemberKind.CONTACT and member.member_id is not None:
            contact = next(c for c in record.contacts if c.contact_id == member.member_id)
            if contact.do_not_involve:
                yield Inconsistency(
                    member,
                    "member_id",
                    f"names contact {contact.contact_id}, whom the service user does not want involved",
                )
    if key_workers or care_team_status(record) != "active" or not (record.care_team or record.episodes):
        return
    waiting = awaiting_since(record)
    # the open episode that should have the key worker (or the one waiting) is to blame
    open_episodes = [e for e in record.episodes if e.status in OPEN_EPISODE]
    blame: SourceRecord = next(iter(open_episodes or record.episodes), record.service_user)
    if waiting is None:
        yield Inconsistency(
            blame,
            "key_worker_awaiting_since",
            f"no current key worker on {as_of.isoformat()} and no open episode waiting for one to be allocated"
            " (004 §3.5: every service user has a named key worker)",
        )
        return
    managers = [
        m for m in record.care_team if m.coordination_role is CoordinationRole.TEAM_MANAGER and m.current_on(as_of)
    ]
    if not managers:
        yield Inconsistency(
            blame,
            "key_worker_awaiting_since",
            "waiting for a key worker, but no current care team member is the team manager"
            " to be the default contact (004 §3.11)",
        )


def _directory(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    for staff in record.staff:
        if staff.sds_job_role is None and staff.discipline is None:
            yield Inconsistency(
                staff,
                "discipline",
                f"staff {staff.staff_id} has neither a job role nor a discipline to say what they do",
            )


def _plans(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    for plan in record.care_plans:
        if plan.status is CarePlanStatus.ACTIVE and next_review(plan, record) is None:
            yield Inconsistency(
                plan,
                "next_review_date",
                "an active plan records when it is next reviewed, as a date or a timeframe (000 §3.4.2)",
            )
        if plan.plan_type in _CRISIS_TYPES:
            contents = {a.content for a in record.actions if a.care_plan_id == plan.care_plan_id}
            if CrisisContingencyContent.CRISIS_CONTACT not in contents or not contents & set(_LOOK_OUT_FOR):
                yield Inconsistency(
                    plan,
                    "plan_type",
                    f"a {plan.plan_type.value.replace('-', ' ')} says whom to contact (crisis-contact) and what to look"
                    " out for (trigger or early-warning-sign) (000 §3.3.11)",
                )
        parent = _plan(record, plan.parent_care_plan_id)
        if parent is not None and parent.is_sub_plan:
            yield Inconsistency(
                plan, "parent_care_plan_id", f"names {parent.care_plan_id}, which is itself part of another plan"
            )


def _plan(record: ServiceUserRecord, care_plan_id: str | None) -> CarePlan | None:
    return next((p for p in record.care_plans if p.care_plan_id == care_plan_id), None) if care_plan_id else None


def _actions(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    """Actions go to the service user, carers, the care team's staff, teams or partners (DE-054)."""
    staff_in_team = {m.member_id for m in record.care_team if m.member_kind is MemberKind.STAFF}
    not_involved = {c.contact_id for c in record.contacts if c.do_not_involve}
    for action in record.actions:
        if action.performer_kind is PerformerKind.STAFF and action.performer_id not in staff_in_team:
            yield Inconsistency(
                action,
                "performer_id",
                f"assigns the action to staff {action.performer_id}, who is not in the care team",
            )
        if action.performer_kind is PerformerKind.CARER and action.performer_id in not_involved:
            yield Inconsistency(
                action,
                "performer_id",
                f"assigns the action to contact {action.performer_id}, whom the service user does not want involved",
            )


def _goals(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    for goal in record.goals:
        if goal.expressed_by in (PerformerKind.TEAM, PerformerKind.PARTNER_ORGANISATION):
            yield Inconsistency(
                goal, "expressed_by", "a goal is expressed by the service user, a carer or a member of staff (DE-053)"
            )


def _permits(consent: ConsentDecision, kind: PerformerKind, local_id: str | None, org: Organisation | None) -> bool:
    """Whether a consent permits disclosure to this recipient."""
    if consent.kind is not ConsentKind.DISCLOSURE or consent.decision is not ConsentDecisionType.PERMIT:
        return False
    if kind is PerformerKind.CARER:
        return consent.recipient_contact_id == local_id
    if kind is PerformerKind.PARTNER_ORGANISATION and org is not None:
        return consent.recipient_organisation_id == local_id or org.kind in consent.recipient_partner_types
    return False


def _shares(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    """A copy of a plan goes only where it may go (004 §3.15 "with service users consent")."""
    not_involved = {c.contact_id for c in record.contacts if c.do_not_involve}
    for share in record.plan_shares:
        if share.recipient_kind is PerformerKind.CARER and share.recipient_id in not_involved:
            yield Inconsistency(
                share,
                "recipient_id",
                f"the plan was shared with contact {share.recipient_id}, whom the service user does not want involved",
            )
        if share.consent_id is None:
            continue
        consent = next(c for c in record.consents if c.consent_id == share.consent_id)
        org = next((o for o in record.organisations if o.organisation_id == share.recipient_id), None)
        if share.recipient_kind is not PerformerKind.SERVICE_USER and not _permits(
            consent, share.recipient_kind, share.recipient_id, org
        ):
            yield Inconsistency(
                share, "consent_id", f"consent {consent.consent_id} does not permit sharing with this recipient"
            )
        elif consent.decided_at > share.shared_at:
            yield Inconsistency(
                share, "consent_id", f"the plan was shared before consent {consent.consent_id} was given"
            )
        elif consent.end_date is not None and share.shared_at.date() > consent.end_date:
            yield Inconsistency(share, "consent_id", f"the plan was shared after consent {consent.consent_id} ended")


def _carers(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    contacts = {c.contact_id: c for c in record.contacts}
    for assessment in record.carers_assessments:
        if not contacts[assessment.contact_id].is_carer:
            yield Inconsistency(
                assessment,
                "contact_id",
                f"contact {assessment.contact_id} is not a carer, so has no carer's assessment",
            )
    for consent in record.consents:
        if consent.kind is ConsentKind.COLLECTION and consent.decision is ConsentDecisionType.DENY:
            contact = contacts[consent.decided_by_contact_id or ""]
            held = [f for f in ("family_name", "given_name", "phone", "birth_date") if getattr(contact, f) is not None]
            if held:
                yield Inconsistency(
                    contact,
                    held[0],
                    f"contact {contact.contact_id} refused to have their details recorded (consent"
                    f" {consent.consent_id}) but the record holds their {', '.join(held).replace('_', ' ')}",
                )


def _dialog(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    for assessment in record.dialog_assessments:
        if dialog_care_plan(assessment, record) is None:
            yield Inconsistency(
                assessment,
                "care_plan_id",
                "names no care plan, and no single main plan of its episode was in force on the day:"
                " DIALOG is linked to the care plan it informs (004 §3.3)",
            )


def _section_117(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    """Section 117 is the joint duty of a health body and a local authority (R-48)."""
    kinds = {o.organisation_id: o.kind for o in record.organisations}
    for entitlement in record.section_117:
        if kinds[entitlement.health_body_organisation_id] not in _HEALTH_BODIES:
            yield Inconsistency(
                entitlement,
                "health_body_organisation_id",
                "names an organisation that is not an ICB or a local health board",
            )
        if kinds[entitlement.local_authority_organisation_id] is not OrgType.LOCAL_AUTHORITY:
            yield Inconsistency(
                entitlement, "local_authority_organisation_id", "names an organisation that is not a local authority"
            )
