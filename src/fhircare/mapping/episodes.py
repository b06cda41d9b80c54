"""Care coordination episodes (fhircare-episode-of-care) and stays away from home: inpatient
admissions and out-of-area placements (fhircare-encounter).

An episode is one team's involvement; its care manager is the named lead (key worker,
care co-ordinator, lead clinician, ... as recorded) while this team holds that role, so
during a transfer the lead stays on the originating episode
until the transfer is complete (EC-10), and an episode on the waiting list has none
(EC-01). Admissions, discharges and placements are events partners act on (reviews,
72-hour and 5-working-day follow-up), so each is an Encounter of its own.
"""

from __future__ import annotations

from datetime import date

from fhircare.mapping.care_team import awaited_role, role_words
from fhircare.mapping.fhir import (
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    coding,
    complex_extension,
    concept,
    concept_of,
    extension,
    period,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.legal import LEGAL_STATUS_SYSTEM, legal_status_code
from fhircare.mapping.narrative import ADDITIONAL, EXTENSIONS, GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.plan_extensions import arrangement_extensions, arrangements_for
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_team import CareTeamMember
from fhircare.source.codes import EpisodeStatus
from fhircare.source.episode import CareEpisode
from fhircare.source.local_codes import AdmissionMethod, Jurisdiction, LegalStatusKind, PerformerKind, PlacementType
from fhircare.source.movement import InpatientStay, OutOfAreaPlacement, TeamTransfer

_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
_DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
_LEGAL_STATUS = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-LegalStatus"
_LEGAL_STATUS_CONTEXT = "https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusContext"
_PRIORITY = {AdmissionMethod.PLANNED: "EL", AdmissionMethod.EMERGENCY: "EM", AdmissionMethod.MHA_DETENTION: "EM"}


def episode_lead(episode: CareEpisode, record: ServiceUserRecord, day: date) -> CareTeamMember | None:
    """The named lead (in whatever lead role) this episode's team provides on ``day``:
    its care manager. None while waiting (EC-01), and None when the records name more
    than one (the consistency rules reject that)."""
    if episode.status is EpisodeStatus.WAITLIST:
        return None
    found = [
        m
        for m in record.care_team
        if m.is_lead
        and m.current_on(day)
        and (m.episode_id == episode.episode_id or (m.episode_id is None and m.team_id == episode.team_id))
    ]
    return found[0] if len(found) == 1 else None


def _transfer(transfer: TeamTransfer, refs: Refs) -> Json:
    return complex_extension(
        STRUCTURE_DEFINITION + "transfer-of-care",
        (
            ("toTeam", "valueReference", refs.team(transfer.to_team_id).reference()),
            (
                "toEpisode",
                "valueReference",
                refs.episode(transfer.to_episode_id).reference() if transfer.to_episode_id else None,
            ),
            ("status", "valueCode", transfer.status.value),
            ("requested", "valueDate", transfer.requested_on.isoformat()),
            ("completed", "valueDate", transfer.completed_on.isoformat() if transfer.completed_on else None),
        ),
    )


def episode_of_care(episode: CareEpisode, record: ServiceUserRecord, refs: Refs, *, has_care_team: bool) -> Json:
    key = refs.episode(episode.episode_id)
    day = min(refs.context.as_of, episode.end_date) if episode.end_date else refs.context.as_of
    lead = episode_lead(episode, record, day)
    transfers = sorted(
        (t for t in record.transfers if t.from_episode_id == episode.episode_id), key=lambda t: t.transfer_id
    )
    extensions = arrangement_extensions(arrangements_for(episode.episode_id, record))
    if episode.previous_episode_id is not None:
        extensions.append(
            extension(
                STRUCTURE_DEFINITION + "previous-episode",
                valueReference=refs.episode(episode.previous_episode_id).reference(),
            )
        )
    extensions += [_transfer(t, refs) for t in transfers]
    su = record.service_user.given_name
    team = refs.teams[episode.team_id].name
    until = f" to {long_date(episode.end_date)}" if episode.end_date else ""
    service = label(episode.service_line)
    since = f"from {long_date(episode.start_date)}{until}"
    words = [sentence(f"{su}'s episode with the {team} ({service}), {_status_words(episode)}, {since}")]
    if lead is not None:
        default = " (by default, the receiving team's manager)" if lead.defaulted else ""
        words.append(
            sentence(f"{role_words(lead).capitalize()}{default}: {who(PerformerKind.STAFF, lead.member_id, refs)}")
        )
    elif episode.status is EpisodeStatus.WAITLIST and episode.key_worker_awaiting_since:
        waiting = long_date(episode.key_worker_awaiting_since)
        awaited = label(awaited_role(record, refs.context.as_of))
        words.append(f"Waiting for a {awaited} since {waiting}; the team's duty worker covers until then.")
    for transfer in transfers:
        to = refs.teams[transfer.to_team_id].name
        done = (
            f", completed {long_date(transfer.completed_on)}"
            if transfer.completed_on
            else f" ({transfer.status.value.replace('-', ' ')})"
        )
        words.append(sentence(f"Transfer to the {to} requested on {long_date(transfer.requested_on)}{done}"))
    return prune(
        {
            "resourceType": "EpisodeOfCare",
            "id": key.id,
            "meta": about_service_user("fhircare-episode-of-care"),
            # the lead's role is the care team's, the role awaited the arrangement's
            "text": narrative(
                *words,
                status=ADDITIONAL if len(words) > 1 + len(transfers) else EXTENSIONS if transfers else GENERATED,
            ),
            "extension": extensions,
            "identifier": [key.identifier],
            "status": episode.status.value,
            "type": [concept_of(episode.service_line)],
            "patient": refs.patient.reference(),
            "managingOrganization": refs.team(episode.team_id).reference(),
            "period": period(episode.start_date, episode.end_date),
            "careManager": refs.practitioner_role(lead.member_id).reference() if lead and lead.member_id else None,
            "team": [refs.care_team.reference()] if has_care_team else None,
        }
    )


def _status_words(episode: CareEpisode) -> str:
    return {
        EpisodeStatus.WAITLIST: "on the waiting list",
        EpisodeStatus.ON_HOLD: "on hold",
        EpisodeStatus.FINISHED: "ended",
    }.get(episode.status, episode.status.value)


# --- stays ----------------------------------------------------------------------------


def _legal_status(kind: LegalStatusKind, context: str, jurisdiction: Jurisdiction) -> Json | None:
    found = legal_status_code(kind, jurisdiction)
    if found is None:
        return None
    return complex_extension(
        _LEGAL_STATUS,
        (
            ("legalStatusContext", "valueCodeableConcept", concept(coding(_LEGAL_STATUS_CONTEXT, context))),
            (
                "legalStatusClassification",
                "valueCodeableConcept",
                concept(coding(LEGAL_STATUS_SYSTEM[jurisdiction], found)),
            ),
        ),
    )


def _jurisdiction(episode_id: str | None, record: ServiceUserRecord) -> Jurisdiction:
    episode = next((e for e in record.episodes if e.episode_id == episode_id), None)
    return episode.jurisdiction if episode is not None else Jurisdiction.ENGLAND


def _status_at_discharge(stay: InpatientStay, record: ServiceUserRecord) -> LegalStatusKind | None:
    if stay.discharged_at is None:
        return None
    day = stay.discharged_at.date()
    current = [s for s in record.legal_statuses if s.current_on(day)]
    return max(current, key=lambda s: (s.start_date, s.legal_status_id)).status if current else None


def _section_words(kind: LegalStatusKind) -> str:
    if kind is LegalStatusKind.INFORMAL:
        return "as an informal patient"
    if kind.value.startswith("s"):
        return f"under section {kind.value[1:].replace('-', '/').upper()} of the Mental Health Act"
    return f"({label(kind)})"


def inpatient_encounter(stay: InpatientStay, record: ServiceUserRecord, refs: Refs) -> Json:
    key = refs.encounter("inpatient_stay", stay.stay_id)
    as_of = refs.context.as_of
    leave = sorted((lv for lv in record.leave if lv.stay_id == stay.stay_id), key=lambda lv: (lv.start_at, lv.leave_id))
    on_leave = any(lv.returned_at is None and lv.start_at.date() <= as_of for lv in leave)
    status = "finished" if stay.discharged_at is not None else "onleave" if on_leave else "in-progress"
    jurisdiction = _jurisdiction(stay.episode_id, record)
    at_discharge = _status_at_discharge(stay, record)
    extensions = [
        _legal_status(stay.legal_status_on_admission, "admission", jurisdiction),
        _legal_status(at_discharge, "discharge", jurisdiction) if at_discharge is not None else None,
    ]
    if stay.estimated_discharge_date is not None:
        extensions.append(
            extension(
                STRUCTURE_DEFINITION + "estimated-discharge-date", valueDate=stay.estimated_discharge_date.isoformat()
            )
        )
    provider = refs.organisation(stay.provider_organisation_id) if stay.provider_organisation_id else refs.trust
    priority = _PRIORITY.get(stay.admission_method)
    return prune(
        {
            "resourceType": "Encounter",
            "id": key.id,
            "meta": about_service_user("fhircare-encounter"),
            # how the discharge went and whether the GP was told are not elements of the Encounter
            "text": narrative(
                *_stay_words(stay, record, refs),
                status=ADDITIONAL
                if stay.discharged_at is not None or any(lv.gp_informed for lv in leave)
                else EXTENSIONS,
            ),
            "extension": [e for e in extensions if e is not None],
            "identifier": [key.identifier],
            "status": status,
            "statusHistory": [{"status": "onleave", "period": period(lv.start_at, lv.returned_at)} for lv in leave],
            "class": coding(_ACT_CODE, "IMP"),
            "priority": concept(coding(_ACT_PRIORITY, priority)) if priority else None,
            "subject": refs.patient.reference(),
            "episodeOfCare": [refs.episode(stay.episode_id).reference()] if stay.episode_id else None,
            "period": period(stay.admitted_at, stay.discharged_at),
            "hospitalization": (
                {"dischargeDisposition": concept(coding(_DISCHARGE_DISPOSITION, stay.discharge_disposition.value))}
                if stay.discharge_disposition
                else None
            ),
            "location": [{"location": {"display": stay.ward}}] if stay.ward else None,
            "serviceProvider": provider.reference(),
        }
    )


def _stay_words(stay: InpatientStay, record: ServiceUserRecord, refs: Refs) -> list[str | None]:
    su = record.service_user.given_name
    where = f" to {stay.ward}" if stay.ward else ""
    if stay.provider_organisation_id:
        where += f" at {refs.organisations[stay.provider_organisation_id].name}"
    how = _section_words(stay.legal_status_on_admission)
    words: list[str | None] = [sentence(f"{su} was admitted{where} on {long_date(stay.admitted_at)} {how}")]
    if stay.discharged_at is not None and stay.discharge_disposition is not None:
        planned = "as planned" if stay.discharge_planned else "an unplanned discharge"
        words.append(
            sentence(f"Discharged on {long_date(stay.discharged_at)} ({label(stay.discharge_disposition)}), {planned}")
        )
    elif stay.estimated_discharge_date is not None:
        words.append(sentence(f"Estimated discharge date: {long_date(stay.estimated_discharge_date)}"))
    for leave in (lv for lv in record.leave if lv.stay_id == stay.stay_id):
        kind = "Section 17 leave" if leave.kind.value == "s17" else "Leave"
        back = (
            f" to {long_date(leave.returned_at)}"
            if leave.returned_at
            else f", due back {long_date(leave.planned_end_at)}"
        )
        gp = " The GP was told." if leave.gp_informed else ""
        words.append(sentence(f"{kind} from {long_date(leave.start_at)}{back}") + gp)
    return words


def placement_encounter(placement: OutOfAreaPlacement, record: ServiceUserRecord, refs: Refs) -> Json:
    key = refs.encounter("out_of_area_placement", placement.placement_id)
    ended = placement.end_date is not None and placement.end_date <= refs.context.as_of
    provider = refs.organisations[placement.provider_organisation_id]
    exempt = (
        "exempt from data collection while there"
        if placement.exempt_from_data_collection
        else "not exempt from data collection"
    )
    until = f" to {long_date(placement.end_date)}" if placement.end_date else ""
    return prune(
        {
            "resourceType": "Encounter",
            "id": key.id,
            "meta": about_service_user("fhircare-encounter"),
            "text": narrative(
                sentence(
                    f"{record.service_user.given_name} is placed out of area at {provider.name}"
                    f" ({label(placement.placement_type)}) from {long_date(placement.start_date)}{until}"
                ),
                sentence(f"The trust records them as {exempt}"),
                status=EXTENSIONS,
            ),
            "extension": [
                complex_extension(
                    STRUCTURE_DEFINITION + "out-of-area-placement",
                    (
                        ("placementType", "valueCodeableConcept", concept(code(placement.placement_type))),
                        ("exemptFromDataCollection", "valueBoolean", placement.exempt_from_data_collection),
                    ),
                )
            ],
            "identifier": [key.identifier],
            "status": "finished" if ended else "in-progress",
            "class": coding(
                _ACT_CODE, "ACUTE" if placement.placement_type is PlacementType.ACUTE_TEMPORARY else "NONAC"
            ),
            "subject": refs.patient.reference(),
            "period": period(placement.start_date, placement.end_date),
            "serviceProvider": refs.organisation(placement.provider_organisation_id).reference(),
        }
    )
