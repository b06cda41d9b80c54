"""DIALOG: the response (fhircare-dialog-response) and its two mean scores
(fhircare-dialog-score).

Every offer of DIALOG becomes a response, including one that was declined or was not
appropriate: each unrated item then says why (data-absent-reason), so that "not
applicable" is recorded as such and never read as non-compliance (EC-60). Items are
matched by linkId, never by position (EC-63).
"""

from __future__ import annotations

from datetime import datetime
from statistics import fmean

from fhircare.mapping.context import ResourceKey
from fhircare.mapping.fhir import (
    CODE_SYSTEM,
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
from fhircare.mapping.narrative import listing, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlan
from fhircare.source.codes import DataAbsentReason, DialogItem
from fhircare.source.dialog import ITEM_ORDER, DialogAssessment
from fhircare.source.local_codes import DialogStatus, PerformerKind

QUESTIONNAIRE = "https://fhir.fhircare.nhs.uk/Questionnaire/dialog|0.1.0"
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

#: why every item of an offer that was not rated is unrated
_UNRATED_BECAUSE = {
    DialogStatus.DECLINED: DataAbsentReason.ASKED_DECLINED,
    DialogStatus.NOT_APPROPRIATE: DataAbsentReason.NOT_APPLICABLE,
}


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


def _item(item: DialogItem, assessment: DialogAssessment) -> Json:
    rating = assessment.rating_for(item)
    if rating is None:  # declined or not appropriate: no item was rated
        reason = _UNRATED_BECAUSE[assessment.status]
        return {"extension": [extension(_DATA_ABSENT_REASON, valueCode=reason.value)], "linkId": item.value}
    if rating.rating is None:
        assert rating.not_rated_reason is not None
        return {
            "extension": [extension(_DATA_ABSENT_REASON, valueCode=rating.not_rated_reason.value)],
            "linkId": item.value,
        }
    answer: Json = {"valueCoding": coding(_SATISFACTION, str(rating.rating))}
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
    if assessment.status is DialogStatus.DECLINED:
        return [
            sentence(f"{su} was offered DIALOG ({timepoint}) on {when} and chose not to rate it"),
            assessment.declined_reason,
        ]
    if assessment.status is DialogStatus.NOT_APPROPRIATE:
        reason = label(assessment.not_appropriate_reason) if assessment.not_appropriate_reason else None
        return [sentence(f"DIALOG was not appropriate for {su} on {when}" + (f": {reason}" if reason else ""))]
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
    key = refs.dialog(assessment.dialog_assessment_id)
    return prune(
        {
            "resourceType": "QuestionnaireResponse",
            "id": key.id,
            "meta": about_service_user("fhircare-dialog-response"),
            "text": narrative(*_response_words(assessment, refs)),
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
                    )
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
                "valueQuantity": {"value": mean, "unit": "score", "system": _UCUM, "code": "{score}"},
                "derivedFrom": [response.reference()],
            }
        )
    return out
