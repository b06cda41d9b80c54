"""One synthetic service user's records while they are being made."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from fhircare.source.care_plan import CarePlan, CarePlanAction
from fhircare.source.care_team import CareTeamMember, StaffMember
from fhircare.source.carers import Contact
from fhircare.source.codes import ActivityStatus, CarePlanStatus, CarePlanType, CoordinationRole, Discipline
from fhircare.source.episode import CareEpisode
from fhircare.source.local_codes import MemberKind, PerformerKind
from fhircare.source.service_user import ServiceUser
from fhircare.synth.directory import TrustDirectory

LONDON = ZoneInfo("Europe/London")


@dataclass
class Draft:
    index: int
    rng: random.Random
    as_of: date
    directory: TrustDirectory
    scenario: str
    welsh: bool
    service_user: ServiceUser | None = None
    #: every record made so far (service user first), in the order made
    records: list[BaseModel] = field(default_factory=list)
    episode: CareEpisode | None = None
    #: the named lead (key worker, care co-ordinator, lead clinician, ...) now
    lead: StaffMember | None = None
    #: the plan DIALOG and sharing refer to (the main plan, or the safety plan while waiting)
    main_plan_id: str | None = None
    carers: list[Contact] = field(default_factory=list)
    #: consent ids by the contact they let the plan be shared with
    sharing_consents: dict[str, str] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)

    @property
    def su_id(self) -> str:
        return f"P{self.index + 1:06d}"

    def new_id(self, prefix: str) -> str:
        """A record id unique in the extract: prefix, service user number, serial."""
        self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return f"{prefix}{self.index + 1:06d}-{self._counters[prefix]}"

    def add(self, record: BaseModel) -> None:
        self.records.append(record)

    def day(self, days_before: int) -> date:
        """The day so many days before the extract date (negative: after it)."""
        return self.as_of - timedelta(days=days_before)

    def between(self, first: date, last: date) -> date:
        span = (last - first).days
        return first + timedelta(days=self.rng.randint(0, max(span, 0)))

    def at(self, day: date, hour: int | None = None, minute: int | None = None) -> datetime:
        """A time in office hours on ``day``, Europe/London, to the minute."""
        hour = self.rng.randint(9, 16) if hour is None else hour
        minute = self.rng.choice((0, 10, 15, 20, 30, 40, 45, 50)) if minute is None else minute
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def add_member(
        self,
        kind: MemberKind,
        member_id: str | None,
        start: date,
        *,
        role: CoordinationRole | None = None,
        discipline: Discipline | None = None,
        end: date | None = None,
        episode: CareEpisode | None = None,
        defaulted: bool = False,
    ) -> None:
        """A care team participant of ``episode`` (default: the main episode)."""
        episode = episode or self.episode
        assert episode is not None
        self.add(
            CareTeamMember(
                membership_id=self.new_id("CT"),
                service_user_id=self.su_id,
                episode_id=episode.episode_id,
                team_id=episode.team_id,
                member_kind=kind,
                member_id=member_id,
                coordination_role=role,
                discipline=discipline,
                start_date=start,
                end_date=end,
                defaulted=defaulted,
            )
        )

    def new_plan(
        self,
        plan_type: CarePlanType,
        title: str,
        created: date,
        review_date: date | None,
        timeframe: str | None,
        **fields: object,
    ) -> CarePlan:
        """An active, agreed plan of the main episode, written by the key worker (or, before
        one is allocated, by a member of the team)."""
        assert self.episode is not None
        author = self.lead or self.directory.pick(self.rng, self.episode.team_id)
        plan = CarePlan.model_validate(
            {
                "care_plan_id": self.new_id("CP"),
                "service_user_id": self.su_id,
                "episode_id": self.episode.episode_id,
                "plan_type": plan_type,
                "version": 1,
                "status": CarePlanStatus.ACTIVE,
                "title": title,
                "created_on": created,
                "start_date": created,
                "agreed_on": created,
                "author_staff_id": author.staff_id,
                "next_review_date": review_date,
                "next_review_timeframe": timeframe,
                "service_user_contributed": True,
                **fields,
            }
        )
        self.add(plan)
        return plan

    def new_action(
        self, plan: CarePlan, kind: PerformerKind, performer: str | None, text: str, **fields: object
    ) -> None:
        self.add(
            CarePlanAction.model_validate(
                {
                    "action_id": self.new_id("AC"),
                    "care_plan_id": plan.care_plan_id,
                    "description": text,
                    "performer_kind": kind,
                    "performer_id": performer,
                    "status": ActivityStatus.IN_PROGRESS,
                    **fields,
                }
            )
        )
