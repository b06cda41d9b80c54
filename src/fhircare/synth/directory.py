"""The synthetic trust: its teams, staff and partner organisations.

One cross-border trust (England and Wales, EC-17) with community, early intervention,
crisis, inpatient and rehabilitation teams; GP practices, local authorities, an ICB and a
Welsh local health board, VCSE partners and out-of-area providers. The staff list grows
with the number of service users, so caseloads stay plausible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import BaseModel

from fhircare.source.care_team import Organisation, Service, StaffMember, Team
from fhircare.source.codes import Discipline, PartnerOrganisationType, UrgentCareServiceType, Weekday
from fhircare.source.local_codes import ServiceLine
from fhircare.source.records import record_type_of
from fhircare.synth.names import family_name, given_name, landline

_TEAMS = (
    ("T-NORTH", "North community mental health team", ServiceLine.COMMUNITY_MENTAL_HEALTH),
    ("T-SOUTH", "South community mental health team", ServiceLine.COMMUNITY_MENTAL_HEALTH),
    ("T-EIP", "Early intervention in psychosis team", ServiceLine.EARLY_INTERVENTION),
    ("T-CRHT", "Crisis resolution and home treatment team", ServiceLine.CRISIS_HOME_TREATMENT),
    ("T-OAK", "Oak ward (adult acute inpatient)", ServiceLine.INPATIENT),
    ("T-REHAB", "Rehabilitation and recovery team", ServiceLine.REHABILITATION),
    ("T-BORDER", "Border community mental health team (Wales)", ServiceLine.COMMUNITY_MENTAL_HEALTH),
)
#: community teams a new episode can start with (England; Wales has the Border team)
COMMUNITY_TEAMS = ("T-NORTH", "T-SOUTH", "T-EIP")
WELSH_TEAM = "T-BORDER"
INPATIENT_TEAM = "T-OAK"

_ORGANISATIONS = (
    ("ORG-GP1", "Synthetic Lane Surgery", PartnerOrganisationType.GP_PRACTICE, "ZZ9001"),
    ("ORG-GP2", "Example Road Medical Centre", PartnerOrganisationType.GP_PRACTICE, "ZZ9002"),
    ("ORG-GP3", "Placeholder Health Centre", PartnerOrganisationType.GP_PRACTICE, "ZZ9003"),
    ("ORG-GP4", "Fable Avenue Practice", PartnerOrganisationType.GP_PRACTICE, "ZZ9004"),
    ("ORG-GP5", "Cwm Synthetig Surgery", PartnerOrganisationType.GP_PRACTICE, "ZZ9005"),
    ("ORG-LA1", "Synthetic Valley Council", PartnerOrganisationType.LOCAL_AUTHORITY, "ZZLA1"),
    ("ORG-LA2", "Border County Council", PartnerOrganisationType.LOCAL_AUTHORITY, "ZZLA2"),
    ("ORG-ICB", "Synthetic Valley Integrated Care Board", PartnerOrganisationType.INTEGRATED_CARE_BOARD, "ZZIC1"),
    ("ORG-LHB", "Border Health Board", PartnerOrganisationType.LOCAL_HEALTH_BOARD, "ZZLHB1"),
    ("ORG-VCSE1", "Synthetic Valley Wellbeing Network", PartnerOrganisationType.VCSE, None),
    ("ORG-VCSE2", "Peer Support Collective", PartnerOrganisationType.VCSE, None),
    ("ORG-OAP1", "Distant Hills Rehabilitation Hospital", PartnerOrganisationType.OTHER_PROVIDER, "ZZP01"),
    ("ORG-OAP2", "Far Moor Clinic", PartnerOrganisationType.OTHER_PROVIDER, "ZZP02"),
    ("ORG-ADV", "Synthetic Valley Advocacy", PartnerOrganisationType.ADVOCACY, None),
)
#: urgent and emergency care partners (made with their own random stream, so that adding
#: them left every other name and number of the directory as it was)
_URGENT_CARE = (
    ("ORG-AMB", "Synthetic Valley Ambulance Service NHS Trust", PartnerOrganisationType.AMBULANCE_SERVICE, "ZZAMB1"),
    ("ORG-111", "Synthetic Valley NHS 111", PartnerOrganisationType.NHS_111, "ZZ1111"),
    ("ORG-ED", "Synthetic Valley General Hospital", PartnerOrganisationType.EMERGENCY_DEPARTMENT, "ZZED1"),
    ("ORG-POL", "Synthetic Valley Police", PartnerOrganisationType.POLICE, None),
)
#: the advocacy service's team of independent advocates (IMHA, IMCA)
ADVOCACY_TEAM = "T-ADV"
_EVERY_DAY = tuple(Weekday)
_WEEKDAYS = tuple(Weekday)[:5]
#: crisis and contingency contacts: id, name, type, provider (None: the trust), team,
#: phone (None: a made-up landline), 24/7, days, opens, closes, when closed
_SERVICES: tuple[
    tuple[
        str,
        str,
        UrgentCareServiceType,
        str | None,
        str | None,
        str | None,
        bool,
        tuple[Weekday, ...],
        str | None,
        str | None,
        str | None,
    ],
    ...,
] = (
    ("SV-CRISIS-LINE", "Synthetic Valley 24-hour mental health crisis line", UrgentCareServiceType.CRISIS_LINE,
     None, "T-CRHT", None, True, (), None, None, None),
    ("SV-CRHT", "Crisis resolution and home treatment team", UrgentCareServiceType.CRISIS_HOME_TREATMENT,
     None, "T-CRHT", None, True, (), None, None, None),
    ("SV-111", "NHS 111, option 2 for mental health", UrgentCareServiceType.NHS_111_MENTAL_HEALTH,
     "ORG-111", None, "111", True, (), None, None, None),
    ("SV-999", "Emergency services (999) if life is in immediate danger", UrgentCareServiceType.EMERGENCY_SERVICES,
     "ORG-AMB", None, "999", True, (), None, None, None),
    ("SV-LIAISON", "Liaison psychiatry, Synthetic Valley General Hospital", UrgentCareServiceType.LIAISON_PSYCHIATRY,
     "ORG-ED", None, None, True, (), None, None, None),
    ("SV-SANCTUARY", "The Evening Sanctuary (crisis cafe)", UrgentCareServiceType.CRISIS_SANCTUARY,
     "ORG-VCSE1", None, None, False, _EVERY_DAY, "18:00", "23:30", "Closed on 25 and 26 December"),
    ("SV-BORDER-LINE", "Border 24-hour mental health support line (Wales)", UrgentCareServiceType.CRISIS_LINE,
     "ORG-LHB", None, None, True, (), None, None, None),
)  # fmt: skip
#: each community team's duty worker line: office hours only (004 §3.4)
DUTY_LINES = {
    "T-NORTH": "SV-DUTY-NORTH",
    "T-SOUTH": "SV-DUTY-SOUTH",
    "T-EIP": "SV-DUTY-EIP",
    "T-BORDER": "SV-DUTY-BORDER",
}
CRISIS_LINE = "SV-CRISIS-LINE"
WELSH_CRISIS_LINE = "SV-BORDER-LINE"
ENGLISH_GPS = ("ORG-GP1", "ORG-GP2", "ORG-GP3", "ORG-GP4")
WELSH_GP = "ORG-GP5"
VCSE = ("ORG-VCSE1", "ORG-VCSE2")
OUT_OF_AREA = ("ORG-OAP1", "ORG-OAP2")

#: discipline, SDS job role, registration (gmc / nmc / hcpc prefix / none), share of a team
_ROLES: tuple[tuple[Discipline, str, str, int], ...] = (
    (Discipline.COMMUNITY_MENTAL_HEALTH_NURSE, "R1975", "nmc", 4),
    (Discipline.PSYCHIATRIST, "R1981", "gmc", 1),
    (Discipline.SOCIAL_WORK, "R1330", "hcpc:SW", 2),
    (Discipline.OCCUPATIONAL_THERAPY, "R0950", "hcpc:OT", 2),
    (Discipline.CLINICAL_PSYCHOLOGIST, "R1310", "hcpc:PYL", 1),
    (Discipline.PEER_SUPPORT, "R1710", "", 1),
    (Discipline.SUPPORT_WORK, "R1450", "", 1),
)


@dataclass
class TrustDirectory:
    teams: dict[str, Team] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    staff: dict[str, StaffMember] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    #: team id → discipline → staff ids
    by_team: dict[str, dict[Discipline, list[str]]] = field(default_factory=dict)

    def pick(self, rng: random.Random, team_id: str, *disciplines: Discipline) -> StaffMember:
        """A member of the team with one of the disciplines (any discipline if none fit)."""
        pools = self.by_team[team_id]
        candidates = [s for d in disciplines for s in pools.get(d, [])]
        if not candidates:
            candidates = [s for ids in pools.values() for s in ids]
        return self.staff[rng.choice(sorted(candidates))]

    def manager(self, team_id: str) -> StaffMember:
        manager_id = self.teams[team_id].manager_staff_id
        assert manager_id is not None
        return self.staff[manager_id]

    @cached_property
    def entries(self) -> dict[tuple[str, str], BaseModel]:
        """Every entry by (record type, id), as the readers' directory holds them."""
        out: dict[tuple[str, str], BaseModel] = {}
        for entry in self.records():
            rt = record_type_of(entry)
            out[(rt.name, str(getattr(entry, rt.key[0])))] = entry
        return out

    def records(self) -> list[StaffMember | Team | Organisation | Service]:
        """Every entry: organisations, teams, staff, then services (each in id order)."""
        return [
            *(self.organisations[k] for k in sorted(self.organisations)),
            *(self.teams[k] for k in sorted(self.teams)),
            *(self.staff[k] for k in sorted(self.staff)),
            *(self.services[k] for k in sorted(self.services)),
        ]


