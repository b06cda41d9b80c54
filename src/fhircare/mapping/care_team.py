"""The service user's care team (fhircare-care-team): the named key worker and the MDT.

One CareTeam per service user, across the teams of their episodes: during a transfer
the key worker stays with the originating team while the receiving team joins (EC-10),
and one team keeps one named key worker (fhircare-care-team-1). Every membership is a
participant with its own period, so a change of key worker is a closed period and a
new one, never an overwrite (EC-06).
"""

from __future__ import annotations

from datetime import date

from fhircare.mapping.fhir import (
    STRUCTURE_DEFINITION,
    Json,
    coding,
    concept,
    concept_of,
    extension,
    meta,
    period,
    phone,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import long_date, narrative, sentence
from fhircare.mapping.people import full_name, who
from fhircare.mapping.refs import MEMBER_AS_PERFORMER, Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_team import CareTeamMember
from fhircare.source.codes import SNOMED, ContactRole, CoordinationRole, EpisodeStatus
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


def current_key_workers(record: ServiceUserRecord, day: date) -> list[CareTeamMember]:
    return [m for m in record.care_team if m.is_key_worker and m.current_on(day)]


def awaiting_since(record: ServiceUserRecord) -> date | None:
    """Since when an open episode has been waiting for a key worker to be allocated."""
    dates = [
        e.key_worker_awaiting_since for e in record.episodes if e.status in OPEN_EPISODE and e.key_worker_awaiting_since
    ]
    return min(dates) if dates else None


def _roles(member: CareTeamMember, refs: Refs) -> list[Json]:
    roles: list[Json] = []
    if member.coordination_role is not None:
        roles.append(concept_of(member.coordination_role))
    if member.defaulted:  # the team manager standing in as key worker (EC-02)
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


def _describe(member: CareTeamMember, refs: Refs, *, as_lead: bool = False) -> str:
    roles = (member.discipline,) if as_lead else (member.coordination_role, member.discipline)
    what = [label(r) for r in roles if r is not None]
    who = member_name(member, refs) + (f" ({', '.join(what)})" if what else "")
    if member.end_date is None:
        return f"{who}, since {long_date(member.start_date)}"
    return f"{who}, {long_date(member.start_date)} to {long_date(member.end_date)}"


def _managing_teams(record: ServiceUserRecord) -> list[str]:
    teams = [e.team_id for e in record.episodes if e.status in OPEN_EPISODE]
    teams = teams or [e.team_id for e in record.episodes] or [m.team_id for m in record.care_team]
    return list(dict.fromkeys(teams))


def care_team(record: ServiceUserRecord, refs: Refs) -> Json | None:
    """The care team, or None when the record has no care team members at all."""
    if not record.care_team:
        return None
    as_of = refs.context.as_of
    members = sorted(record.care_team, key=lambda m: (m.start_date, m.membership_id))
    status = care_team_status(record)
    key_workers = current_key_workers(record, as_of)
    waiting = awaiting_since(record) if status == "active" and not key_workers else None
    participants = [
        prune(
            {
                "role": _roles(m, refs),
                "member": refs.member(m.member_kind, m.member_id).reference(),
                "period": period(m.start_date, m.end_date),
            }
        )
        for m in members
    ]
    managing = _managing_teams(record)
    phone_team = key_workers[0].team_id if key_workers else managing[0]
    team_phone = refs.teams[phone_team].phone
    ended = [m.end_date for m in members if m.end_date is not None]
    end = max(ended) if status == "inactive" and len(ended) == len(members) else None
    su = record.service_user
    if key_workers:
        lead = sentence(f"Key worker: {_describe(key_workers[0], refs, as_lead=True)}")
    elif waiting is not None:
        contact = f" Until then contact the team on {team_phone}." if team_phone else ""
        lead = f"{su.given_name} is waiting for a key worker to be allocated (since {long_date(waiting)}).{contact}"
    else:
        lead = "No current key worker."
    others = [_describe(m, refs) for m in members if not (key_workers and m is key_workers[0])]
    return prune(
        {
            "resourceType": "CareTeam",
            "id": refs.care_team.id,
            "meta": meta("fhircare-care-team"),
            "text": narrative(f"{su.given_name}'s care team ({status}).", lead, items=others),
            "extension": (
                [extension(STRUCTURE_DEFINITION + "key-worker-awaiting-allocation", valueDateTime=waiting.isoformat())]
                if waiting is not None
                else None
            ),
            "identifier": [refs.care_team.identifier],
            "status": status,
            "name": f"{full_name(su.given_name, su.family_name)}'s care team",
            "subject": refs.patient.reference(),
            "period": period(members[0].start_date, end),
            "participant": participants,
            "managingOrganization": [refs.team(t).reference() for t in managing],
            "telecom": phone(team_phone),
        }
    )
