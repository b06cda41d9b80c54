"""Synthetic movements: an admission under section 3 with leave, discharge, a community
treatment order and Section 117 after-care; an out-of-area placement; a transfer between
teams."""

from __future__ import annotations

from datetime import timedelta

from fhircare.source.care_team import StaffMember
from fhircare.source.codes import (
    DischargeDisposition,
    Discipline,
    EpisodeStatus,
    MhaSection,
)
from fhircare.source.episode import CareEpisode
from fhircare.source.local_codes import (
    AdmissionMethod,
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
    Jurisdiction,
    LeaveKind,
    LegalBasis,
    LegalStatusKind,
    MemberKind,
    PlacementType,
    SharedInformation,
    TransferStatus,
)
from fhircare.source.movement import InpatientStay, Leave, OutOfAreaPlacement, Section117Entitlement, TeamTransfer
from fhircare.source.service_user import LegalStatus
from fhircare.synth.carers import add_consent
from fhircare.synth.directory import (
    COMMUNITY_TEAMS,
    INPATIENT_TEAM,
    OUT_OF_AREA,
)
from fhircare.synth.draft import Draft
from fhircare.synth.scenarios import EdgeCase


def add_movements(draft: Draft) -> None:
    if draft.scenario == EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE:
        _admission(draft)
    elif draft.scenario == EdgeCase.DEFAULT_LEAD_AT_DISCHARGE:
        _informal_stay(draft)
    elif draft.scenario == EdgeCase.OUT_OF_AREA_PLACEMENT:
        start = draft.day(draft.rng.randint(40, 300))
        draft.add(
            OutOfAreaPlacement(
                placement_id=draft.new_id("OA"),
                service_user_id=draft.su_id,
                provider_organisation_id=draft.rng.choice(OUT_OF_AREA),
                placement_type=draft.rng.choice(
                    (PlacementType.SPECIALIST_REHABILITATION, PlacementType.LOCKED_REHABILITATION)
                ),
                start_date=start,
                exempt_from_data_collection=draft.chance(0.5),
            )
        )
    elif draft.scenario == EdgeCase.TRANSFER_BETWEEN_TEAMS:
        _transfer(draft)


def _admission(draft: Draft) -> None:
    """EC-21 / DE-200..205 / DE-007: detained under s3, leave, discharged, s117 after-care."""
    rng, episode = draft.rng, draft.episode
    assert episode is not None
    admitted = draft.at(draft.between(episode.start_date + timedelta(days=20), draft.day(70)), hour=rng.randint(9, 20))
    discharged = draft.at(admitted.date() + timedelta(days=rng.randint(28, 60)), hour=rng.randint(10, 15))
    stay = InpatientStay(
        stay_id=draft.new_id("IP"),
        service_user_id=draft.su_id,
        episode_id=episode.episode_id,
        ward=draft.directory.teams[INPATIENT_TEAM].name,
        admitted_at=admitted,
        admission_method=AdmissionMethod.MHA_DETENTION,
        legal_status_on_admission=LegalStatusKind.S3,
        estimated_discharge_date=discharged.date() - timedelta(days=rng.randint(0, 7)),
        discharged_at=discharged,
        discharge_disposition=DischargeDisposition.HOME,
        discharge_planned=True,
    )
    draft.add(stay)
    draft.add(
        LegalStatus(
            legal_status_id=draft.new_id("LS"),
            service_user_id=draft.su_id,
            status=LegalStatusKind.S3,
            start_date=admitted.date(),
            end_date=discharged.date(),
        )
    )
    leave_start = draft.at(admitted.date() + timedelta(days=14), hour=10)
    draft.add(
        Leave(
            leave_id=draft.new_id("LV"),
            stay_id=stay.stay_id,
            kind=LeaveKind.SECTION_17,
            start_at=leave_start,
            planned_end_at=leave_start + timedelta(days=2),
            returned_at=leave_start + timedelta(days=2),
            extended=False,
            gp_informed=draft.chance(0.5),
        )
    )
    local_authority = "ORG-LA2" if draft.welsh else "ORG-LA1"
    draft.add(
        Section117Entitlement(
            section_117_id=draft.new_id("S117-"),
            service_user_id=draft.su_id,
            detention_section=MhaSection.S3,
            start_date=discharged.date(),
            health_body_organisation_id="ORG-LHB" if draft.welsh else "ORG-ICB",
            local_authority_organisation_id=local_authority,
        )
    )
    assert draft.lead is not None
    add_consent(  # the local authority shares the after-care duty (004 §3.15): its own basis, no consent needed
        draft,
        ConsentKind.DISCLOSURE,
        ConsentDecisionType.PERMIT,
        ConsentDecider.STAFF,
        discharged.date(),
        decided_by_staff_id=draft.lead.staff_id,
        recipient_organisation_id=local_authority,
        shares=SharedInformation.SECTION_117,
        legal_basis=LegalBasis.SECTION_117,
    )


def _informal_stay(draft: Draft) -> None:
    """EC-02: an informal admission, discharged to the community team the day its episode
    starts, with no key worker identified (the team manager is the lead by default)."""
    rng, episode = draft.rng, draft.episode
    assert episode is not None
    discharged = draft.at(episode.start_date, hour=rng.randint(10, 15))
    admitted = draft.at(episode.start_date - timedelta(days=rng.randint(14, 45)), hour=rng.randint(9, 20))
    draft.add(
        InpatientStay(
            stay_id=draft.new_id("IP"),
            service_user_id=draft.su_id,
            ward=draft.directory.teams[INPATIENT_TEAM].name,
            admitted_at=admitted,
            admission_method=AdmissionMethod.EMERGENCY,
            legal_status_on_admission=LegalStatusKind.INFORMAL,
            discharged_at=discharged,
            discharge_disposition=DischargeDisposition.HOME,
            discharge_planned=True,
        )
    )


def _transfer(draft: Draft) -> None:
    """EC-10: the receiving team is involved but the key worker stays with the origin."""
    rng, episode = draft.rng, draft.episode
    assert episode is not None
    to_team = rng.choice([t for t in COMMUNITY_TEAMS if t != episode.team_id])
    requested = draft.day(rng.randint(5, 30))
    team = draft.directory.teams[to_team]
    assert team.service_line is not None
    receiving = CareEpisode(
        episode_id=draft.new_id("EP"),
        service_user_id=draft.su_id,
        team_id=to_team,
        service_line=team.service_line,
        jurisdiction=Jurisdiction.ENGLAND,
        status=EpisodeStatus.ACTIVE,
        referral_date=requested,
        start_date=requested + timedelta(days=2),
        previous_episode_id=episode.episode_id,
    )
    draft.add(receiving)
    draft.add(
        TeamTransfer(
            transfer_id=draft.new_id("TR"),
            service_user_id=draft.su_id,
            from_episode_id=episode.episode_id,
            to_team_id=to_team,
            to_episode_id=receiving.episode_id,
            status=TransferStatus.IN_PROGRESS,
            requested_on=requested,
        )
    )
    worker: StaffMember = draft.directory.pick(rng, to_team, Discipline.CLINICAL_PSYCHOLOGIST, Discipline.PEER_SUPPORT)
    draft.add_member(
        MemberKind.STAFF, worker.staff_id, receiving.start_date, discipline=worker.discipline, episode=receiving
    )
