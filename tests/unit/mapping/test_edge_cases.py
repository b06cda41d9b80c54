"""Each requirements.md §6 edge case the synthetic generator covers, and what it becomes
in FHIR. Service users are found by what their records show (scenarios.edge_cases), in
both layouts."""

from __future__ import annotations

import pytest

from fhircare.source.codes import DialogItem, EpisodeStatus
from fhircare.source.local_codes import ConsentDecider, ConsentDecisionType, ConsentKind, DialogStatus
from fhircare.synth import DEFAULT_AS_OF, EdgeCase, edge_cases
from tests.unit.mapping.conftest import LAYOUTS, MappedRun
from tests.unit.mapping.fhir_helpers import CS, SNOMED, Bundle, codes, extensions, has_code, part

ROLE = CS + "care-team-role"
UKCORE_LEGAL_STATUS = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-LegalStatus"


def _cases(run: MappedRun, case: EdgeCase) -> list[str]:
    found = [su for su, record in run.records.items() if case in edge_cases(record, DEFAULT_AS_OF)]
    assert found, f"no synthetic service user shows {case}"
    assert all(su in run.bundles for su in found), "every synthetic service user maps"
    return found


def _key_worker_participants(team: dict[str, object]) -> list[dict[str, object]]:
    return [p for p in team["participant"] if has_code(p["role"], ROLE, "key-worker")]  # type: ignore[index,union-attr]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_key_worker_yet(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-01: waiting for a key worker, team manager as default contact, a safety plan."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.NO_KEY_WORKER_YET):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        team = bundle.one("CareTeam")
        [waiting] = extensions(team, "key-worker-awaiting-allocation")
        since = min(e.key_worker_awaiting_since for e in record.episodes if e.status is EpisodeStatus.WAITLIST)
        assert waiting["valueDateTime"] == since.isoformat()
        assert not [p for p in _key_worker_participants(team) if "end" not in p["period"]]
        managers = [p for p in team["participant"] if has_code(p["role"], ROLE, "team-manager")]
        assert managers and bundle.resolve(managers[0]["member"])["resourceType"] == "PractitionerRole"
        plans = bundle.all("CarePlan")
        assert any(has_code(p["category"], CS + "care-plan-type", "safety-plan") for p in plans)
        waitlist = [e for e in bundle.all("EpisodeOfCare") if e["status"] == "waitlist"]
        assert waitlist and all("careManager" not in e for e in waitlist)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_key_worker_change(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-06: the earlier key worker keeps a closed period; one current key worker."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.KEY_WORKER_CHANGE):
        team = Bundle(run.bundles[su]).one("CareTeam")
        key_workers = _key_worker_participants(team)
        current = [p for p in key_workers if "end" not in p["period"]]
        ended = [p for p in key_workers if "end" in p["period"]]
        assert len(current) == 1 and ended
        assert all(p["period"]["end"] < current[0]["period"]["start"] for p in ended)
        assert not extensions(team, "key-worker-awaiting-allocation")


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
        [lead] = [p for p in _key_worker_participants(team) if "end" not in p["period"]]
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


@pytest.mark.parametrize("layout", LAYOUTS)
def test_dialog_declined(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-153: the offer is recorded, every item asked and declined, and no score made."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.DIALOG_DECLINED):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        for declined in (d for d in record.dialog_assessments if d.status is DialogStatus.DECLINED):
            response = bundle.identified("QuestionnaireResponse", declined.dialog_assessment_id)
            assert response["status"] == "completed"
            assert [i["linkId"] for i in response["item"]] == [item.value for item in DialogItem]
            reasons = {e["valueCode"] for i in response["item"] for e in i["extension"]}
            assert reasons == {"asked-declined"} and not any("answer" in i for i in response["item"])
            scores = [o for o in bundle.all("Observation") if bundle.resolve(o["derivedFrom"][0]) is response]
            assert scores == []
            assert declined.declined_reason in response["text"]["div"]  # type: ignore[operator]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_welsh_service_user(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """EC-17, DE-003: Welsh preferred, a Care and Treatment Plan under Welsh CPA, crisis and
    contingency plans of their own (001 ¶86)."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.WELSH_SERVICE_USER):
        bundle = Bundle(run.bundles[su])
        patient = bundle.one("Patient")
        assert patient["communication"] == [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "cy"}]}, "preferred": True}
        ]
        plans = bundle.all("CarePlan")
        [main] = [p for p in plans if has_code(p["category"], CS + "care-plan-type", "welsh-care-and-treatment-plan")]
        arrangements = [part(e, "arrangement") for e in extensions(main, "care-coordination-arrangement")]
        assert arrangements and all(next(iter(codes(a)))[1].startswith("wales-") for a in arrangements)
        for sub_type in ("736253002", "325691000000100"):  # crisis plan, contingency plan
            [sub] = [p for p in plans if has_code(p["category"], SNOMED, sub_type)]
            assert bundle.resolve(sub["partOf"][0]) is main


@pytest.mark.parametrize("layout", LAYOUTS)
def test_section_117(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """DE-007: after-care from leaving hospital, its section, both responsible bodies."""
    run = mapped_runs[layout]
    for su in _cases(run, EdgeCase.SECTION_117):
        record, bundle = run.records[su], Bundle(run.bundles[su])
        [entitlement] = record.section_117
        stay = next(s for s in record.inpatient_stays if s.discharged_at is not None)
        assert stay.discharged_at is not None and entitlement.start_date == stay.discharged_at.date()
        main_plans = [p for p in bundle.all("CarePlan") if "partOf" not in p]
        [after_care] = [e for p in main_plans for e in extensions(p, "section-117-aftercare")]
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
        assert [p for p in _key_worker_participants(bundle.one("CareTeam")) if "end" not in p["period"]]


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
    tested = {name.removeprefix("test_").replace("_", "-") for name in globals() if name.startswith("test_")}
    assert {case.value for case in EdgeCase} - tested == set()
