"""Each requirements.md §6 edge case the synthetic generator covers, and what it becomes
in FHIR. Service users are found by what their records show (scenarios.edge_cases), in
both layouts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fhircare.source.care_plan import MEASURE_AREAS
from fhircare.source.codes import CoordinationRole, EpisodeStatus
from fhircare.source.local_codes import ConsentDecider, ConsentDecisionType, ConsentKind, DialogStatus
from fhircare.synth import DEFAULT_AS_OF, EdgeCase, edge_cases
from tests.unit.mapping.conftest import LAYOUTS, MappedRun
from tests.unit.mapping.fhir_helpers import CS, SD, SNOMED, Bundle, codes, extensions, has_code, part

ROLE = CS + "care-team-role"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
UKCORE_LEGAL_STATUS = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-LegalStatus"


def _cases(run: MappedRun, case: EdgeCase) -> list[str]:
    found = [su for su, record in run.records.items() if case in edge_cases(record, DEFAULT_AS_OF)]
    assert found, f"no synthetic service user shows {case}"
    assert all(su in run.bundles for su in found), "every synthetic service user maps"
    return found


LEAD_ROLES = tuple(r.value for r in CoordinationRole if r.is_lead)


def _lead_participants(team: dict[str, object]) -> list[dict[str, object]]:
    return [p for p in team["participant"] if any(has_code(p["role"], ROLE, r) for r in LEAD_ROLES)]  # type: ignore[index,union-attr]


def _current_lead(team: dict[str, object]) -> dict[str, object]:
    [lead] = [p for p in _lead_participants(team) if "end" not in p["period"]]  # type: ignore[index,operator]
    return lead


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_lead_yet(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-01: waiting for a named lead, the duty worker as default contact (004 §3.4), a safety plan."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.NO_LEAD_YET):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        team = bundle.one("CareTeam")
        [waiting] = extensions(team, "lead-awaiting-allocation")
        since = min(e.key_worker_awaiting_since for e in record.episodes if e.status is EpisodeStatus.WAITLIST)
        assert waiting["valueDateTime"] == since.isoformat()
        assert not [p for p in _lead_participants(team) if "end" not in p["period"]]
        duty = [p for p in team["participant"] if has_code(p["role"], ROLE, "duty-worker")]
        assert duty and "duty worker" in team["text"]["div"]
        plans = bundle.all("CarePlan")
        assert any(has_code(p["category"], CS + "care-plan-type", "safety-plan") for p in plans)
        assert all("Named contact: the team's duty worker" in p["text"]["div"] for p in plans)
        waitlist = [e for e in bundle.all("EpisodeOfCare") if e["status"] == "waitlist"]
        assert waitlist and all("careManager" not in e for e in waitlist)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_lead_change(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-06: the earlier lead keeps a closed period; one current lead."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.LEAD_CHANGE):
        team = Bundle(run.bundles[su]).one("CareTeam")
        leads = _lead_participants(team)
        current = _current_lead(team)
        ended = [p for p in leads if "end" in p["period"]]  # type: ignore[operator]
        assert ended and all(p["period"]["end"] < current["period"]["start"] for p in ended)  # type: ignore[index]
        assert not extensions(team, "lead-awaiting-allocation")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_care_coordinator_lead(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-111, 002 ¶13: a care co-ordinator lead (CPA, Wales) maps as a care co-ordinator,
    is the care manager of their episode and the plan's named contact, never rebadged."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.CARE_COORDINATOR_LEAD):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        leads = record.leads_on(DEFAULT_AS_OF)
        [member] = [m for m in leads if m.coordination_role is CoordinationRole.CARE_COORDINATOR]
        team = bundle.one("CareTeam")
        lead = _current_lead(team)
        assert has_code(lead["role"], ROLE, "care-coordinator") and not has_code(lead["role"], ROLE, "key-worker")  # type: ignore[arg-type]
        role = bundle.resolve(lead["member"])  # type: ignore[arg-type]
        episode = bundle.identified("EpisodeOfCare", member.episode_id)  # type: ignore[arg-type]
        assert bundle.resolve(episode["careManager"]) is role
        assert "Care co-ordinator:" in team["text"]["div"] and "Key worker" not in team["text"]["div"]
        main = [p for p in bundle.all("CarePlan") if "partOf" not in p]
        assert all(", care co-ordinator" in p["text"]["div"] for p in main)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_default_lead_at_discharge(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-02, 004 §3.11: the receiving team's manager is the lead by default, marked so,
    after an inpatient discharge, and is the episode's care manager."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.DEFAULT_LEAD_AT_DISCHARGE):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        team = bundle.one("CareTeam")
        lead = _current_lead(team)
        assert extensions(lead, "default-lead") == [{"url": SD + "default-lead", "valueBoolean": True}]
        assert has_code(lead["role"], ROLE, "team-manager")  # type: ignore[arg-type]
        [member] = [m for m in record.care_team if m.defaulted]
        manager = next(t.manager_staff_id for t in record.teams if t.team_id == member.team_id)
        role = bundle.resolve(lead["member"])  # type: ignore[arg-type]
        assert role is bundle.identified("PractitionerRole", manager)  # type: ignore[arg-type]
        [episode] = [e for e in bundle.all("EpisodeOfCare") if e.get("careManager")]
        assert bundle.resolve(episode["careManager"]) is role
        assert "by default" in team["text"]["div"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_transfer_between_teams(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-10: both teams manage the care team; the key worker stays with the originating team."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.TRANSFER_BETWEEN_TEAMS):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        [transfer] = record.transfers
        origin = next(e for e in record.episodes if e.episode_id == transfer.from_episode_id)
        team = bundle.one("CareTeam")
        managing = {bundle.resolve(ref)["name"] for ref in team["managingOrganization"]}
        names = {t.team_id: t.name for t in record.teams}
        assert managing == {names[origin.team_id], names[transfer.to_team_id]}
        lead = _current_lead(team)
        role = bundle.resolve(lead["member"])
        assert bundle.resolve(role["organization"])["name"] == names[origin.team_id]
        # the originating episode keeps the key worker and says where the transfer is
        originating = bundle.identified("EpisodeOfCare", origin.episode_id)
        assert bundle.resolve(originating["careManager"]) is role
        [moving] = extensions(originating, "transfer-of-care")
        assert bundle.resolve(part(moving, "toTeam"))["name"] == names[transfer.to_team_id]
        assert part(moving, "status") == transfer.status.value
        if transfer.to_episode_id is not None:
            receiving = bundle.identified("EpisodeOfCare", transfer.to_episode_id)
            assert bundle.resolve(part(moving, "toEpisode")) is receiving
            assert "careManager" not in receiving
            [previous] = extensions(receiving, "previous-episode")
            assert bundle.resolve(previous["valueReference"]) is originating


@pytest.mark.parametrize("layout", LAYOUTS)
def test_young_carer(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-42: recorded as stated, with the carer role and the birth date."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.YOUNG_CARER):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for contact in (c for c in record.contacts if c.young_carer):
            person = bundle.identified("RelatedPerson", contact.contact_id)
            assert extensions(person, "young-carer") == [
                {"url": f"{CS.replace('CodeSystem', 'StructureDefinition')}young-carer", "valueBoolean": True}
            ]
            relationships = set().union(*(codes(c) for c in person["relationship"]))
            assert (
                "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole",
                "Carer",
            ) in relationships
            assert person["birthDate"] == contact.birth_date.isoformat()  # type: ignore[union-attr]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_carer_refusing_consent(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-45: a carer entry without personal details, and the carer's own refusal."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.CARER_REFUSING_CONSENT):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        refusal = next(c for c in record.consents if c.kind is ConsentKind.COLLECTION)
        consent = bundle.identified("Consent", refusal.consent_id)
        assert consent["provision"]["type"] == "deny"
        assert has_code(consent["category"], "http://terminology.hl7.org/CodeSystem/v3-ActCode", "ICOL")
        carer = bundle.resolve(consent["performer"][0])
        assert carer["resourceType"] == "RelatedPerson"
        assert bundle.resolve(consent["provision"]["data"][0]["reference"]) is carer
        assert not {"name", "telecom", "birthDate", "address"} & set(carer)
        assert "not recorded" in carer["text"]["div"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_service_user_refusing_carer_involvement(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-43/44: do-not-involve on the person, a deny Consent, the rationale in Provenance."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.SERVICE_USER_REFUSING_CARER_INVOLVEMENT):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        refusal = next(
            c
            for c in record.consents
            if c.decision is ConsentDecisionType.DENY and c.decided_by is ConsentDecider.SERVICE_USER
        )
        consent = bundle.identified("Consent", refusal.consent_id)
        assert consent["provision"]["type"] == "deny"
        assert bundle.resolve(consent["performer"][0])["resourceType"] == "Patient"
        person = bundle.resolve(consent["provision"]["actor"][0]["reference"])
        [marker] = extensions(person, "do-not-involve")
        assert bundle.resolve(part(marker, "consent")) is consent
        [evidence] = [p for p in bundle.all("Provenance") if bundle.resolve(p["target"][0]) is consent]
        assert has_code([evidence["activity"]], CS + "record-activity", "consent-refusal")
        assert evidence["reason"] == [{"text": refusal.rationale}]
        # nothing of the plan reaches the person: no copy, no action
        for plan in bundle.all("CarePlan"):
            for share in extensions(plan, "plan-shared"):
                assert bundle.resolve(part(share, "recipient")) is not person
        _never_a_contact(bundle, person, consent)


def _never_a_contact(bundle: Bundle, person: dict[str, object], deny: dict[str, object] | None) -> None:
    """EC-44: not an active contact, no telecom, and a do-not-involve Flag on the Patient
    that names them, labelled so that it shows wherever the service user does."""
    assert person["active"] is False and "telecom" not in person
    flags = [f for f in bundle.all("Flag") if has_code([f["code"]], CS + "flag-code", "do-not-involve")]
    [flag] = [f for f in flags if any(bundle.resolve(e["valueReference"]) is person for e in f["extension"])]
    assert bundle.resolve(flag["subject"]) is bundle.one("Patient")
    assert flag["meta"]["security"] == [{"system": V3_CONFIDENTIALITY, "code": "N", "display": "normal"}]
    name = person["name"][0]["family"]  # type: ignore[index]
    assert name in flag["code"]["text"] and flag["status"] == "active"
    if deny is not None:
        assert any(bundle.resolve(e["valueReference"]) is deny for e in flag["extension"])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_nearest_relative_not_involved(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-44: a nearest relative the service user does not want involved keeps the statutory
    role (never dropped), is never a contact, and a decision is flagged for people to make."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.NEAREST_RELATIVE_NOT_INVOLVED):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        [contact] = [c for c in record.contacts if c.do_not_involve]
        assert contact.phone is not None  # the extract has the number; FHIR must not
        person = bundle.identified("RelatedPerson", contact.contact_id)
        assert has_code(person["relationship"], CS + "related-person-role", "nearest-relative")
        _never_a_contact(bundle, person, None)
        flags = bundle.all("Flag")
        [decision] = [f for f in flags if has_code([f["code"]], CS + "flag-code", "nearest-relative-not-involved")]
        assert any(bundle.resolve(e["valueReference"]) is person for e in decision["extension"])
        assert decision["meta"]["security"][0]["code"] == "R"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_best_interests_sharing(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-40, 004 §5.7: a best-interests sharing decision says so in policyRule and links
    the decision-specific capacity assessment (an Observation) it rests on."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.BEST_INTERESTS_SHARING):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for decision in (c for c in record.consents if c.capacity_assessment_id):
            consent = bundle.identified("Consent", decision.consent_id)
            assert codes(consent["policyRule"]) == {(CS + "consent-basis", "best-interests")}
            [link] = extensions(consent, "capacity-assessment")
            assessment = bundle.resolve(link["valueReference"])
            assert assessment is bundle.identified("Observation", decision.capacity_assessment_id)  # type: ignore[arg-type]
            assert codes(assessment["valueCodeableConcept"]) == {(CS + "mental-capacity", "lacks-capacity")}
            [component] = assessment["component"]
            assert codes(component["valueCodeableConcept"]) == {(CS + "mental-capacity", "information-sharing")}
            assert bundle.resolve(consent["performer"][0])["resourceType"] == "PractitionerRole"
            assert "best interests" in consent["text"]["div"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_dialog_declined(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-153, EC-60: a declined offer is a Task, rejected with its reason: never a
    completed response, no item score, no mean score (they would inflate completion and
    paired-score counts)."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.DIALOG_DECLINED):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for declined in (d for d in record.dialog_assessments if d.status is DialogStatus.DECLINED):
            assert not bundle.all("QuestionnaireResponse")
            offer = bundle.identified("Task", declined.dialog_assessment_id)
            assert offer["status"] == "rejected"
            assert codes(offer["statusReason"]) == {(CS + "dialog-not-completed-reason", "declined")}
            assert offer["statusReason"]["text"] == declined.declined_reason
            assert bundle.resolve(offer["for"]) is bundle.one("Patient")
            assert offer["input"][0]["valueCanonical"].startswith("https://fhir.fhircare.nhs.uk/Questionnaire/dialog|")
            assert not [
                o
                for o in bundle.all("Observation")
                if o["meta"]["profile"][0].endswith(("dialog-item", "dialog-score"))
            ]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_welsh_service_user(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-17, DE-003: Welsh preferred, a Care and Treatment Plan under Welsh CPA, crisis and
    contingency plans of their own (001 ¶86)."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.WELSH_SERVICE_USER):
        bundle = Bundle(run.bundles[su])
        patient = bundle.one("Patient")
        assert patient["communication"] == [
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "cy", "display": "Welsh"}]},
                "preferred": True,
            }
        ]
        plans = bundle.all("CarePlan")
        [main] = [
            p
            for p in plans
            if has_code(p["category"], CS + "care-plan-type", "welsh-care-and-treatment-plan")
            and p["status"] == "active"
        ]
        arrangements = [part(e, "arrangement") for e in extensions(main, "care-coordination-arrangement")]
        assert arrangements and all(next(iter(codes(a)))[1].startswith("wales-") for a in arrangements)
        for sub_type in ("736253002", "325691000000100"):  # crisis plan, contingency plan
            [sub] = [p for p in plans if has_code(p["category"], SNOMED, sub_type)]
            assert bundle.resolve(sub["partOf"][0]) is main
        # the care coordinator is named on the plan (001 ¶150), and it is the care team's
        [named] = extensions(main, "named-lead")
        lead = _current_lead(bundle.one("CareTeam"))
        assert bundle.resolve(named["valueReference"]) is bundle.resolve(lead["member"])  # type: ignore[arg-type]
        assert has_code(lead["role"], ROLE, "care-coordinator")  # type: ignore[arg-type]
        # each of the eight areas once, considered or not, with the outcome (EC-76)
        areas = extensions(main, "ctp-area")
        assert sorted(next(iter(codes(part(a, "area"))))[1] for a in areas) == sorted(a.value for a in MEASURE_AREAS)
        for area in areas:
            assert (part(area, "outcome") is not None) is part(area, "considered")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_section_117(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-007: after-care from leaving hospital, its section, both responsible bodies."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.SECTION_117):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        [entitlement] = record.section_117
        left = [s.discharged_at.date() for s in record.inpatient_stays if s.discharged_at is not None]
        left += [ls.end_date + timedelta(days=1) for ls in record.legal_statuses if ls.end_date is not None]
        assert entitlement.start_date in left  # from leaving hospital (001 ¶163)
        main_plans = [p for p in bundle.all("CarePlan") if "partOf" not in p and p["status"] == "active"]
        [after_care] = [e for p in main_plans for e in extensions(p, "section-117-aftercare")]
        # and on the service user, whatever plan is open (EC-25)
        [flag] = [f for f in bundle.all("Flag") if has_code([f["code"]], CS + "flag-code", "section-117-aftercare")]
        assert extensions(flag, "section-117-aftercare") == [after_care] and flag["status"] == "active"
        assert part(after_care, "period") == {"start": entitlement.start_date.isoformat()}
        assert codes(part(after_care, "detentionSection")) == {
            (CS + "mha-section", entitlement.detention_section.value)
        }
        bodies = [
            bundle.resolve(sub["valueReference"])["name"]
            for sub in after_care["extension"]
            if sub["url"] == "responsibleOrganisation"
        ]
        names = {o.organisation_id: o.name for o in record.organisations}
        assert bodies == [
            names[entitlement.health_body_organisation_id],
            names[entitlement.local_authority_organisation_id],
        ]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_out_of_area_placement(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-13: a stay with the out-of-area provider, its kind and the data-collection
    exemption as the trust recorded it; the key worker stays with the trust."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.OUT_OF_AREA_PLACEMENT):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for placement in record.out_of_area_placements:
            stay = bundle.identified("Encounter", placement.placement_id)
            [marker] = extensions(stay, "out-of-area-placement")
            assert codes(part(marker, "placementType")) == {(CS + "placement-type", placement.placement_type.value)}
            assert part(marker, "exemptFromDataCollection") is placement.exempt_from_data_collection
            provider = next(o for o in record.organisations if o.organisation_id == placement.provider_organisation_id)
            assert bundle.resolve(stay["serviceProvider"])["name"] == provider.name
            assert stay["period"]["start"] == placement.start_date.isoformat()
            assert stay["status"] == ("in-progress" if placement.end_date is None else "finished")
        assert _current_lead(bundle.one("CareTeam"))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_inpatient_admission_and_discharge(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-200..205: the stay with its legal status at admission (UK Core's extension), the
    leave as on-leave periods, and the discharge."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for stay in (s for s in record.inpatient_stays if s.discharged_at is not None):
            encounter = bundle.identified("Encounter", stay.stay_id)
            assert encounter["status"] == "finished"
            assert encounter["class"]["code"] == "IMP"
            assert encounter["period"] == {"start": stay.admitted_at.isoformat(), "end": stay.discharged_at.isoformat()}  # type: ignore[union-attr]
            assert (
                encounter["hospitalization"]["dischargeDisposition"]["coding"][0]["code"]
                == stay.discharge_disposition.value
            )  # type: ignore[union-attr]
            statuses = extensions(encounter, UKCORE_LEGAL_STATUS)
            contexts = {next(iter(codes(part(s, "legalStatusContext"))))[1] for s in statuses}
            assert "admission" in contexts
            leave = [lv for lv in record.leave if lv.stay_id == stay.stay_id]
            assert [h["status"] for h in encounter.get("statusHistory", [])] == ["onleave"] * len(leave)
            if stay.episode_id is not None:
                assert bundle.resolve(encounter["episodeOfCare"][0]) is bundle.identified(
                    "EpisodeOfCare", stay.episode_id
                )


def test_every_edge_case_is_tested() -> None:
    from tests.unit.mapping import test_edge_cases_partners as partners  # issue 10's edge cases

    names = [*globals(), *vars(partners)]
    tested = {name.removeprefix("test_").replace("_", "-") for name in names if name.startswith("test_")}
    assert {case.value for case in EdgeCase} - tested == set()
