"""Reviews of care plans (fhircare-care-plan-review): each review in the extract is an
Encounter linked to the plan (version) it reviewed (DE-140..146).

Who asked for it is the reason (DE-144); whether the service user took part is said
either way ([000 §3.4.4] "unless the service user is unwilling or unable to be
involved"); everyone invited is a participant marked attended or not (DE-145), a
representative speaking for the service user marked so (EC-52); the outcome is kept
([000 §3.4.6]). A review held as a series of conversations stays in progress until the
record says it is complete (EC-70). The next review date stays on the plan.
"""

from __future__ import annotations

from datetime import date

from fhircare.mapping.fhir import (
    SNOMED_CT,
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    coding,
    concept,
    extension,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import ADDITIONAL, EXTENSIONS, listing, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlanReview, ReviewParticipant
from fhircare.source.local_codes import ContactMode, PerformerKind, ReviewRequester

_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
#: SNOMED CT review of care plan (the PRSB PCSP review tag, standards.md §4.1)
_REVIEW_OF_CARE_PLAN = "425268008"
_REQUESTED = {
    ReviewRequester.SCHEDULED: "A scheduled review",
    ReviewRequester.SERVICE_USER: "The service user asked for it",
    ReviewRequester.CARER: "A carer asked for it",
    ReviewRequester.GP: "The GP asked for it",
    ReviewRequester.CARE_TEAM: "The care team called it",
}
_MODE_WORDS = {
    ContactMode.FACE_TO_FACE: "face to face",
    ContactMode.TELEPHONE: "by telephone",
    ContactMode.VIDEO: "by video",
    ContactMode.WRITTEN: "in writing (an exchange of reports)",
    ContactMode.VIA_REPRESENTATIVE: "through a representative",
}


def _status(review: CarePlanReview, as_of: date) -> str:
    if review.completed:
        return "finished"
    return "planned" if review.review_date > as_of else "in-progress"


def _participant(kind: PerformerKind, local_id: str, refs: Refs, *, attended: bool, lead: bool, behalf: bool) -> Json:
    extensions = [extension(STRUCTURE_DEFINITION + "attended", valueBoolean=attended)]
    if behalf:
        extensions.append(extension(STRUCTURE_DEFINITION + "on-behalf-of-service-user", valueBoolean=True))
    return {
        "extension": extensions,
        "type": [concept(coding(_PARTICIPATION, "PPRF" if lead else "PART"))],
        "individual": refs.performer(kind, local_id).reference(),
    }


def participants_of(review: CarePlanReview, record: ServiceUserRecord) -> list[ReviewParticipant]:
    rows = [p for p in record.review_participants if p.review_id == review.review_id]
    return sorted(rows, key=lambda p: p.review_participant_id)


def review_encounter(review: CarePlanReview, record: ServiceUserRecord, refs: Refs) -> Json:
    key = refs.review(review.review_id)
    plan = refs.care_plans[review.care_plan_id]
    episode = next((e for e in record.episodes if e.episode_id == plan.episode_id), None)
    provider = refs.team(episode.team_id) if episode is not None else refs.trust
    rows = participants_of(review, record)
    people = []
    if review.reviewer_staff_id is not None and not any(
        p.participant_kind is PerformerKind.STAFF and p.participant_id == review.reviewer_staff_id for p in rows
    ):
        people.append(
            _participant(PerformerKind.STAFF, review.reviewer_staff_id, refs, attended=True, lead=True, behalf=False)
        )
    people += [
        _participant(
            p.participant_kind,
            p.participant_id,
            refs,
            attended=p.attended,
            lead=p.participant_id == review.reviewer_staff_id,
            behalf=p.on_behalf_of_service_user,
        )
        for p in rows
    ]
    su = refs.record.service_user.given_name
    done = "completed" if review.completed else "not yet completed"
    took_part = "took part" if review.service_user_attended else "did not take part"
    present = [_who(p, refs) for p in rows if p.attended]
    absent = [_who(p, refs) for p in rows if not p.attended]
    words = [
        sentence(
            f"{label(review.review_type).capitalize()} of {su}'s {label(plan.plan_type)} (version {plan.version})"
            f" on {long_date(review.review_date)}, {_MODE_WORDS[review.mode]}, {done}"
        ),
        sentence(_REQUESTED[review.requested_by]),
        sentence(f"{su} {took_part}"),
        sentence(f"Took part: {listing(present)}") if present else None,
        sentence(f"Invited but did not take part: {listing(absent)}") if absent else None,
        "A carer took part."
        if review.carer_attended and not any(p.participant_kind is PerformerKind.CARER and p.attended for p in rows)
        else None,
        sentence(f"Outcome: {review.outcome}") if review.outcome else None,
    ]
    # the mode beyond face to face, and a carer known only by a flag, are not in the data
    exact = review.mode is ContactMode.FACE_TO_FACE and words[5] is None
    ambulatory = review.mode in (ContactMode.FACE_TO_FACE, ContactMode.VIA_REPRESENTATIVE)
    return prune(
        {
            "resourceType": "Encounter",
            "id": key.id,
            "meta": about_service_user("fhircare-care-plan-review"),
            "text": narrative(*words, status=EXTENSIONS if exact else ADDITIONAL),
            "extension": [
                extension(
                    STRUCTURE_DEFINITION + "reviewed-plan",
                    valueReference=refs.care_plan(review.care_plan_id).reference(),
                ),
                extension(STRUCTURE_DEFINITION + "attended", valueBoolean=review.service_user_attended),
                *(
                    [extension(STRUCTURE_DEFINITION + "review-outcome", valueString=review.outcome)]
                    if review.outcome
                    else []
                ),
            ],
            "identifier": [key.identifier],
            "status": _status(review, refs.context.as_of),
            "class": coding(_ACT_CODE, "AMB" if ambulatory else "VR"),
            "type": [concept(coding(SNOMED_CT, _REVIEW_OF_CARE_PLAN), code(review.review_type))],
            "reasonCode": [concept(code(review.requested_by))],
            "subject": refs.patient.reference(),
            "episodeOfCare": [refs.episode(plan.episode_id).reference()] if plan.episode_id else None,
            "participant": people,
            "period": {"start": review.review_date.isoformat()},
            "serviceProvider": provider.reference(),
        }
    )


def _who(participant: ReviewParticipant, refs: Refs) -> str:
    name = who(participant.participant_kind, participant.participant_id, refs)
    return f"{name} (for {refs.record.service_user.given_name})" if participant.on_behalf_of_service_user else name