def build_directory(seed: int, patients: int) -> TrustDirectory:
    rng = random.Random(f"fhircare-synth-directory:{seed}")
    directory = TrustDirectory()
    for org_id, name, kind, ods in _ORGANISATIONS:
        directory.organisations[org_id] = Organisation(
            organisation_id=org_id, name=name, kind=kind, ods_code=ods, phone=landline(rng)
        )
    scale = max(1, min(10, 1 + patients // 150))
    number = 0
    for team_id, team_name, line in _TEAMS:
        welsh = team_id == WELSH_TEAM
        pools: dict[Discipline, list[str]] = {}
        number += 1
        manager_id = f"S{number:05d}"
        directory.staff[manager_id] = _staff(rng, manager_id, team_id, Discipline.SOCIAL_WORK, "R9585", "", welsh)
        for discipline, job_role, registration, share in _ROLES:
            for _ in range(share * scale):
                number += 1
                staff_id = f"S{number:05d}"
                directory.staff[staff_id] = _staff(rng, staff_id, team_id, discipline, job_role, registration, welsh)
                pools.setdefault(discipline, []).append(staff_id)
        directory.by_team[team_id] = pools
        directory.teams[team_id] = Team(
            team_id=team_id, name=team_name, service_line=line, phone=landline(rng), manager_staff_id=manager_id
        )
    _urgent_care(directory, seed, number)
    return directory


def _urgent_care(directory: TrustDirectory, seed: int, number: int) -> None:
    """Urgent-care partners, the advocacy team and the services crisis plans name."""
    rng = random.Random(f"fhircare-synth-urgent-care:{seed}")
    for org_id, name, kind, ods in _URGENT_CARE:
        directory.organisations[org_id] = Organisation(
            organisation_id=org_id, name=name, kind=kind, ods_code=ods, phone=landline(rng)
        )
    advocates = []
    for _ in range(2):
        number += 1
        staff_id = f"S{number:05d}"
        directory.staff[staff_id] = StaffMember(
            staff_id=staff_id,
            family_name=family_name(rng),
            given_name=given_name(rng, "any"),
            team_id=ADVOCACY_TEAM,
            discipline=Discipline.ADVOCATE,
            phone=landline(rng),
        )
        advocates.append(staff_id)
    directory.by_team[ADVOCACY_TEAM] = {Discipline.ADVOCATE: advocates}
    directory.teams[ADVOCACY_TEAM] = Team(
        team_id=ADVOCACY_TEAM,
        name="Independent mental health and mental capacity advocates",
        organisation_id="ORG-ADV",
        phone=landline(rng),
    )
    for service_id, name, service_type, provider, runs, phone, always, days, opens, closes, closed in _SERVICES:
        directory.services[service_id] = Service(
            service_id=service_id,
            name=name,
            service_type=service_type,
            organisation_id=provider,
            team_id=runs,
            phone=phone or landline(rng),
            available_24_7=always,
            days=days,
            opens_at=opens,
            closes_at=closes,
            not_available=closed,
        )
    for team_id, service_id in DUTY_LINES.items():
        team = directory.teams[team_id]
        assert team.phone is not None
        directory.services[service_id] = Service(
            service_id=service_id,
            name=f"{team.name}: duty worker",
            service_type=UrgentCareServiceType.DUTY_WORKER,
            team_id=team_id,
            phone=team.phone,
            available_24_7=False,
            days=_WEEKDAYS,
            opens_at="09:00",
            closes_at="17:00",
            not_available="Closed on bank holidays",
        )


def _staff(
    rng: random.Random,
    staff_id: str,
    team_id: str,
    discipline: Discipline,
    job_role: str,
    registration: str,
    welsh: bool,
) -> StaffMember:
    gender = rng.choice(("female", "male", "any"))
    serial = int(staff_id[1:])
    reg: dict[str, str] = {}
    if registration == "gmc":
        reg["gmc_number"] = f"99{serial:05d}"
    elif registration == "nmc":
        reg["nmc_number"] = f"99X{serial % 10000:04d}{'ABCDEFGHJK'[serial % 10]}"
    elif registration.startswith("hcpc:"):
        reg["hcpc_number"] = f"{registration[5:]}{serial:05d}"
    return StaffMember(
        staff_id=staff_id,
        family_name=family_name(rng, welsh),
        given_name=given_name(rng, gender, welsh),
        title="Dr" if registration == "gmc" else None,
        team_id=team_id,
        discipline=discipline,
        sds_job_role=job_role,
        sds_user_id=f"9999990{serial:05d}",
        sds_role_profile_id=f"9999991{serial:05d}",
        phone=landline(rng),
        gmc_number=f"99{serial:05d}" if registration == "gmc" else None,
        nmc_number=f"99X{serial % 10000:04d}{'ABCDEFGHJK'[serial % 10]}" if registration == "nmc" else None,
        hcpc_number=f"{registration[5:]}{serial:05d}" if registration.startswith("hcpc:") else None,
    )
