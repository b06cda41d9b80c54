"""Synthetic reviews of care plans and who took part (DE-140..146): the review that made
the current version out of the one it replaced, and now and then a review still under
way as a series of conversations (EC-70). A service user who lacks capacity is
represented by their carer (EC-52, EC-53); someone on a community treatment order has
an independent mental health advocate."""

from __future__ import annotations

from fhircare.source.care_plan import CarePlan, CarePlanReview, ReviewParticipant
from fhircare.source.carers import Contact
from fhircare.source.codes import CareCoordinationArrangement, Discipline
from fhircare.source.local_codes import ContactMode, PerformerKind, ReviewRequester, ReviewType
from fhircare.synth.directory import ADVOCACY_TEAM
from fhircare.synth.draft import Draft
from fhircare.synth.scenarios import EdgeCase

_REVIEW_TYPES = {
    CareCoordinationArrangement.CPA: ReviewType.CPA_REVIEW,
    CareCoordinationArrangement.CARE_SUPPORT: ReviewType.CARE_SUPPORT_REVIEW,
    CareCoordinationArrangement.KEY_WORKER: ReviewType.CARE_COORDINATION_REVIEW,
    CareCoordinationArrangement.WALES_STANDARD: ReviewType.CTP_REVIEW,
    CareCoordinationArrangement.WALES_ENHANCED: ReviewType.CTP_REVIEW,
}


def add_reviews(draft: Draft, main: CarePlan, level: CareCoordinationArrangement, previous: CarePlan | None) -> None:
    """The review of ``previous`` that gave ``main`` (when there is one), and sometimes an
    unfinished review of ``main``."""
    lead, rng = draft.lead, draft.rng
    assert lead is not None
    carers = [c for c in draft.carers if not c.is_anonymous]
    represented = draft.scenario == EdgeCase.BEST_INTERESTS_SHARING and bool(carers)
    if previous is not None:
        attended = main.service_user_contributed and not represented
        review = CarePlanReview(
            review_id=draft.new_id("RV"),
            care_plan_id=previous.care_plan_id,
            review_type=_REVIEW_TYPES[level],
            review_date=main.created_on,
            requested_by=rng.choice(
                (
                    ReviewRequester.SCHEDULED,
                    ReviewRequester.SCHEDULED,
                    ReviewRequester.SERVICE_USER,
                    ReviewRequester.CARER,
                )
            ),
            mode=ContactMode.VIA_REPRESENTATIVE
            if represented
            else rng.choice((ContactMode.FACE_TO_FACE, ContactMode.TELEPHONE, ContactMode.VIDEO)),
            service_user_attended=attended,
            completed=True,
            outcome="Plan updated: goals reviewed and the crisis plan checked.",
            next_review_date=main.next_review_date,
            reviewer_staff_id=lead.staff_id,
        )
        draft.add(review)
        _participants(draft, review, carers, represented=represented)
    if represented and previous is None:  # the representative still speaks for them (EC-52)
        _unfinished(draft, main, level, carers, represented=True)
    elif draft.chance(0.2):
        _unfinished(draft, main, level, carers, represented=False)


def _unfinished(
    draft: Draft, main: CarePlan, level: CareCoordinationArrangement, carers: list[Contact], *, represented: bool
) -> None:
    """A review held as a series of conversations, not finished yet (EC-70)."""
    assert draft.lead is not None
    review = CarePlanReview(
        review_id=draft.new_id("RV"),
        care_plan_id=main.care_plan_id,
        review_type=ReviewType.MDT_REVIEW if draft.chance(0.3) else _REVIEW_TYPES[level],
        review_date=draft.between(max(main.created_on, draft.day(30)), draft.day(1)),
        requested_by=draft.rng.choice((ReviewRequester.CARE_TEAM, ReviewRequester.GP, ReviewRequester.SERVICE_USER)),
        mode=ContactMode.VIA_REPRESENTATIVE if represented else ContactMode.TELEPHONE,
        service_user_attended=not represented,
        completed=False,
        reviewer_staff_id=draft.lead.staff_id,
    )
    draft.add(review)
    _participants(draft, review, carers, represented=represented)


def _participants(draft: Draft, review: CarePlanReview, carers: list[Contact], *, represented: bool) -> None:
    assert draft.lead is not None
    _participant(draft, review, PerformerKind.STAFF, draft.lead.staff_id, attended=True)
    if carers:
        attended = represented or draft.chance(0.6)
        _participant(draft, review, PerformerKind.CARER, carers[0].contact_id, attended=attended, behalf=represented)
    if draft.scenario == EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE:  # on a CTO: an IMHA (001 Annex 1)
        advocate = draft.directory.pick(draft.rng, ADVOCACY_TEAM, Discipline.ADVOCATE)
        _participant(draft, review, PerformerKind.STAFF, advocate.staff_id, attended=True)
    if draft.chance(0.3):  # the psychiatrist was invited and sent a report instead
        psychiatrist = draft.directory.pick(draft.rng, review_team(draft), Discipline.PSYCHIATRIST)
        _participant(draft, review, PerformerKind.STAFF, psychiatrist.staff_id, attended=False)


def review_team(draft: Draft) -> str:
    assert draft.episode is not None
    return draft.episode.team_id


def _participant(
    draft: Draft,
    review: CarePlanReview,
    kind: PerformerKind,
    who: str,
    *,
    attended: bool,
    behalf: bool = False,
) -> None:
    if any(
        isinstance(p, ReviewParticipant) and p.review_id == review.review_id and p.participant_id == who
        for p in draft.records
    ):
        return
    draft.add(
        ReviewParticipant(
            review_participant_id=draft.new_id("RQ"),
            review_id=review.review_id,
            participant_kind=kind,
            participant_id=who,
            attended=attended,
            on_behalf_of_service_user=behalf,
        )
    )
