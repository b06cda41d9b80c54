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
from datetime import date, datetime

from fhircare.mapping.care_team import (
    OPEN_EPISODE,
    awaiting_since,
    care_team_status,
    current_leads,
    default_contacts,
    role_words,
)
from fhircare.mapping.dialog import dialog_care_plan
from fhircare.mapping.partner_rules import issue_10_rules
from fhircare.mapping.plan_extensions import next_review
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan
from fhircare.source.care_team import CareTeamMember, Organisation
from fhircare.source.carers import ConsentDecision
from fhircare.source.codes import (
    CarePlanStatus,
    CarePlanType,
    CrisisContingencyContent,
)
from fhircare.source.codes import PartnerOrganisationType as OrgType
from fhircare.source.common import SourceRecord
from fhircare.source.local_codes import (
    CapacityDecision,
    CapacityOutcome,
    ConsentDecisionType,
    ConsentKind,
    LegalBasis,
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
        *_consents(record),
        *_dialog(record),
        *_section_117(record),
        *_births(record, as_of),
        *_before_birth(record, as_of),
        *_decided_after_the_run(record, as_of),
        *_death(record, as_of),
        *(Inconsistency(b.record, b.field, b.reason) for b in issue_10_rules(record, as_of)),
    ]


def _care_team(record: ServiceUserRecord, as_of: date) -> Iterator[Inconsistency]:
    """One named lead at a time, in whatever lead role, or an explicit wait with the duty
    worker as default contact (004 §3.4); a default lead only as 004 §3.11 allows."""
    leads = current_leads(record, as_of)
    for extra in leads[1:]:
        yield Inconsistency(
            extra,
            "coordination_role",
            f"a second current named lead (membership {leads[0].membership_id}, {role_words(leads[0])}, is"
            " current too): the care team has one named lead at a time",
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
        if member.defaulted:
            yield from _default_lead(record, member)
    if leads or care_team_status(record) != "active" or not (record.care_team or record.episodes):
        return
    waiting = awaiting_since(record)
    # the open episode that should have the lead (or the one waiting) is to blame
    open_episodes = [e for e in record.episodes if e.status in OPEN_EPISODE]
    blame: SourceRecord = next(iter(open_episodes or record.episodes), record.service_user)
    if waiting is None:
        yield Inconsistency(
            blame,
            "key_worker_awaiting_since",
            f"no current named lead on {as_of.isoformat()} and no open episode waiting for one to be allocated"
            " (every service user has a named key worker or care co-ordinator: 004 §3.5, 001 ¶136)",
        )
        return
    if not default_contacts(record, as_of):
        yield Inconsistency(
            blame,
            "key_worker_awaiting_since",
            "waiting for a named lead, but no current care team member is the duty worker"
            " to be the default contact (004 §3.4)",
        )


def _default_lead(record: ServiceUserRecord, member: CareTeamMember) -> Iterator[Inconsistency]:
    """The receiving team's manager is the lead by default only at inpatient discharge."""
    team = next(t for t in record.teams if t.team_id == member.team_id)
    if team.manager_staff_id is not None and team.manager_staff_id != member.member_id:
        yield Inconsistency(
            member,
            "member_id",
            f"a default lead is the manager of the receiving team (004 §3.11), and {team.team_id}'s manager"
            f" is {team.manager_staff_id}",
        )
    discharges = [s.discharged_at.date() for s in record.inpatient_stays if s.discharged_at is not None]
    if not any(day <= member.start_date for day in discharges):
        yield Inconsistency(
            member,
            "defaulted",
            "the team manager is the lead by default only when no lead was identified at an inpatient"
            " discharge (004 §3.11), and no discharge comes before this",
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
    yield from _one_current_plan(record)


def _one_current_plan(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    """One authoritative active plan of a kind per episode (DE-076, DD-13): an extract that
    gives every version of a plan its series' status, and says nothing of which replaces
    which, would share superseded actions, contacts and crisis steps beside the current
    ones, each looking current to a partner. (A version another replaces is reported by
    partner_rules, which knows which replaces which.)"""
    replaced = {p.replaces_care_plan_id for p in record.care_plans if p.replaces_care_plan_id}
    kinds: dict[tuple[CarePlanType, str | None, str | None], list[CarePlan]] = {}
    for plan in record.care_plans:
        if plan.status is CarePlanStatus.ACTIVE:
            kinds.setdefault((plan.plan_type, plan.episode_id, plan.parent_care_plan_id), []).append(plan)
    for (kind, episode, _), plans in kinds.items():
        current = max(plans, key=lambda p: (p.version, p.start_date))
        for plan in plans:
            if plan is not current and plan.care_plan_id not in replaced:
                where = f"episode {episode}" if episode else "this service user"
                yield Inconsistency(
                    plan,
                    "status",
                    f"is active beside {current.care_plan_id} (version {current.version}), another active"
                    f" {kind.value.replace('-', ' ')} of {where}: one version is current (DE-076); end the others"
                    " (completed, revoked) or say which it replaces (replaces_care_plan_id)",
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
    not_involved = {c.contact_id for c in record.contacts if c.do_not_involve}
    for goal in record.goals:
        if goal.expressed_by in (PerformerKind.TEAM, PerformerKind.PARTNER_ORGANISATION, PerformerKind.SERVICE):
            yield Inconsistency(
                goal, "expressed_by", "a goal is expressed by the service user, a carer or a member of staff (DE-053)"
            )
        if goal.expressed_by is PerformerKind.CARER and goal.expressed_by_id in not_involved:
            yield Inconsistency(
                goal,
                "expressed_by_id",
                f"names contact {goal.expressed_by_id} as having a say in the plan, whom the service user does not"
                " want involved",
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
    yield from _self_as_contact(record)
    yield from _not_involved_under_another_id(record)


def _not_involved_under_another_id(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    """A contact with the names of a person not to be involved, and no other date of birth,
    is that person under a second id: an export with one row per contact and role (Epic-like,
    fourth layout trial) gave the father as "Carer", flagged do-not-involve, and again as
    "Next of kin", unflagged, and he was shared as an active next of kin with his phone number
    beside the flag saying not to contact him. The involved row is blamed; two people of one
    name are told apart by their dates of birth."""
    flagged = [c for c in record.contacts if c.do_not_involve and c.family_name and c.given_name]
    for contact in record.contacts:
        if contact.do_not_involve or not (contact.family_name and contact.given_name):
            continue
        names = (_folded(contact.family_name), _folded(contact.given_name))
        for other in flagged:
            if (_folded(other.family_name), _folded(other.given_name)) != names:
                continue
            if None not in (contact.birth_date, other.birth_date) and contact.birth_date != other.birth_date:
                continue
            yield Inconsistency(
                contact,
                "do_not_involve",
                f"contact {contact.contact_id} has the names of contact {other.contact_id}, whom the service user"
                " does not want involved: the same person under two ids (one row per role?) would be shared as"
                " someone to contact. Flag every row of theirs, or give them one id",
            )
            break


def _self_as_contact(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    """A contact with the service user's own names and date of birth is the service user,
    linked as their own carer or relative by the export (a join on the wrong id, found by a
    trial of a new layout). Shared as given, the service user would be a RelatedPerson of
    their own record: what a carer asked to keep from the service user (IS-13) would go to
    them as a carer, and a crisis plan would name them as the person to call for them."""
    su = record.service_user
    own = (_folded(su.family_name), _folded(su.given_name), su.birth_date)
    for contact in record.contacts:
        if (_folded(contact.family_name), _folded(contact.given_name), contact.birth_date) == own:
            yield Inconsistency(
                contact,
                "given_name",
                f"contact {contact.contact_id} has the service user's own names and date of birth: the service"
                " user linked as their own contact, to correct in the record",
            )


def _folded(name: str | None) -> str | None:
    """A name compared as a person reads it: case and spacing aside."""
    return " ".join(name.casefold().split()) if name else None


#: who may receive under each legal duty (IS-03: prescribed by legislation)
_DUTY_HOLDERS = {
    LegalBasis.SECTION_117: (OrgType.LOCAL_AUTHORITY, *_HEALTH_BODIES),
    LegalBasis.CARE_ACT: (OrgType.LOCAL_AUTHORITY,),
    LegalBasis.CARERS_ASSESSMENT: (OrgType.LOCAL_AUTHORITY,),
}


def _consents(record: ServiceUserRecord) -> Iterator[Inconsistency]:
    """A consent says only what the records support: nobody not to be involved receives;
    a best-interests decision rests on an assessment that found the service user lacks
    capacity for this decision, made before it (004 §5.7, EC-40); a legal duty is owed to
    the bodies that hold it, for a service user it applies to."""
    not_involved = {c.contact_id for c in record.contacts if c.do_not_involve}
    kinds = {o.organisation_id: o.kind for o in record.organisations}
    for consent in record.consents:
        permit = consent.decision is ConsentDecisionType.PERMIT and consent.kind is ConsentKind.DISCLOSURE
        if permit and consent.recipient_contact_id in not_involved:
            yield Inconsistency(
                consent,
                "recipient_contact_id",
                f"permits sharing with contact {consent.recipient_contact_id}, whom the service user does not want"
                " involved",
            )
        if consent.capacity_assessment_id is not None:
            yield from _best_interests(record, consent, consent.capacity_assessment_id)
        if consent.legal_basis is not None:
            holders = _DUTY_HOLDERS[consent.legal_basis]
            recipients = list(consent.recipient_partner_types)
            if consent.recipient_organisation_id is not None:
                recipients.append(kinds[consent.recipient_organisation_id])
            if not recipients or any(kind not in holders for kind in recipients):
                yield Inconsistency(
                    consent,
                    "legal_basis",
                    f"the {consent.legal_basis.value} duty is owed to "
                    + " or ".join(k.value for k in holders)
                    + ", not to every recipient named",
                )
            day = consent.decided_at.date()
            if consent.legal_basis is LegalBasis.SECTION_117 and not any(s.current_on(day) for s in record.section_117):
                yield Inconsistency(
                    consent, "legal_basis", "no Section 117 after-care entitlement applies on the day of the decision"
                )


def _best_interests(record: ServiceUserRecord, consent: ConsentDecision, assessment_id: str) -> Iterator[Inconsistency]:
    assessment = record.capacity_assessment(assessment_id)
    assert assessment is not None  # the reader resolves every reference
    if assessment.decision is not CapacityDecision.INFORMATION_SHARING:
        yield Inconsistency(
            consent,
            "capacity_assessment_id",
            f"a best-interests sharing decision rests on an assessment of capacity to decide about sharing"
            f" information, and {assessment_id} assessed {assessment.decision.value}",
        )
    if assessment.outcome is not CapacityOutcome.LACKS_CAPACITY:
        yield Inconsistency(
            consent,
            "capacity_assessment_id",
            f"assessment {assessment_id} found capacity: the decision is the service user's own,"
            " not a best-interests one",
        )
    if assessment.assessed_on > consent.decided_at.date():
        yield Inconsistency(
            consent, "capacity_assessment_id", f"assessment {assessment_id} was made after the decision"
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


def _births(record: ServiceUserRecord, as_of: date) -> Iterator[Inconsistency]:
    """A date of birth after the day of the run is a mistake of the record (a year mistyped,
    day and month swapped by a spreadsheet), shared as a fact with every partner: a child
    where an adult is, an age no service can act on (found by a trial of a new layout).
    So is one more than MAX_AGE_YEARS before it, of a living person: the placeholder an EPR
    writes for an unknown date (01/01/1900: a service user of 125 was shared, a fourth
    layout trial), which a partner matching the person on the Spine would take as theirs."""
    reason = "is after the day of the run: a date of birth to correct"
    earliest = _years_before(as_of, MAX_AGE_YEARS)
    too_old = (
        f"is more than {MAX_AGE_YEARS} years before the day of the run: a placeholder for an unknown date"
        " or a year mistyped, a date of birth to correct"
    )
    su = record.service_user
    if su.birth_date > as_of:
        yield Inconsistency(su, "birth_date", reason)
    elif su.birth_date < earliest and su.date_of_death is None:
        yield Inconsistency(su, "birth_date", too_old)
    for contact in record.contacts:
        if contact.birth_date is not None and contact.birth_date > as_of:
            yield Inconsistency(contact, "birth_date", reason)
        elif contact.birth_date is not None and contact.birth_date < earliest:
            yield Inconsistency(contact, "birth_date", too_old)


#: the records whose dates are not the service user's own: the directory's, and the
#: service user's own record (its dates have rules of their own)
_NOT_IN_THEIR_LIFE = ("service_user", "staff", "teams", "organisations", "services")


def care_dates(record: ServiceUserRecord) -> Iterator[tuple[SourceRecord, str, date]]:
    """Every date of the service user's care: each record's date fields (a date and time
    as its day), the directory's and a contact's own date of birth left out."""
    for name in type(record).model_fields:
        if name in _NOT_IN_THEIR_LIFE:
            continue
        for item in getattr(record, name):
            for field_name in type(item).model_fields:
                value = getattr(item, field_name)
                day = value.date() if isinstance(value, datetime) else value
                if isinstance(day, date) and not (name == "contacts" and field_name == "birth_date"):
                    yield item, field_name, day


def _before_birth(record: ServiceUserRecord, as_of: date) -> Iterator[Inconsistency]:
    """A date of the service user's care before they were born: the placeholder an export
    writes for an unknown date (SQL Server's 1 January 1900), a year mistyped. The fifth
    layout trial shared "On 1 January 1900 Lena agreed that her crisis plan may be shared"
    and a key worker "since 1 January 1900", exit 0. A contact's own date of birth is not
    one (a parent is born first). The reason names no date."""
    born = record.service_user.birth_date
    if born > as_of:  # the date of birth is the one to correct (_births)
        return
    for item, field_name, day in care_dates(record):
        if day < born:
            yield Inconsistency(
                item,
                field_name,
                "is before the service user's date of birth: a placeholder for an unknown date (such as"
                " 01/01/1900) or a date to correct",
            )


def _decided_after_the_run(record: ServiceUserRecord, as_of: date) -> Iterator[Inconsistency]:
    """A consent decision, or a wish not to involve someone, recorded after the day of the
    run is a mistake of the record (a year mistyped): shared, a refusal is in force only from
    that day (Consent.provision.period, read by the partner API and by every reader of the
    record), so what the service user refused was shown meanwhile. The fifth layout trial
    mapped a refusal dated 2052 with exit 0. The reasons name no date."""
    for consent in record.consents:
        if consent.decided_at.date() > as_of:
            yield Inconsistency(
                consent,
                "decided_at",
                "is after the day of the run: a date to correct (a refusal would be in force only from that day)",
            )
    for contact in record.contacts:
        recorded = contact.do_not_involve_recorded_at
        if recorded is not None and recorded.date() > as_of:
            yield Inconsistency(
                contact,
                "do_not_involve_recorded_at",
                "is after the day of the run: a date to correct (the flag would be in force only from that day)",
            )


#: older than anyone alive has been (122): a date of birth before it is not a person's
MAX_AGE_YEARS = 120


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _death(record: ServiceUserRecord, as_of: date) -> Iterator[Inconsistency]:
    """A date of death is shared as a fact every partner acts on (no one contacts the person
    again): one after the day of the run, or before the date of birth, is a mistake of the
    record (a year mistyped, day and month swapped, the wrong column mapped), and either
    date may be the wrong one. The reasons name no date: the dates are the person's."""
    su = record.service_user
    if su.date_of_death is None:
        return
    if su.date_of_death > as_of:
        yield Inconsistency(su, "date_of_death", "is after the day of the run: a date of death to correct")
    if su.date_of_death < su.birth_date:
        yield Inconsistency(
            su, "date_of_death", "is before the date of birth: the date of death or the date of birth to correct"
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
