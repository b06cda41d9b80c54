"""Synthetic service users: who they are, their episode and care team, carers and
consents, DIALOG, and the movements (admission, leave, transfer, placement, s117).

Each service user is made from ``random.Random("<seed>:<index>")`` alone, so the output
is the same for the same seed whatever else changes, and one service user at a time is
held in memory. The records are real models: the generator cannot make an invalid one.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import fhircare.synth.names as names
from fhircare.source.assemble import directory_closure, directory_refs, make_bundle
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.codes import (
    CareCoordinationArrangement,
    CoordinationRole,
    Discipline,
    EpisodeStatus,
    Gender,
    NhsNumberStatus,
)
from fhircare.source.episode import CareArrangement, CareEpisode
from fhircare.source.local_codes import (
    CapacityDecision,
    CapacityOutcome,
    CommunicationNeed,
    EthnicCategory,
    Jurisdiction,
    MemberKind,
)
from fhircare.source.records import record_type_of
from fhircare.source.service_user import CapacityAssessment, ServiceUser
from fhircare.synth.carers import add_contacts
from fhircare.synth.clinical import add_clinical, add_community_legal_status
from fhircare.synth.dialog import add_dialog
from fhircare.synth.directory import (
    COMMUNITY_TEAMS,
    ENGLISH_GPS,
    VCSE,
    WELSH_GP,
    WELSH_TEAM,
    TrustDirectory,
)
from fhircare.synth.draft import Draft
from fhircare.synth.events import add_movements
from fhircare.synth.plans import add_plans
from fhircare.synth.scenarios import SCENARIOS, EdgeCase


def make_service_user(index: int, seed: int, as_of: date, directory: TrustDirectory, nhs: str) -> ServiceUserRecord:
    """The complete record bundle of synthetic service user ``index``."""
    rng = random.Random(f"fhircare-synth:{seed}:{index}")
    scenario = SCENARIOS[index % len(SCENARIOS)]
    draft = Draft(index, rng, as_of, directory, scenario, welsh=scenario == EdgeCase.WELSH_SERVICE_USER)
    _service_user(draft, nhs)
    _episode(draft)
    _care_team(draft)
    add_contacts(draft)
    add_plans(draft)
    add_dialog(draft)
    add_movements(draft)
    add_community_legal_status(draft)
    add_clinical(draft)
    if draft.chance(0.1):
        _capacity(draft)
    typed = [(record_type_of(m), m) for m in draft.records]
    return make_bundle([*draft.records, *directory_closure(directory_refs(typed), directory.entries)])


def _service_user(draft: Draft, nhs: str) -> None:
    rng = draft.rng
    gender = rng.choices((Gender.FEMALE, Gender.MALE, Gender.OTHER, Gender.UNKNOWN), (48, 48, 3, 1))[0]
    young_parent = draft.scenario == EdgeCase.YOUNG_CARER
    age = rng.randint(32, 55) if young_parent else rng.randint(18, 84)
    birth = draft.day(age * 365 + rng.randint(0, 364))
    needs: list[CommunicationNeed] = []
    language = "cy" if draft.welsh else "en"
    interpreter = False
    if draft.welsh:
        needs.append(CommunicationNeed.WELSH_LANGUAGE)
    elif draft.chance(0.05):
        language, interpreter = rng.choice(("pl", "ur", "pa", "ro")), True
        needs.append(CommunicationNeed.INTERPRETER)
    if draft.chance(0.08):
        needs.append(rng.choice((CommunicationNeed.EASY_READ, CommunicationNeed.BSL, CommunicationNeed.LARGE_PRINT)))
    verified = draft.chance(0.9)
    draft.service_user = ServiceUser(
        service_user_id=draft.su_id,
        nhs_number=nhs,
        nhs_number_status=NhsNumberStatus.VERIFIED if verified else NhsNumberStatus.NOT_TRACED,
        family_name=names.family_name(rng, draft.welsh),
        given_name=names.given_name(rng, gender.value, draft.welsh),
        other_given_names=names.given_name(rng, gender.value) if draft.chance(0.3) else None,
        birth_date=birth,
        gender=gender,
        ethnic_category=rng.choice(list(EthnicCategory)),
        religion=rng.choice((None, None, "Christian", "Muslim", "No religion", "Sikh", "Hindu", "Jewish")),
        address_line=f"{rng.randint(1, 120)} {rng.choice(names.STREETS)}",
        town=rng.choice(names.TOWNS_WELSH if draft.welsh else names.TOWNS),
        postcode=names.postcode(rng),
        phone=names.mobile(rng) if draft.chance(0.85) else None,
        preferred_language=language,
        interpreter_required=interpreter,
        communication_needs=tuple(needs),
        learning_disability=draft.chance(0.06),
        autism=draft.chance(0.05),
        gp_practice_id=WELSH_GP if draft.welsh else rng.choice(ENGLISH_GPS),
    )
    draft.add(draft.service_user)


def _episode(draft: Draft) -> None:
    rng = draft.rng
    team_id = WELSH_TEAM if draft.welsh else rng.choice(COMMUNITY_TEAMS)
    waiting = draft.scenario == EdgeCase.NO_LEAD_YET
    discharged = draft.scenario == EdgeCase.DEFAULT_LEAD_AT_DISCHARGE  # referred at discharge from a ward
    start = draft.day(rng.randint(5, 40)) if waiting or discharged else draft.day(rng.randint(200, 2000))
    team = draft.directory.teams[team_id]
    assert team.service_line is not None
    draft.episode = CareEpisode(
        episode_id=draft.new_id("EP"),
        service_user_id=draft.su_id,
        team_id=team_id,
        service_line=team.service_line,
        jurisdiction=Jurisdiction.WALES if draft.welsh else Jurisdiction.ENGLAND,
        status=EpisodeStatus.WAITLIST if waiting else EpisodeStatus.ACTIVE,
        referral_date=start - timedelta(days=rng.randint(3, 30)),
        start_date=start,
        key_worker_awaiting_since=start if waiting else None,
    )
    draft.add(draft.episode)
    if waiting:
        return
    if draft.welsh:
        level = rng.choice((CareCoordinationArrangement.WALES_STANDARD, CareCoordinationArrangement.WALES_ENHANCED))
    elif discharged:  # 004 §3.11 is a post-CPA trust's rule: the default is a key worker
        level = CareCoordinationArrangement.KEY_WORKER
    else:
        level = rng.choices(
            (
                CareCoordinationArrangement.KEY_WORKER,
                CareCoordinationArrangement.CPA,
                CareCoordinationArrangement.CARE_SUPPORT,
            ),
            (5, 3, 2),
        )[0]
    since = start
    if level is CareCoordinationArrangement.KEY_WORKER and not discharged and draft.chance(0.4):  # off CPA (EC-31)
        since = draft.between(start + timedelta(days=30), draft.day(20))
        _arrangement(draft, CareCoordinationArrangement.CPA, start, since - timedelta(days=1))
    _arrangement(draft, level, since, None)


def _arrangement(draft: Draft, level: CareCoordinationArrangement, start: date, end: date | None) -> None:
    assert draft.episode is not None
    draft.add(
        CareArrangement(
            arrangement_id=draft.new_id("CL"),
            service_user_id=draft.su_id,
            episode_id=draft.episode.episode_id,
            arrangement=level,
            start_date=start,
            end_date=end,
            rationale="Agreed at the MDT with the service user." if draft.chance(0.5) else None,
        )
    )


#: the lead role each arrangement uses (002 ¶13: never rebadged; DE-110..112, 001 ¶136)
LEAD_ROLE = {
    CareCoordinationArrangement.KEY_WORKER: CoordinationRole.KEY_WORKER,
    CareCoordinationArrangement.CPA: CoordinationRole.CARE_COORDINATOR,
    CareCoordinationArrangement.CARE_SUPPORT: CoordinationRole.LEAD_CLINICIAN,
    CareCoordinationArrangement.WALES_STANDARD: CoordinationRole.CARE_COORDINATOR,
    CareCoordinationArrangement.WALES_ENHANCED: CoordinationRole.CARE_COORDINATOR,
}


def _lead_periods(draft: Draft, change: date | None) -> list[tuple[bool, CoordinationRole, date, date | None]]:
    """(after the change of person?, role, start, end) for each stretch of one lead: the
    role follows the arrangement in force (a step off CPA starts a key worker period,
    often for the same person as care co-ordinator before, 002 ¶12), the person changes
    on ``change`` (EC-06)."""
    arrangements = sorted(
        (a for a in draft.records if isinstance(a, CareArrangement)), key=lambda a: (a.start_date, a.arrangement_id)
    )
    bounds = sorted({a.start_date for a in arrangements} | ({change} if change else set()))
    periods: list[tuple[bool, CoordinationRole, date, date | None]] = []
    for index, start in enumerate(bounds):
        end = bounds[index + 1] - timedelta(days=1) if index + 1 < len(bounds) else None
        level = next(a.arrangement for a in reversed(arrangements) if a.start_date <= start)
        periods.append((change is not None and start >= change, LEAD_ROLE[level], start, end))
    return periods


def _care_team(draft: Draft) -> None:
    rng, episode, directory = draft.rng, draft.episode, draft.directory
    assert episode is not None
    team_id = episode.team_id
    manager = directory.manager(team_id)
    if draft.scenario == EdgeCase.NO_LEAD_YET:  # EC-01: the duty worker covers; the manager oversees
        draft.add_member(MemberKind.STAFF, manager.staff_id, episode.start_date, role=CoordinationRole.TEAM_MANAGER)
        draft.add_member(MemberKind.TEAM, team_id, episode.start_date, role=CoordinationRole.DUTY_WORKER)
        return
    if draft.scenario == EdgeCase.DEFAULT_LEAD_AT_DISCHARGE:  # EC-02: no key worker identified at discharge
        draft.add_member(
            MemberKind.STAFF,
            manager.staff_id,
            episode.start_date,
            role=CoordinationRole.KEY_WORKER,
            discipline=manager.discipline,
            defaulted=True,
        )
        draft.lead = manager
    else:
        nurses = (Discipline.COMMUNITY_MENTAL_HEALTH_NURSE, Discipline.SOCIAL_WORK, Discipline.OCCUPATIONAL_THERAPY)
        lead = directory.pick(rng, team_id, *nurses)
        previous = lead
        change = None
        if draft.scenario == EdgeCase.LEAD_CHANGE:  # EC-06: the old period closed, never overwritten
            while previous.staff_id == lead.staff_id:
                previous = directory.pick(rng, team_id, *nurses)
            change = draft.between(episode.start_date + timedelta(days=60), draft.day(10))
        for after_change, role, start, end in _lead_periods(draft, change):
            person = lead if after_change or change is None else previous
            draft.add_member(MemberKind.STAFF, person.staff_id, start, role=role, discipline=person.discipline, end=end)
        draft.lead = lead
        draft.add_member(MemberKind.STAFF, manager.staff_id, episode.start_date, role=CoordinationRole.TEAM_MANAGER)
    psychiatrist = directory.pick(rng, team_id, Discipline.PSYCHIATRIST)
    draft.add_member(MemberKind.STAFF, psychiatrist.staff_id, episode.start_date, discipline=Discipline.PSYCHIATRIST)
    if draft.chance(0.4):
        other = directory.pick(rng, team_id, Discipline.PEER_SUPPORT, Discipline.CLINICAL_PSYCHOLOGIST)
        draft.add_member(
            MemberKind.STAFF,
            other.staff_id,
            draft.between(episode.start_date, draft.day(5)),
            discipline=other.discipline,
        )
    if draft.chance(0.35):
        draft.add_member(
            MemberKind.ORGANISATION,
            rng.choice(VCSE),
            draft.between(episode.start_date, draft.day(5)),
            discipline=Discipline.VCSE_LINK_WORKER,
        )


def _capacity(draft: Draft) -> None:
    draft.add(
        CapacityAssessment(
            capacity_assessment_id=draft.new_id("MC"),
            service_user_id=draft.su_id,
            decision=draft.rng.choice(list(CapacityDecision)),
            outcome=CapacityOutcome.HAS_CAPACITY if draft.chance(0.8) else CapacityOutcome.LACKS_CAPACITY,
            assessed_on=draft.day(draft.rng.randint(1, 120)),
            assessor_staff_id=draft.lead.staff_id if draft.lead else None,
        )
    )
