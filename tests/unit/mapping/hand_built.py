"""Hand-built service user records for the "safe to share" tests (issue 9): one service
user of a community team under a given arrangement and lead role (England post-CPA,
England CPA / Care Support, Wales standard / enhanced), with a plan and a crisis plan,
and whatever contacts and decisions a test adds. Every record is a real, validated model.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from fhircare.source.assemble import make_bundle
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import MEASURE_AREAS, CarePlan, CarePlanAction, CtpArea
from fhircare.source.care_team import CareTeamMember, Organisation, Service, StaffMember, Team
from fhircare.source.codes import (
    ActivityStatus,
    CareCoordinationArrangement,
    CarePlanStatus,
    CarePlanType,
    ContactWhen,
    CoordinationRole,
    CrisisContingencyContent,
    Discipline,
    EpisodeStatus,
    Gender,
    NhsNumberStatus,
    PartnerOrganisationType,
    UrgentCareServiceType,
)
from fhircare.source.episode import CareArrangement, CareEpisode
from fhircare.source.local_codes import Jurisdiction, MemberKind, PerformerKind, ServiceLine
from fhircare.source.service_user import ServiceUser

LONDON = ZoneInfo("Europe/London")
SU = "HB-1"
TEAM = "HB-T1"
LEAD = "HB-S1"
MANAGER = "HB-S2"
PSYCHIATRIST = "HB-S3"
LEAD_PHONE = "01632 960 701"
TEAM_PHONE = "01632 960 700"
GP = "HB-GP"
LOCAL_AUTHORITY = "HB-LA"
ICB = "HB-ICB"
VCSE = "HB-VCSE"
CRISIS_LINE = "HB-LINE"
CRISIS_LINE_PHONE = "01632 960 799"
START = date(2024, 1, 8)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


def directory() -> list[BaseModel]:
    return [
        Organisation(organisation_id=GP, name="Hand Built Surgery", kind=PartnerOrganisationType.GP_PRACTICE),
        Organisation(organisation_id=LOCAL_AUTHORITY, name="Hand Built Council",
                     kind=PartnerOrganisationType.LOCAL_AUTHORITY),
        Organisation(organisation_id=ICB, name="Hand Built ICB", kind=PartnerOrganisationType.INTEGRATED_CARE_BOARD),
        Organisation(organisation_id=VCSE, name="Hand Built Wellbeing", kind=PartnerOrganisationType.VCSE),
        Team(team_id=TEAM, name="Hand Built community team", service_line=ServiceLine.COMMUNITY_MENTAL_HEALTH,
             phone=TEAM_PHONE, manager_staff_id=MANAGER),
        StaffMember(staff_id=LEAD, family_name="Lead", given_name="Lee", team_id=TEAM,
                    discipline=Discipline.COMMUNITY_MENTAL_HEALTH_NURSE, phone=LEAD_PHONE),
        StaffMember(staff_id=MANAGER, family_name="Manager", given_name="Mo", team_id=TEAM,
                    discipline=Discipline.SOCIAL_WORK),
        StaffMember(staff_id=PSYCHIATRIST, family_name="Doctor", given_name="Dee", team_id=TEAM,
                    discipline=Discipline.PSYCHIATRIST),
        Service(service_id=CRISIS_LINE, name="Hand Built 24-hour crisis line",
                service_type=UrgentCareServiceType.CRISIS_LINE, phone=CRISIS_LINE_PHONE, available_24_7=True),
    ]  # fmt: skip


def service_user(*, welsh: bool = False) -> ServiceUser:
    return ServiceUser(
        service_user_id=SU,
        nhs_number="9990000018",
        nhs_number_status=NhsNumberStatus.VERIFIED,
        family_name="Handbuilt",
        given_name="Rhys" if welsh else "Robin",
        birth_date=date(1980, 3, 4),
        gender=Gender.UNKNOWN,
        preferred_language="cy" if welsh else "en",
        gp_practice_id=GP,
    )


def member(n: int, kind: MemberKind, member_id: str | None, **fields: object) -> CareTeamMember:
    return CareTeamMember.model_validate(
        {
            "membership_id": f"HB-CT{n}",
            "service_user_id": SU,
            "episode_id": "HB-EP1",
            "team_id": TEAM,
            "member_kind": kind,
            "member_id": member_id,
            "start_date": START,
            **fields,
        }
    )


def _plans(*, welsh: bool, contact_lead: bool) -> list[BaseModel]:
    """The main plan and its crisis plan; while a lead is awaited, the safety plan made at
    assessment (004 §3.4; in Wales no Care and Treatment Plan exists before a care
    coordinator does, who writes it: 001 ¶136)."""
    waiting = not contact_lead
    plan_type = CarePlanType.SAFETY_PLAN if waiting else CarePlanType.WELSH_CTP if welsh else CarePlanType.PCSP
    main = CarePlan(
        care_plan_id="HB-CP1", service_user_id=SU, episode_id="HB-EP1",
        plan_type=plan_type, version=1,
        status=CarePlanStatus.ACTIVE, created_on=START, start_date=START, agreed_on=START,
        author_staff_id=LEAD if contact_lead else MANAGER, next_review_date=date(2025, 9, 1),
        service_user_contributed=True,
    )  # fmt: skip
    crisis = main.model_copy(
        update={"care_plan_id": "HB-CP2", "plan_type": CarePlanType.CRISIS_PLAN, "parent_care_plan_id": "HB-CP1"}
    )
    crisis_id = "HB-CP1" if waiting else "HB-CP2"
    who = (PerformerKind.STAFF, LEAD) if contact_lead else (PerformerKind.TEAM, TEAM)
    actions = [
        CarePlanAction(action_id="HB-AC1", care_plan_id=crisis_id, description="Not sleeping.",
                       performer_kind=PerformerKind.SERVICE_USER, status=ActivityStatus.IN_PROGRESS,
                       content=CrisisContingencyContent.TRIGGER),
        CarePlanAction(action_id="HB-AC2", care_plan_id=crisis_id, description="Weekdays: call the named lead.",
                       performer_kind=who[0], performer_id=who[1], status=ActivityStatus.IN_PROGRESS,
                       content=CrisisContingencyContent.CRISIS_CONTACT, contact_when=ContactWhen.OFFICE_HOURS),
        CarePlanAction(action_id="HB-AC3", care_plan_id=crisis_id, description="Out of hours: the crisis line.",
                       performer_kind=PerformerKind.SERVICE, performer_id=CRISIS_LINE,
                       status=ActivityStatus.IN_PROGRESS, content=CrisisContingencyContent.CRISIS_CONTACT,
                       contact_when=ContactWhen.OUT_OF_HOURS),
    ]  # fmt: skip
    areas = [
        CtpArea(ctp_area_id=f"HB-AR{n}", care_plan_id="HB-CP1", area=area, considered=True, action_needed=n % 2 == 0,
                outcome="Discussed and agreed.")
        for n, area in enumerate(MEASURE_AREAS)
    ] if welsh and not waiting else []  # fmt: skip
    return [main, *([] if waiting else [crisis]), *actions, *areas]


def record(
    arrangement: CareCoordinationArrangement,
    lead_role: CoordinationRole | None,
    *extra: BaseModel,
    waiting: bool = False,
) -> ServiceUserRecord:
    """A service user under ``arrangement`` whose named lead has ``lead_role`` (None and
    ``waiting``: accepted, awaiting one, the duty worker covering)."""
    welsh = arrangement.in_wales
    episode = CareEpisode(
        episode_id="HB-EP1",
        service_user_id=SU,
        team_id=TEAM,
        service_line=ServiceLine.COMMUNITY_MENTAL_HEALTH,
        jurisdiction=Jurisdiction.WALES if welsh else Jurisdiction.ENGLAND,
        status=EpisodeStatus.WAITLIST if waiting else EpisodeStatus.ACTIVE,
        start_date=START,
        key_worker_awaiting_since=START if waiting else None,
    )
    level = CareArrangement(
        arrangement_id="HB-CL1", service_user_id=SU, episode_id="HB-EP1", arrangement=arrangement, start_date=START
    )
    team = [
        member(2, MemberKind.STAFF, MANAGER, coordination_role=CoordinationRole.TEAM_MANAGER),
        member(3, MemberKind.STAFF, PSYCHIATRIST, discipline=Discipline.PSYCHIATRIST),
    ]
    if lead_role is not None:
        team.append(
            member(
                1,
                MemberKind.STAFF,
                LEAD,
                coordination_role=lead_role,
                discipline=Discipline.COMMUNITY_MENTAL_HEALTH_NURSE,
            )
        )
    if waiting:
        team.append(member(4, MemberKind.TEAM, TEAM, coordination_role=CoordinationRole.DUTY_WORKER))
    models = [
        service_user(welsh=welsh),
        episode,
        level,
        *team,
        *_plans(welsh=welsh, contact_lead=lead_role is not None),
    ]
    return make_bundle([*models, *extra, *directory()])
