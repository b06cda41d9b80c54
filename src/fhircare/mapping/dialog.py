"""DIALOG as MHSDS records it: the response (fhircare-dialog-response), one score per item
(fhircare-dialog-item), the two mean scores (fhircare-dialog-score); or, for an offer that
was not rated, a Task that says why (fhircare-dialog-offer).

Only ratings given are a QuestionnaireResponse: an offer the service user chose not to
rate, or one that was not appropriate (an organic condition, lacking the capacity to
understand the tool), is a Task, rejected or cancelled with the reason, so that it never
counts as a completed DIALOG or a paired score, and "not applicable" is recorded as such,
never as non-compliance (EC-60). Each item is also an Observation with its UK SNOMED CT
score concept and the integer rating, or why it was not rated, as MHSDS carries it
(standards.md §4.3). Items are matched by linkId or code, never by position (EC-63).
"""

from __future__ import annotations

from datetime import datetime
from statistics import fmean

from fhircare.mapping.context import ResourceKey
from fhircare.mapping.fhir import (
    CODE_SYSTEM,
    SNOMED_CT,
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    coding,
    concept,
    extension,
    fhir_datetime,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import EXTENSIONS, listing, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan
from fhircare.source.codes import DialogItem, DialogNotCompletedReason
from fhircare.source.dialog import ITEM_ORDER, DialogAssessment
from fhircare.source.local_codes import DialogStatus, PerformerKind

QUESTIONNAIRE = "https://fhir.fhircare.nhs.uk/Questionnaire/dialog|0.2.0"
_ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
_DATA_ABSENT_REASON_CS = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
_CARE_TASK = CODE_SYSTEM + "care-task"
_MORE_HELP = CODE_SYSTEM + "dialog-item-detail"
#: the UK SNOMED CT concept MHSDS records each item's score with (standards.md §4.3)
ITEM_CODES: dict[DialogItem, str] = {
    DialogItem.MENTAL_HEALTH: "1037651000000100",
    DialogItem.PHYSICAL_HEALTH: "1037661000000102",
    DialogItem.JOB_SITUATION: "1037671000000109",
    DialogItem.ACCOMMODATION: "1037681000000106",
    DialogItem.LEISURE_ACTIVITIES: "1037691000000108",
    DialogItem.FRIENDSHIPS: "1037701000000108",
    DialogItem.PARTNER_FAMILY: "1037711000000105",
    DialogItem.PERSONAL_SAFETY: "1037721000000104",
    DialogItem.MEDICATION: "1037731000000102",
    DialogItem.PRACTICAL_HELP: "1037741000000106",
    DialogItem.MEETINGS: "1037751000000109",
}
_DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
_SATISFACTION = CODE_SYSTEM + "dialog-satisfaction"
_DIALOG_SCORE = CODE_SYSTEM + "dialog-score"
_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_UCUM = "http://unitsofmeasure.org"

#: the two means (004 §3.17: "the first 8 being about their quality of life and the
#: remaining 3 their satisfaction with their medication and the service")
SCORES: tuple[tuple[str, str, tuple[DialogItem, ...]], ...] = (
    ("subjective-quality-of-life", "subjective quality of life", ITEM_ORDER[:8]),
    ("treatment-satisfaction", "treatment satisfaction", ITEM_ORDER[8:]),
)


def rated_at(assessment: DialogAssessment) -> datetime:
    """When the response was given: completed, or else when DIALOG was offered."""
    return assessment.completed_at or assessment.offered_at


def dialog_care_plan(assessment: DialogAssessment, record: ServiceUserRecord) -> CarePlan | None:
    """The care plan the ratings inform: the one named, else the main plan of the same
    episode in force on the day (when exactly one is)."""
    if assessment.care_plan_id is not None:
        return next(p for p in record.care_plans if p.care_plan_id == assessment.care_plan_id)
    day = rated_at(assessment).date()
    candidates = [
        p
        for p in record.care_plans
        if not p.is_sub_plan
        and (assessment.episode_id is None or p.episode_id == assessment.episode_id)
        and p.start_date <= day
        and (p.end_date is None or day <= p.end_date)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _answer_coding(rating: int) -> Json:
    """A rating as its coded answer, with its words and its ordinal value."""
    return {
        "extension": [extension(_ORDINAL_VALUE, valueDecimal=rating)],
        **coding(_SATISFACTION, str(rating)),
    }


def _item(item: DialogItem, assessment: DialogAssessment) -> Json:
    rating = assessment.rating_for(item)
    assert rating is not None  # a completed DIALOG has every item (the source model says so)
    if rating.rating is None:
        assert rating.not_rated_reason is not None
        return {
            "extension": [extension(_DATA_ABSENT_REASON, valueCode=rating.not_rated_reason.value)],
            "linkId": item.value,
        }
    answer: Json = {"valueCoding": _answer_coding(rating.rating)}
    if rating.more_help is not None:
        answer["item"] = [{"linkId": f"{item.value}-more-help", "answer": [{"valueBoolean": rating.more_help}]}]
    return {"linkId": item.value, "answer": [answer]}


def _author(assessment: DialogAssessment, refs: Refs) -> ResourceKey:
    if assessment.author_kind is PerformerKind.STAFF and assessment.author_staff_id is not None:
        return refs.practitioner_role(assessment.author_staff_id)
    return refs.patient


def _response_words(assessment: DialogAssessment, refs: Refs) -> list[str | None]:
    su = refs.record.service_user.given_name
    when = long_date(rated_at(assessment))
    timepoint = label(assessment.timepoint)
    helped = ""
    if assessment.author_kind is PerformerKind.STAFF:
        helped = f" with {who(PerformerKind.STAFF, assessment.author_staff_id, refs)}"
    rated = [f"{label(r.item)} {r.rating}" for r in assessment.ratings if r.rating is not None]
    unrated = [label(r.item) for r in assessment.ratings if r.rating is None]
    more_help = [label(r.item) for r in assessment.ratings if r.more_help]
    return [
        sentence(
            f"{su} rated DIALOG ({timepoint}) on {when}{helped}, from 1 (totally dissatisfied) to 7 (totally satisfied)"
        ),
        sentence(f"Ratings: {', '.join(rated)}") if rated else None,
        sentence(f"Not rated: {listing(unrated)}") if unrated else None,
        sentence(f"Would like more help with: {listing(more_help)}") if more_help else None,
    ]


def dialog_response(assessment: DialogAssessment, plan: CarePlan, refs: Refs) -> Json:
    """The ratings given (a completed DIALOG only: see :func:`dialog_offer`)."""
    assert assessment.status is DialogStatus.COMPLETED
    key = refs.dialog(assessment.dialog_assessment_id)
    return prune(
        {
            "resourceType": "QuestionnaireResponse",
            "id": key.id,
            "meta": about_service_user("fhircare-dialog-response"),
            "text": narrative(*_response_words(assessment, refs), status=EXTENSIONS),
            "extension": [extension(STRUCTURE_DEFINITION + "dialog-timepoint", valueCoding=code(assessment.timepoint))],
            "identifier": key.identifier,
            "basedOn": [refs.care_plan(plan.care_plan_id).reference()],
            "questionnaire": QUESTIONNAIRE,
            "status": "completed",
            "subject": refs.patient.reference(),
            "authored": fhir_datetime(rated_at(assessment)),
            "author": _author(assessment, refs).reference(),
            "source": refs.patient.reference(),
            "item": [_item(item, assessment) for item in ITEM_ORDER],
        }
    )


def dialog_scores(assessment: DialogAssessment, refs: Refs) -> list[Json]:
    """The mean of each group whose items were all rated (no mean from a partial group)."""
    response = refs.dialog(assessment.dialog_assessment_id)
    out = []
    for score_code, words, items in SCORES:
        ratings = [assessment.rating_for(i) for i in items]
        values = [r.rating for r in ratings if r is not None and r.rating is not None]
        if len(values) != len(items):
            continue
        mean = round(fmean(values), 2)
        key = refs.context.key("Observation", "dialog_score", f"{assessment.dialog_assessment_id}-{score_code}")
        su = refs.record.service_user.given_name
        out.append(
            {
                "resourceType": "Observation",
                "id": key.id,
                "meta": about_service_user("fhircare-dialog-score"),
                "text": narrative(
                    sentence(
                        f"{su}'s DIALOG {words} ({label(assessment.timepoint)}) on {long_date(rated_at(assessment))}:"
                        f" {mean:g} out of 7, the mean of {len(values)} ratings"
                    ),
                    status=EXTENSIONS,
                ),
                "extension": [
                    extension(STRUCTURE_DEFINITION + "dialog-timepoint", valueCoding=code(assessment.timepoint))
                ],
                "identifier": [key.identifier],
                "status": "final",
                "category": [concept(coding(_OBSERVATION_CATEGORY, "survey"))],
                "code": concept(coding(_DIALOG_SCORE, score_code)),
                "subject": refs.patient.reference(),
                "effectiveDateTime": fhir_datetime(rated_at(assessment)),
                "performer": [refs.patient.reference()],  # the service user gave the ratings
                # UCUM 1, not {score}: UCUM ignores annotations, so they mislead (unit says it)
                "valueQuantity": {"value": mean, "unit": "score", "system": _UCUM, "code": "1"},
                "derivedFrom": [response.reference()],
            }
        )
    return out


def dialog_items(assessment: DialogAssessment, refs: Refs) -> list[Json]:
    """The eleven item scores of a completed DIALOG, as MHSDS records them: the item's
    SNOMED CT concept with the integer rating, or why it was not rated; "more help" as a
    component."""
    response = refs.dialog(assessment.dialog_assessment_id)
    su = refs.record.service_user.given_name
    when = long_date(rated_at(assessment))
    out = []
    for item in ITEM_ORDER:
        rating = assessment.rating_for(item)
        assert rating is not None  # a completed DIALOG covers every item
        key = refs.dialog_item(assessment.dialog_assessment_id, item.value)
        help_words = ""
        if rating.more_help is not None:
            help_words = f"; {su} {'would' if rating.more_help else 'would not'} like more help with it"
        if rating.rating is not None:
            said = f"{rating.rating} out of 7"
        else:
            assert rating.not_rated_reason is not None
            said = f"not rated ({label(rating.not_rated_reason)})"
        out.append(
            prune(
                {
                    "resourceType": "Observation",
                    "id": key.id,
                    "meta": about_service_user("fhircare-dialog-item"),
                    "text": narrative(
                        sentence(f"DIALOG {label(item)} ({label(assessment.timepoint)}) on {when}: {said}{help_words}"),
                        status=EXTENSIONS,
                    ),
                    "extension": [
                        extension(STRUCTURE_DEFINITION + "dialog-timepoint", valueCoding=code(assessment.timepoint))
                    ],
                    "identifier": [key.identifier],
                    "status": "final",
                    "category": [concept(coding(_OBSERVATION_CATEGORY, "survey"))],
                    "code": concept(coding(SNOMED_CT, ITEM_CODES[item])),
                    "subject": refs.patient.reference(),
                    "effectiveDateTime": fhir_datetime(rated_at(assessment)),
                    "performer": [refs.patient.reference()],  # DIALOG is rated by the service user
                    "valueInteger": rating.rating,
                    "dataAbsentReason": concept(coding(_DATA_ABSENT_REASON_CS, rating.not_rated_reason.value))
                    if rating.not_rated_reason is not None
                    else None,
                    "derivedFrom": [response.reference()],
                    "component": [
                        {
                            "code": concept(coding(_MORE_HELP, "more-help-wanted")),
                            "valueBoolean": rating.more_help,
                        }
                    ]
                    if rating.more_help is not None
                    else None,
                }
            )
        )
    return out


def not_rated_reason(assessment: DialogAssessment) -> DialogNotCompletedReason:
    if assessment.status is DialogStatus.DECLINED:
        return DialogNotCompletedReason.DECLINED
    assert assessment.not_appropriate_reason is not None  # the source model requires it
    return DialogNotCompletedReason(assessment.not_appropriate_reason.value)


def dialog_offer(assessment: DialogAssessment, plan: CarePlan, refs: Refs) -> Json:
    """An offer of DIALOG that was not rated: rejected (the service user chose not to) or
    cancelled (not appropriate), with the reason; never a completed response (EC-60)."""
    assert assessment.status is not DialogStatus.COMPLETED
    key = refs.dialog_offer(assessment.dialog_assessment_id)
    su = refs.record.service_user.given_name
    reason = not_rated_reason(assessment)
    when = long_date(assessment.offered_at)
    timepoint = label(assessment.timepoint)
    declined = assessment.status is DialogStatus.DECLINED
    words = (
        sentence(f"{su} was offered DIALOG ({timepoint}) on {when} and chose not to rate it")
        if declined
        else sentence(f"DIALOG was not appropriate for {su} ({timepoint}, {when}): {label(reason)}")
    )
    requester = refs.practitioner_role(assessment.author_staff_id) if assessment.author_staff_id else None
    episode = next((e for e in refs.record.episodes if e.episode_id == plan.episode_id), None)
    team = refs.team(episode.team_id) if episode is not None else refs.trust
    return prune(
        {
            "resourceType": "Task",
            "id": key.id,
            "meta": about_service_user("fhircare-dialog-offer"),
            "text": narrative(
                words,
                "This is not a completed DIALOG, and not a missed one.",
                assessment.declined_reason,
                status=EXTENSIONS,
            ),
            "extension": [extension(STRUCTURE_DEFINITION + "dialog-timepoint", valueCoding=code(assessment.timepoint))],
            "identifier": [key.identifier],
            "basedOn": [refs.care_plan(plan.care_plan_id).reference()],
            "status": "rejected" if declined else "cancelled",
            "statusReason": concept(code(reason), text=assessment.declined_reason),
            "intent": "order",
            "code": concept(coding(_CARE_TASK, "offer-dialog")),
            "for": refs.patient.reference(),
            "authoredOn": fhir_datetime(assessment.offered_at),
            "requester": (requester or team).reference(),
            "owner": (refs.patient if declined else requester or team).reference(),
            "input": [{"type": concept(coding(_CARE_TASK, "questionnaire")), "valueCanonical": QUESTIONNAIRE}],
        }
    )
