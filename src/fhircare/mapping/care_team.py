"""The service user's care team (fhircare-care-team): the named lead and the MDT.

One CareTeam per service user, across the teams of their episodes: during a transfer
the lead stays with the originating team while the receiving team joins (EC-10). The
named lead is whichever lead role the service user's arrangement uses — key worker
(post-CPA), care co-ordinator (CPA, Wales), lead clinician (Care Support), lead
professional, temporary care co-ordinator, named nurse, TCP case manager — coded as
recorded and never relabelled (002 ¶13). An active team has exactly one current lead, or
says that one is awaited and names the duty worker as the default contact (004 §3.4);
the receiving team's manager standing in at inpatient discharge is a lead marked
``default-lead`` (004 §3.11). Every membership is a participant with its own period, so
a change of lead is a closed period and a new one, never an overwrite (EC-06).
"""

from __future__ import annotations

from datetime import date

from fhircare.mapping.fhir import (
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    coding,
    concept,
    concept_of,
    extension,
    period,
    phone,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import ADDITIONAL, EXTENSIONS, GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import full_name, who
from fhircare.mapping.refs import MEMBER_AS_PERFORMER, Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_team import CareTeamMember
from fhircare.source.codes import SNOMED, CareCoordinationArrangement, ContactRole, CoordinationRole, EpisodeStatus
from fhircare.source.local_codes import MemberKind

#: SNOMED CT roles of the people in a care team who are not staff (standards.md §4.2)
_SERVICE_USER_ROLE = coding(SNOMED, "116154003")  # Patient
_CARER_ROLE = coding(SNOMED, "133932002")  # Caregiver
_ADVOCATE_ROLE = coding(SNOMED, "429577009")  # Patient advocate

#: an episode in one of these is open: the team is involved now (waiting counts)
OPEN_EPISODE = (EpisodeStatus.ACTIVE, EpisodeStatus.WAITLIST)


def care_team_status(record: ServiceUserRecord) -> str:
    """From the service user's episodes: active while any is open (or waiting)."""
    statuses = {e.status for e in record.episodes}
    if statuses & set(OPEN_EPISODE):
        return "active"
    if EpisodeStatus.ON_HOLD in statuses:
        return "suspended"
    if EpisodeStatus.PLANNED in statuses:
        return "proposed"
    return "inactive" if statuses else "active"


def current_leads(record: ServiceUserRecord, day: date) -> list[CareTeamMember]:
    """The members in a lead role (any of them) whose period includes ``day``, the outgoing
    one of a handover on ``day`` left out (``ServiceUserRecord.leads_on``)."""
    return list(record.leads_on(day))


def awaiting_since(record: ServiceUserRecord) -> date | None:
    """Since when an open episode has been waiting for a lead to be allocated."""
    dates = [
        e.key_worker_awaiting_since for e in record.episodes if e.status in OPEN_EPISODE and e.key_worker_awaiting_since
    ]
    return min(dates) if dates else None


#: the lead role each arrangement uses (for saying what is awaited, in words)
_LEAD_OF_ARRANGEMENT = {
    CareCoordinationArrangement.KEY_WORKER: CoordinationRole.KEY_WORKER,
    CareCoordinationArrangement.CPA: CoordinationRole.CARE_COORDINATOR,
    CareCoordinationArrangement.CARE_SUPPORT: CoordinationRole.LEAD_CLINICIAN,
    CareCoordinationArrangement.WALES_STANDARD: CoordinationRole.CARE_COORDINATOR,
    CareCoordinationArrangement.WALES_ENHANCED: CoordinationRole.CARE_COORDINATOR,
}


def awaited_role(record: ServiceUserRecord, day: date) -> CoordinationRole:
    """The lead role the service user's current arrangement uses (key worker when the
    trust records none: the post-CPA default of 002 ¶9(ii))."""
    current = [a for a in record.arrangements if a.current_on(day)]
    if not current:
        return CoordinationRole.KEY_WORKER
    latest = max(current, key=lambda a: (a.start_date, a.arrangement_id))
    return _LEAD_OF_ARRANGEMENT[latest.arrangement]


def default_contacts(record: ServiceUserRecord, day: date) -> list[CareTeamMember]:
    """Who covers while a lead is awaited: the duty worker (004 §3.4)."""
    return [m for m in record.care_team if m.coordination_role is CoordinationRole.DUTY_WORKER and m.current_on(day)]


def _roles(member: CareTeamMember, refs: Refs) -> list[Json]:
    roles: list[Json] = []
    if member.coordination_role is not None:
        roles.append(concept_of(member.coordination_role))
    if member.defaulted:  # the receiving team's manager standing in as the lead (EC-02)
        roles.append(concept_of(CoordinationRole.TEAM_MANAGER))
    if member.discipline is not None:
        roles.append(concept_of(member.discipline))
    if member.member_kind is MemberKind.SERVICE_USER:
        roles.append(concept(_SERVICE_USER_ROLE))
    elif member.member_kind is MemberKind.CONTACT and member.member_id is not None:
        contact = refs.contacts[member.member_id]
        if contact.is_carer:
            roles.append(concept(_CARER_ROLE))
        elif ContactRole.NOMINATED_REPRESENTATIVE in contact.roles:
            roles.append(concept(_ADVOCATE_ROLE))
        else:
            roles.append(concept_of(contact.relationship))
    return roles


def member_name(member: CareTeamMember, refs: Refs) -> str:
    """Who a member is, in words."""
    return who(MEMBER_AS_PERFORMER[member.member_kind], member.member_id, refs)


def role_words(member: CareTeamMember) -> str:
    """The member's coordination role in words (``care co-ordinator``), as recorded."""
    assert member.coordination_role is not None
    return label(member.coordination_role)


def _describe(member: CareTeamMember, refs: Refs, *, as_lead: bool = False) -> str:
    roles = (member.discipline,) if as_lead else (member.coordination_role, member.discipline)
    what = [label(r) for r in roles if r is not None]
    who = member_name(member, refs) + (f" ({', '.join(what)})" if what else "")
    if member.end_date is None:
        return f"{who}, since {long_date(member.start_date)}"
    return f"{who}, {long_date(member.start_date)} to {long_date(member.end_date)}"


def lead_sentence(lead: CareTeamMember, refs: Refs) -> str:
    """``Care co-ordinator: Jo Bloggs (social worker), since 1 May 2024.``"""
    by_default = " by default, until one is allocated (the receiving team's manager)" if lead.defaulted else ""
    return sentence(f"{role_words(lead).capitalize()}{by_default}: {_describe(lead, refs, as_lead=True)}")


def _managing_teams(record: ServiceUserRecord) -> list[str]:
    teams = [e.team_id for e in record.episodes if e.status in OPEN_EPISODE]
    teams = teams or [e.team_id for e in record.episodes] or [m.team_id for m in record.care_team]
    return list(dict.fromkeys(teams))


def _participant(member: CareTeamMember, refs: Refs) -> Json:
    return prune(
        {
            "extension": (
                [extension(STRUCTURE_DEFINITION + "default-lead", valueBoolean=True)] if member.defaulted else None
            ),
            "role": _roles(member, refs),
            "member": refs.member(member.member_kind, member.member_id).reference(),
            "period": period(member.start_date, member.end_date),
        }
    )


def care_team(record: ServiceUserRecord, refs: Refs) -> Json | None:
    """The care team, or None when the record has no care team members at all."""
    if not record.care_team:
        return None
    as_of = refs.context.as_of
    members = sorted(record.care_team, key=lambda m: (m.start_date, m.membership_id))
    status = care_team_status(record)
    leads = current_leads(record, as_of)
    waiting = awaiting_since(record) if status == "active" and not leads else None
    managing = _managing_teams(record)
    phone_team = leads[0].team_id if leads else managing[0]
    team_phone = refs.teams[phone_team].phone
    ended = [m.end_date for m in members if m.end_date is not None]
    end = max(ended) if status == "inactive" and len(ended) == len(members) else None
    su = record.service_user
    if status == "inactive":
        # care has ended: an allocation the export never closed is not a lead to call (fifth
        # layout trial: "Key worker: ..., since ..." on a discharged service user's team)
        leads = []
    if leads:
        lead = lead_sentence(leads[0], refs)
    elif waiting is not None:
        awaited = label(awaited_role(record, as_of))
        contact = f" Until then contact the team's duty worker on {team_phone}." if team_phone else ""
        lead = f"{su.given_name} is waiting for a {awaited} to be allocated (since {long_date(waiting)}).{contact}"
    else:
        lead = "No current named lead."
    others = [_describe(m, refs) for m in members if not (leads and m is leads[0])]
    return prune(
        {
            "resourceType": "CareTeam",
            "id": refs.care_team.id,
            "meta": about_service_user("fhircare-care-team"),
            # the role awaited comes from the arrangement (another record); a default lead is an extension
            "text": narrative(
                f"{su.given_name}'s care team ({status}).",
                lead,
                items=others,
                status=ADDITIONAL if waiting else EXTENSIONS if any(m.defaulted for m in members) else GENERATED,
            ),
            "extension": (
                [extension(STRUCTURE_DEFINITION + "lead-awaiting-allocation", valueDateTime=waiting.isoformat())]
                if waiting is not None
                else None
            ),
            "identifier": [refs.care_team.identifier],
            "status": status,
            "name": f"{full_name(su.given_name, su.family_name)}'s care team",
            "subject": refs.patient.reference(),
            "period": period(members[0].start_date, end),
            "participant": [_participant(m, refs) for m in members],
            "managingOrganization": [refs.team(t).reference() for t in managing],
            "telecom": phone(team_phone),
        }
    )
