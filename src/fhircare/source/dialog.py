"""DIALOG: eleven satisfaction ratings 1-7 keyed by item, "more help" answers, timepoint,
how completed; or the offer declined or not appropriate, with the reason (§1.7, DD-15)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, field_validator, model_validator

from fhircare.source.codes import DataAbsentReason, DialogItem, DialogTimepoint
from fhircare.source.common import Instant, LocalId, SourceRecord, Text, field_error
from fhircare.source.local_codes import DialogCompletionMethod, DialogNotAppropriateReason, DialogStatus, PerformerKind

#: the policy's order (004 §3.17); items are matched by key, never by position (EC-63)
ITEM_ORDER: tuple[DialogItem, ...] = tuple(DialogItem)


class DialogRating(SourceRecord):
    """One item: its rating 1-7, or why it was not rated; optionally "more help" (EC-66)."""

    item: DialogItem
    rating: int | None = Field(default=None, ge=1, le=7)
    more_help: bool | None = None
    not_rated_reason: DataAbsentReason | None = None

    @model_validator(mode="after")
    def _rated_or_reason(self) -> Self:
        # which of the two it lacks or holds both of: an item not answered (neither) was told
        # "not both" (fifth layout trial), which sent the trust looking for a second value
        if self.rating is None and self.not_rated_reason is None:
            raise field_error(
                "rating", "has neither a rating 1-7 nor a not-rated reason: an item not answered records why"
            )
        if self.rating is not None and self.not_rated_reason is not None:
            raise field_error("rating", "has both a rating and a not-rated reason: each item has one or the other")
        return self


class DialogAssessment(SourceRecord):
    """A DIALOG offer and its outcome. ``completed`` holds one rating per item (each rated
    or with a reason); ``declined`` and ``not-appropriate`` hold none but a reason (EC-60:
    "not applicable" is not non-compliance). ``author_kind`` differs from the service user
    when someone helped (EC-61)."""

    dialog_assessment_id: LocalId
    service_user_id: LocalId
    care_plan_id: LocalId | None = None
    episode_id: LocalId | None = None
    timepoint: DialogTimepoint
    status: DialogStatus
    offered_at: Instant
    completed_at: Instant | None = None
    completion_method: DialogCompletionMethod | None = None
    author_kind: PerformerKind = PerformerKind.SERVICE_USER
    author_staff_id: LocalId | None = None
    not_appropriate_reason: DialogNotAppropriateReason | None = None
    declined_reason: Text | None = None
    ratings: tuple[DialogRating, ...] = ()

    @field_validator("ratings")
    @classmethod
    def _in_item_order(cls, ratings: tuple[DialogRating, ...]) -> tuple[DialogRating, ...]:
        return tuple(sorted(ratings, key=lambda r: ITEM_ORDER.index(r.item)))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        items = [r.item for r in self.ratings]
        if len(set(items)) != len(items):
            raise field_error("ratings", "rate an item twice")
        if self.author_kind not in (PerformerKind.SERVICE_USER, PerformerKind.STAFF):
            raise field_error("author_kind", "is the service user or a member of staff")
        if (self.author_kind is PerformerKind.STAFF) != (self.author_staff_id is not None):
            raise field_error("author_staff_id", "is required exactly when a member of staff is the author")
        if self.status is DialogStatus.COMPLETED:
            if set(items) != set(DialogItem):
                missing = ", ".join(i.value for i in DialogItem if i not in items)
                raise field_error("ratings", f"a completed DIALOG covers all eleven items (missing: {missing})")
            if self.completed_at is None or self.completion_method is None:
                raise field_error("completed_at", "and completion_method are required when completed")
            if self.completed_at < self.offered_at:
                raise field_error("completed_at", "is before offered_at")
        else:
            if self.ratings or self.completed_at is not None:
                raise field_error("ratings", f"a {self.status.value} DIALOG has no ratings and no completion")
            if self.status is DialogStatus.NOT_APPROPRIATE and self.not_appropriate_reason is None:
                raise field_error("not_appropriate_reason", "is required when DIALOG is not appropriate")
            if self.status is DialogStatus.DECLINED and self.declined_reason is None:
                raise field_error("declined_reason", "is required when DIALOG was declined")
        if self.status is not DialogStatus.NOT_APPROPRIATE and self.not_appropriate_reason is not None:
            raise field_error("not_appropriate_reason", "applies only when DIALOG is not appropriate")
        return self

    def rating_for(self, item: DialogItem) -> DialogRating | None:
        return next((r for r in self.ratings if r.item is item), None)
