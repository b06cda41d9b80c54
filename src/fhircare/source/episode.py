"""Care coordination episodes, their arrangement (care level) and the waiting list (§1.2)."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import model_validator

from fhircare.source.codes import CareCoordinationArrangement, EpisodeStatus
from fhircare.source.common import Dated, LocalId, SourceRecord, Text, field_error
from fhircare.source.local_codes import Jurisdiction, ServiceLine


class CareEpisode(SourceRecord):
    """An open team referral: one team's involvement with the service user (DE-034,
    DE-037, DE-040). ``status`` ``waitlist`` with ``key_worker_awaiting_since`` is the
    accepted person nobody is allocated to yet (EC-01); the team's duty worker covers.
    Two episodes at once are normal during a transfer (EC-10)."""

    episode_id: LocalId
    service_user_id: LocalId
    team_id: LocalId
    service_line: ServiceLine
    #: whose policy the episode runs under (EC-17, EC-34): a cross-border trust has both
    jurisdiction: Jurisdiction
    status: EpisodeStatus
    referral_date: date | None = None
    start_date: date
    end_date: date | None = None
    key_worker_awaiting_since: date | None = None
    #: an earlier episode this one continues (re-referral, EC-27; receiving team, EC-10)
    previous_episode_id: LocalId | None = None
    end_reason: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end_date is not None and self.end_date < self.start_date:
            raise field_error("end_date", "is before start_date")
        if self.referral_date is not None and self.referral_date > self.start_date:
            raise field_error("referral_date", "is after start_date")
        if self.status is EpisodeStatus.FINISHED and self.end_date is None:
            raise field_error("end_date", "is required when the episode is finished")
        if self.key_worker_awaiting_since is not None and self.status not in (
            EpisodeStatus.WAITLIST,
            EpisodeStatus.ACTIVE,
        ):
            raise field_error("key_worker_awaiting_since", f"cannot be set on a {self.status.value} episode")
        if self.status is EpisodeStatus.WAITLIST and self.key_worker_awaiting_since is None:
            raise field_error("key_worker_awaiting_since", "is required on the waiting list")
        return self


class CareArrangement(Dated):
    """The care coordination arrangement (care level) over a period (DD-01): kept as a
    history so step-up and step-down are visible (DE-036, EC-30). A post-CPA trust records
    none, or ``key-worker-care-coordination``; a missing level is never defaulted (DE-033)."""

    arrangement_id: LocalId
    service_user_id: LocalId
    episode_id: LocalId | None = None
    arrangement: CareCoordinationArrangement
    #: DE-031: why this level, and who took part in deciding
    rationale: Text | None = None
