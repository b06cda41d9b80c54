"""Issue 9, "safe to share", against hand-built records (England post-CPA, England CPA and
Care Support, Wales standard and enhanced) and a 500-user synthetic extract:

- the named lead in whichever role the arrangement uses, never relabelled, is the care
  manager and the plan's named contact; or a wait covered by the duty worker;
- a person the service user does not want involved never appears with a telecom;
- every permit Consent names what it covers, and its narrative says exactly that;
- security labels on every resource of a service user's record; carer information
  withheld from the service user carries NOPAT and carer-confidential, and is data.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from fhircare.mapping import MappingContext, check_consistency, map_service_user
from fhircare.mapping.narrative import long_date
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.care_plan import CarePlanAction, Goal, PlanStatement
from fhircare.source.carers import CarerInformation, ConsentDecision, Contact
from fhircare.source.codes import (
    ActivityStatus,
    CareCoordinationArrangement,
    CarePlanStatus,
    ContactRole,
    CoordinationRole,
    CrisisContingencyContent,
    EpisodeStatus,
    GoalLifecycleStatus,
    LifeArea,
    PartnerOrganisationType,
    Relationship,
)
from fhircare.source.local_codes import (
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
    EthnicCategory,
    LegalBasis,
    PerformerKind,
    PlanStatementKind,
    SharedInformation,
)
from fhircare.source.mapping_file import TrustMapping
from fhircare.synth import SCENARIOS
from fhircare.validation.api import Validator
from tests.unit.mapping import hand_built as hb
from tests.unit.mapping.conftest import AS_OF, MappedRun, errors
from tests.unit.mapping.fhir_helpers import CS, SD, Bundle, codes, extensions, has_code

V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROLE = CS + "care-team-role"
LEAD_ROLES = {r.value for r in CoordinationRole if r.is_lead}
DIRECTORY_TYPES = {"Organization", "Practitioner", "PractitionerRole", "HealthcareService", "Location"}

#: (regime, arrangement, the lead role it uses)
REGIMES = [
    ("England post-CPA", CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER),
    ("England CPA", CareCoordinationArrangement.CPA, CoordinationRole.CARE_COORDINATOR),
    ("England Care Support", CareCoordinationArrangement.CARE_SUPPORT, CoordinationRole.LEAD_CLINICIAN),
    ("Wales enhanced", CareCoordinationArrangement.WALES_ENHANCED, CoordinationRole.CARE_COORDINATOR),
    ("Wales standard", CareCoordinationArrangement.WALES_STANDARD, CoordinationRole.CARE_COORDINATOR),
]


@pytest.fixture(scope="module")
def context(layouts: dict[str, TrustMapping]) -> MappingContext:
    return MappingContext.from_mapping(layouts["rio-like"], as_of=AS_OF)


def mapped(record: ServiceUserRecord, context: MappingContext, *validators: Validator) -> Bundle:
    """The record is consistent, maps, and validates with zero errors."""
    assert [i.reason for i in check_consistency(record, AS_OF)] == []
    result = map_service_user(record, context)
    for validator in validators:
        assert errors(validator.validate(result.bundle)) == []
    return Bundle(result)


# --- lead roles -------------------------------------------------------------------------


@pytest.mark.parametrize(("regime", "arrangement", "role"), REGIMES, ids=[r[0] for r in REGIMES])
def test_the_lead_is_the_role_the_arrangement_uses(
    regime: str,
    arrangement: CareCoordinationArrangement,
    role: CoordinationRole,
    context: MappingContext,
    profiles_validator: Validator,
    ukcore_validator: Validator,
) -> None:
    """Mapped without rejection and without relabelling: the care team's one current lead
    has exactly the recorded role, is the episode's care manager and the plan's named
    contact, and the bundle is valid against fhircare's profiles and UK Core."""
    bundle = mapped(hb.record(arrangement, role), context, profiles_validator, ukcore_validator)
    team = bundle.one("CareTeam")
    leads = [p for p in team["participant"] if any(has_code(p["role"], ROLE, c) for c in LEAD_ROLES)]
    [lead] = leads
    assert {c for r in lead["role"] for (s, c) in codes(r) if s == ROLE} == {role.value}
    lead_role = bundle.resolve(lead["member"])
    assert lead_role is bundle.identified("PractitionerRole", hb.LEAD)
    [episode] = bundle.all("EpisodeOfCare")
    assert bundle.resolve(episode["careManager"]) is lead_role
    words = role.value.replace("-", " ").replace("co ordinator", "co-ordinator").replace("coordinator", "co-ordinator")
    assert f"{words.capitalize()}: Lee Lead" in team["text"]["div"]
    for plan in bundle.all("CarePlan"):
        assert f"Named contact: Lee Lead, {words}, on {hb.LEAD_PHONE}" in plan["text"]["div"]
    others = LEAD_ROLES - {role.value}
    assert not any(f">{w.replace('-', ' ')}" in team["text"]["div"].lower() for w in others)


@pytest.mark.parametrize(
    "role",
    [
        CoordinationRole.TEMPORARY_CARE_COORDINATOR,
        CoordinationRole.NAMED_NURSE,
        CoordinationRole.TCP_CASE_MANAGER,
        CoordinationRole.LEAD_PROFESSIONAL,
    ],
)
def test_every_lead_role_the_policies_name_is_a_lead(
    role: CoordinationRole, context: MappingContext, profiles_validator: Validator
) -> None:
    """DE-113..116, DE-128: temporary care co-ordinator, named nurse, TCP case manager and
    (legacy) lead professional fill the slot too."""
    bundle = mapped(hb.record(CareCoordinationArrangement.CPA, role), context, profiles_validator)
    [episode] = bundle.all("EpisodeOfCare")
    assert bundle.resolve(episode["careManager"]) is bundle.identified("PractitionerRole", hb.LEAD)


@pytest.mark.parametrize(
    ("arrangement", "awaited"),
    [
        (CareCoordinationArrangement.WALES_ENHANCED, "care co-ordinator"),
        (CareCoordinationArrangement.KEY_WORKER, "key worker"),
    ],
)
def test_awaiting_a_lead_the_duty_worker_covers(
    arrangement: CareCoordinationArrangement, awaited: str, context: MappingContext, profiles_validator: Validator
) -> None:
    """004 §3.4: no lead yet; the explicit wait, the duty worker as default contact."""
    bundle = mapped(hb.record(arrangement, None, waiting=True), context, profiles_validator)
    team = bundle.one("CareTeam")
    assert extensions(team, "lead-awaiting-allocation") == [
        {"url": SD + "lead-awaiting-allocation", "valueDateTime": hb.START.isoformat()}
    ]
    assert f"waiting for a {awaited} to be allocated" in team["text"]["div"]
    assert any(has_code(p["role"], ROLE, "duty-worker") for p in team["participant"])
    [episode] = bundle.all("EpisodeOfCare")
    assert "careManager" not in episode
    for plan in bundle.all("CarePlan"):
        assert f"Named contact: the team's duty worker on {hb.TEAM_PHONE}, until a {awaited}" in plan["text"]["div"]


def test_a_lead_and_a_care_coordinator_at_once_is_rejected(context: MappingContext) -> None:
    record = hb.record(CareCoordinationArrangement.CPA, CoordinationRole.CARE_COORDINATOR)
    second = hb.member(9, hb.MemberKind.STAFF, hb.MANAGER, coordination_role=CoordinationRole.KEY_WORKER)
    broken = record.model_copy(update={"care_team": (*record.care_team, second)})
    [problem] = check_consistency(broken, AS_OF)
    assert problem.record is second and "second current named lead" in problem.reason


# --- do not involve ----------------------------------------------------------------------

NOT_INVOLVED_PHONE = "07700 900 123"


def _not_involved(*roles: ContactRole) -> Contact:
    return Contact(
        contact_id="HB-RP1", service_user_id=hb.SU, family_name="Estranged", given_name="Kit",
        relationship=Relationship.FATHER, roles=roles, phone=NOT_INVOLVED_PHONE, do_not_involve=True,
        do_not_involve_recorded_at=hb.at(date(2024, 2, 1)),
    )  # fmt: skip


def _refusal() -> ConsentDecision:
    return ConsentDecision(
        consent_id="HB-CN1", service_user_id=hb.SU, kind=ConsentKind.DISCLOSURE, decision=ConsentDecisionType.DENY,
        decided_at=hb.at(date(2024, 2, 1)), decided_by=ConsentDecider.SERVICE_USER, recipient_contact_id="HB-RP1",
        rationale="Has capacity and explained why; no overriding risk.",
    )  # fmt: skip


@pytest.mark.parametrize(
    "roles", [(), (ContactRole.NEAREST_RELATIVE, ContactRole.NEXT_OF_KIN)], ids=["relative", "nearest"]
)
def test_a_person_not_to_be_involved_is_never_a_contact(
    roles: tuple[ContactRole, ...], context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """004 §3.14, EC-44: their number is in the extract and nowhere in the bundle; they are
    not an active contact; a Flag on the Patient names them; a nearest relative keeps the
    statutory role and a decision is flagged for people to make."""
    record = hb.record(
        CareCoordinationArrangement.CPA, CoordinationRole.CARE_COORDINATOR, _not_involved(*roles), _refusal()
    )
    bundle = mapped(record, context, profiles_validator, ukcore_validator)
    assert not [s for s in _strings(bundle.mapped.bundle) if NOT_INVOLVED_PHONE.replace(" ", "") in s]
    person = bundle.identified("RelatedPerson", "HB-RP1")
    assert person["active"] is False and "telecom" not in person
    flags = {next(iter(codes(f["code"])))[1]: f for f in bundle.all("Flag")}
    flag = flags["do-not-involve"]
    assert "Kit Estranged" in flag["code"]["text"] and bundle.resolve(flag["subject"]) is bundle.one("Patient")
    assert [bundle.resolve(e["valueReference"])["resourceType"] for e in flag["extension"]] == [
        "RelatedPerson",
        "Consent",
    ]
    assert codes(flag["meta"]["security"][0] and {"coding": flag["meta"]["security"]}) == {(V3_CONFIDENTIALITY, "N")}
    nearest = ContactRole.NEAREST_RELATIVE in roles
    assert ("nearest-relative-not-involved" in flags) is nearest
    assert has_code(person["relationship"], CS + "related-person-role", "nearest-relative") is nearest


# --- consents ----------------------------------------------------------------------------


def _decision(n: int, **fields: Any) -> ConsentDecision:
    base = {
        "consent_id": f"HB-CN{n}",
        "service_user_id": hb.SU,
        "kind": ConsentKind.DISCLOSURE,
        "decision": ConsentDecisionType.PERMIT,
        "decided_at": hb.at(date(2024, 3, 1)),
    }
    return ConsentDecision.model_validate(base | fields)


def test_an_override_for_risk_says_so_and_records_why(context: MappingContext, profiles_validator: Validator) -> None:
    """004 §3.14: confidence broken by a member of staff, for risk; rationale in Provenance."""
    override = _decision(
        2, decided_by=ConsentDecider.STAFF, decided_by_staff_id=hb.LEAD, recipient_organisation_id=hb.GP,
        shares=SharedInformation.CRISIS_PLAN, override=True, rationale="Serious risk to life; GP must know today.",
    )  # fmt: skip
    bundle = mapped(
        hb.record(CareCoordinationArrangement.CPA, CoordinationRole.CARE_COORDINATOR, override),
        context,
        profiles_validator,
    )
    consent = bundle.identified("Consent", "HB-CN2")
    assert codes(consent["policyRule"]) == {(CS + "consent-basis", "risk-override")}
    assert "without Robin's agreement, because of a risk to safety" in consent["text"]["div"]
    [evidence] = [p for p in bundle.all("Provenance") if bundle.resolve(p["target"][0]) is consent]
    assert has_code([evidence["activity"]], CS + "record-activity", "confidentiality-override")
    assert evidence["reason"] == [{"text": "Serious risk to life; GP must know today."}]
    assert bundle.resolve(evidence["agent"][0]["who"]) is bundle.identified("PractitionerRole", hb.LEAD)


def test_local_authority_duties_have_their_own_basis(context: MappingContext, profiles_validator: Validator) -> None:
    """Care Act duties to every local authority partner; the coded basis, not consent."""
    duty = _decision(
        3, decided_by=ConsentDecider.STAFF, decided_by_staff_id=hb.LEAD,
        recipient_partner_types=(PartnerOrganisationType.LOCAL_AUTHORITY,), legal_basis=LegalBasis.CARE_ACT,
    )  # fmt: skip
    bundle = mapped(
        hb.record(CareCoordinationArrangement.CPA, CoordinationRole.CARE_COORDINATOR, duty), context, profiles_validator
    )
    consent = bundle.identified("Consent", "HB-CN3")
    assert codes(consent["policyRule"]) == {(CS + "consent-basis", "legal-duty-care-act")}
    assert "Care Act 2014" in consent["text"]["div"] and "every local authority" in consent["text"]["div"]


# --- carer information -----------------------------------------------------------------


def test_carer_information_withheld_from_the_service_user_is_labelled_data(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """004 §3.14, DD-17: a Communication from the carer, labelled R, PSY, NOPAT and
    carer-confidential (so no patient-facing channel shows it), with no label that would
    hide it from clinicians or partners (not V, no purpose restriction)."""
    carer = Contact(
        contact_id="HB-RP2", service_user_id=hb.SU, family_name="Carer", given_name="Cam",
        relationship=Relationship.SISTER, roles=(ContactRole.CARER,), phone="07700 900 456",
    )  # fmt: skip
    said = CarerInformation(
        carer_information_id="HB-CI1", contact_id="HB-RP2", received_at=hb.at(date(2025, 3, 3)),
        summary="Has stopped eating and talks of giving up.", withhold_from_service_user=True,
        recorded_by_staff_id=hb.LEAD,
    )  # fmt: skip
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER, carer, said)
    bundle = mapped(record, context, profiles_validator, ukcore_validator)
    [message] = bundle.all("Communication")
    labels = {(c["system"], c["code"]) for c in message["meta"]["security"]}
    assert labels == {
        (V3_CONFIDENTIALITY, "R"),
        (V3_ACT_CODE, "PSY"),
        (V3_ACT_CODE, "NOPAT"),
        (CS + "security-label", "carer-confidential"),
    }
    assert bundle.resolve(message["sender"]) is bundle.identified("RelatedPerson", "HB-RP2")
    assert message["payload"] == [{"contentString": "Has stopped eating and talks of giving up."}]
    [evidence] = [p for p in bundle.all("Provenance") if bundle.resolve(p["target"][0]) is message]
    assert {(c["system"], c["code"]) for c in evidence["meta"]["security"]} == labels
    assert "Has stopped eating" not in evidence["text"]["div"]


def test_a_sign_a_withholding_carer_noticed_is_withheld_and_not_in_the_plan_given_to_the_service_user(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """DE-178, IS-13 (a review found it, 2026-12-07): a carer who asked that what they tell
    the team is not passed on noticed an early warning sign. The sign's Observation carries
    the withheld labels (so no patient-facing channel shows it); the crisis plan, which the
    service user is given, points to it but does not repeat it. A sign another carer noticed
    stays in the plan's words."""
    withholding = Contact(
        contact_id="HB-RP2", service_user_id=hb.SU, family_name="Carer", given_name="Cam",
        relationship=Relationship.SISTER, roles=(ContactRole.CARER,), phone="07700 900 456",
        withhold_from_service_user=True,
    )  # fmt: skip
    open_carer = Contact(
        contact_id="HB-RP3", service_user_id=hb.SU, family_name="Carer", given_name="Ola",
        relationship=Relationship.FRIEND, roles=(ContactRole.CARER,), phone="07700 900 457",
    )  # fmt: skip
    signs = [
        CarePlanAction(
            action_id=f"HB-AC{n}",
            care_plan_id="HB-CP2",
            description=text,
            performer_kind=PerformerKind.CARER,
            performer_id=who,
            status=ActivityStatus.IN_PROGRESS,
            content=CrisisContingencyContent.EARLY_WARNING_SIGN,
        )
        for n, who, text in (
            (8, "HB-RP2", "Talks about the voices telling him to hurt me."),
            (9, "HB-RP3", "Stops answering the phone."),
        )
    ]
    hope = Goal(
        goal_id="HB-GL8", care_plan_id="HB-CP1", description="Stop drinking before it costs him his flat.",
        life_areas=(LifeArea.ACCOMMODATION,), expressed_by=PerformerKind.CARER, expressed_by_id="HB-RP2",
        lifecycle_status=GoalLifecycleStatus.ACTIVE,
    )  # fmt: skip
    seen = PlanStatement(
        statement_id="HB-ST8", care_plan_id="HB-CP1", kind=PlanStatementKind.STRENGTH,
        description="Still keeps the garden going when he is low.", expressed_by=PerformerKind.CARER,
        expressed_by_id="HB-RP2",
    )  # fmt: skip
    record = hb.record(
        CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER, withholding, open_carer, *signs, hope, seen
    )
    bundle = mapped(record, context, profiles_validator, ukcore_validator)
    # a goal the carer gave, and what they said of the service user's strengths, likewise
    for rtype, local_id in (("Goal", "HB-GL8"), ("Observation", "HB-ST8")):
        marks = {c["code"] for c in bundle.identified(rtype, local_id)["meta"]["security"]}
        assert {"NOPAT", "carer-confidential"} <= marks, (rtype, marks)
    told = bundle.identified("Observation", "HB-AC8")
    labels = {(c["system"], c["code"]) for c in told["meta"]["security"]}
    assert {(V3_ACT_CODE, "NOPAT"), (CS + "security-label", "carer-confidential")} <= labels
    other = bundle.identified("Observation", "HB-AC9")
    assert (V3_ACT_CODE, "NOPAT") not in {(c["system"], c["code"]) for c in other["meta"]["security"]}
    plan = bundle.identified("CarePlan", "HB-CP2")
    assert "voices" not in orjson.dumps(plan).decode()
    assert "Stops answering the phone." in plan["text"]["div"]
    assert {bundle.resolve(r) is told for r in plan["supportingInfo"]} == {True, False}


# --- a 500-user synthetic extract ------------------------------------------------------


#: what each coverage says in the narrative, decided from the coded provision alone
_PLANS = {"CarePlan", "Goal", "CareTeam"}
_CRISIS = {"736253002", "325691000000100", "safety-plan"}
_DIALOG = {"fhircare-dialog-response", "fhircare-dialog-score"}
_COVERAGE = [
    ("care plan, with its goals and care team and the plans that are part of it",
     lambda p: _classes(p) == _PLANS and _meanings(p) == {"related", "dependents"}),
    ("care plans, goals and care team", lambda p: _classes(p) == _PLANS and not p.get("data")),
    ("crisis, contingency and safety plans", lambda p: _classes(p) == {"CarePlan"} and _plain_codes(p) == _CRISIS),
    ("care plans that include Section 117 after-care",
     lambda p: _classes(p) == {"CarePlan"} and _plain_codes(p) == {"section-117-aftercare"}),
    ("DIALOG ratings and scores", lambda p: {c.rsplit("/", 1)[-1] for c in _classes(p)} == _DIALOG),
    ("their own details as", lambda p: _classes(p) == {"RelatedPerson"} and _meanings(p) == {"instance"}),
]  # fmt: skip
_PURPOSES = {"SUPNWK": "so that they can support", "COC": "to coordinate", "ETREAT": "for urgent care in a crisis"}
_BASES = {
    "best-interests": "best interests, as",
    "legal-duty-section-117": "under the duty to provide Section 117 after-care",
    "legal-duty-care-act": "Care Act 2014",
    "legal-duty-carers-assessment": "assessment of their needs as a carer",
    "risk-override": "because of a risk to safety",
}


def _classes(provision: dict[str, Any]) -> set[str]:
    return {c["code"] for c in provision.get("class", [])}


def _codes(provision: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for concept in provision.get("code", []) for c in concept["coding"]}


def _plain_codes(provision: dict[str, Any]) -> set[str]:
    return {code for _, code in _codes(provision)}


def _meanings(provision: dict[str, Any]) -> set[str]:
    return {d["meaning"] for d in provision.get("data", [])}


def _permits(run: MappedRun) -> list[tuple[Bundle, dict[str, Any]]]:
    found = []
    for mapped_bundle in run.bundles.values():
        bundle = Bundle(mapped_bundle)
        found += [(bundle, c) for c in bundle.all("Consent") if c["provision"]["type"] == "permit"]
    return found


def test_every_permit_names_its_class_or_data(extract_500: MappedRun) -> None:
    permits = _permits(extract_500)
    assert len(permits) > 500
    assert [c["id"] for _, c in permits if not (c["provision"].get("class") or c["provision"].get("data"))] == []


def test_every_permit_narrative_says_exactly_what_its_provision_codes(extract_500: MappedRun) -> None:
    """For each permit: the words for what it covers, to whom, what for, on what basis and
    for how long are in the narrative exactly when the provision codes them."""
    checked: Counter[str] = Counter()
    for bundle, consent in _permits(extract_500):
        provision, words = consent["provision"], consent["text"]["div"]
        said = [phrase for phrase, _ in _COVERAGE if phrase in words]
        coded = [phrase for phrase, test in _COVERAGE if test(provision)]
        assert len(coded) == 1 and said == coded, (consent["id"], said, coded)
        purposes = {p["code"] for p in provision["purpose"]}
        assert {code for code, phrase in _PURPOSES.items() if phrase in words} == purposes, consent["id"]
        basis = next(iter(codes(consent["policyRule"])))[1]
        assert {code for code, phrase in _BASES.items() if phrase in words} == ({basis} - {"explicit-consent"})
        for actor in provision.get("actor", []):
            recipient = bundle.resolve(actor["reference"])
            name = recipient.get("name")
            text = (
                name if isinstance(name, str) else (f"{name[0]['given'][0]} {name[0]['family']}" if name else "a carer")
            )
            assert text in words, consent["id"]
        for kind in extensions(provision, "partner-organisation-type"):
            assert (
                next(iter(codes(kind["valueCodeableConcept"])))[1] in {t.value for t in PartnerOrganisationType}
                and "every " in words
            )
        start = date.fromisoformat(provision["period"]["start"])
        end = provision["period"].get("end")
        assert (
            f"From {long_date(start)}, "
            + (f"until {long_date(date.fromisoformat(end))}" if end else "with no end date")
            in words
        )
        checked[coded[0]] += 1
    # every kind of coverage occurs in the extract
    assert set(checked) == {phrase for phrase, _ in _COVERAGE}, checked


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value, spaces removed (telephone numbers are written spaced)."""
    if isinstance(value, str):
        return [value.replace(" ", "")]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _numbers_of_others(record: ServiceUserRecord) -> set[str]:
    """The numbers a bundle may rightly hold: everyone's but those not to be involved (the
    synthetic numbers come from Ofcom's 1,000 drama mobiles, so people can share one)."""
    people = [record.service_user, *record.staff, *record.teams, *record.organisations]
    people += [c for c in record.contacts if not c.do_not_involve]
    return {p.phone.replace(" ", "") for p in people if getattr(p, "phone", None)}  # type: ignore[union-attr]


def test_no_bundle_holds_a_telecom_of_a_person_not_to_be_involved(extract_500: MappedRun) -> None:
    """The done-when measure: every do-not-involve contact has a number in the extract; no
    telecom of theirs is in their bundle, and their number is in no string of it (telecom,
    narrative, ...) unless someone else in that bundle has the same number."""
    people = [(su, c) for su, r in extract_500.records.items() for c in r.contacts if c.do_not_involve]
    assert len(people) >= 2 * (500 // len(SCENARIOS)) and all(c.phone for _, c in people)
    for su, contact in people:
        bundle = Bundle(extract_500.bundles[su])
        person = bundle.identified("RelatedPerson", contact.contact_id)
        assert "telecom" not in person and person["active"] is False
        number = (contact.phone or "").replace(" ", "")
        if number not in _numbers_of_others(extract_500.records[su]):
            assert not [s for s in _strings(bundle.mapped.bundle) if number in s], contact.contact_id


def test_every_resource_of_a_service_user_is_labelled(extract_500: MappedRun) -> None:
    """Directory resources carry no label; the Patient and the do-not-involve flag are N;
    everything else R with PSY; only carer information withheld carries NOPAT."""
    seen: Counter[str] = Counter()
    for mapped_bundle in extract_500.bundles.values():
        for resource in mapped_bundle.resources:
            kind = resource["resourceType"]
            labels = {(c["system"], c["code"]) for c in resource["meta"].get("security", [])}
            if kind in DIRECTORY_TYPES:
                assert labels == set()
                continue
            levels = [code for system, code in labels if system == V3_CONFIDENTIALITY]
            identity = kind == "Patient" or (
                kind == "Flag" and has_code([resource["code"]], CS + "flag-code", "do-not-involve")
            )
            assert levels == (["N"] if identity else ["R"]), resource["id"]
            if not identity:
                assert (V3_ACT_CODE, "PSY") in labels
            withheld = (CS + "security-label", "carer-confidential") in labels
            assert withheld == ((V3_ACT_CODE, "NOPAT") in labels)
            seen["withheld" if withheld else levels[0]] += 1
    assert seen["withheld"] and seen["N"] and seen["R"]


def test_a_consent_a_withholding_carer_gave_is_withheld_from_the_service_user(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """IS-13: a carer who asked that what they tell the team is not passed on to the service
    user gave the team their own decisions too (here, to be referred to the council for a
    carer's assessment). That Consent, naming the carer, was labelled as any other and shown
    to the service user's app (API review, 2026-12-07): it is withheld as what they said
    is. The service user's own decisions are not."""
    carer = Contact(
        contact_id="HB-RP2", service_user_id=hb.SU, family_name="Carer", given_name="Cam",
        relationship=Relationship.SISTER, roles=(ContactRole.CARER,), phone="07700 900 456",
        withhold_from_service_user=True,
    )  # fmt: skip
    referral = ConsentDecision(
        consent_id="HB-CD9", service_user_id=hb.SU, kind=ConsentKind.DISCLOSURE,
        decision=ConsentDecisionType.PERMIT, decided_at=hb.at(date(2025, 3, 3)), decided_by=ConsentDecider.CONTACT,
        decided_by_contact_id="HB-RP2", recipient_organisation_id=hb.LOCAL_AUTHORITY,
        shares=SharedInformation.CARER_DETAILS, legal_basis=LegalBasis.CARERS_ASSESSMENT,
    )  # fmt: skip
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER, carer, referral)
    bundle = mapped(record, context, profiles_validator, ukcore_validator)
    consent = bundle.identified("Consent", "HB-CD9")
    labels = {(c["system"], c["code"]) for c in consent["meta"]["security"]}
    assert {(V3_ACT_CODE, "NOPAT"), (CS + "security-label", "carer-confidential")} <= labels
    for other in bundle.all("Consent"):
        if other is not consent:
            assert (V3_ACT_CODE, "NOPAT") not in {(c["system"], c["code"]) for c in other["meta"]["security"]}


def test_every_care_coordinator_lead_is_the_care_manager(extract_500: MappedRun) -> None:
    """The done-when measure: the layout records the care co-ordinator with its own local
    code (RiO-like "CC"); every service user whose current lead is a care co-ordinator has
    that care co-ordinator as the care manager of the lead's episode."""
    column = extract_500.mapping.records["care_team_member"].column_for("coordination_role")
    rows = (Path(extract_500.folder) / "RiO_CareTeam_20250630.csv").read_text()
    assert column == "ROLE" and ",CC," in rows
    leads = [
        (su, m)
        for su, record in extract_500.records.items()
        for m in record.leads_on(AS_OF)
        if m.coordination_role is CoordinationRole.CARE_COORDINATOR
    ]
    assert len(leads) > 100
    for su, lead in leads:
        bundle = Bundle(extract_500.bundles[su])
        episode = bundle.identified("EpisodeOfCare", lead.episode_id)  # type: ignore[arg-type]
        assert bundle.resolve(episode["careManager"]) is bundle.identified("PractitionerRole", lead.member_id)  # type: ignore[arg-type]


def test_a_plan_that_has_ended_names_its_lead_as_of_its_end_and_awaits_no_one(extract_500: MappedRun) -> None:
    """001 ¶150 (found by a trial of a new layout, 2026-12-07): a discharged service user's
    closed plan said "Named contact: the team's duty worker, until a key worker is allocated",
    while its named-lead extension named the key worker of its last day. A plan that has
    ended names, as such, the lead on its last day (the one its extension names), or says
    that it has ended; only a plan in use waits for a lead, or is reviewed next."""
    ended = current = 0
    for su, record in extract_500.records.items():
        bundle = Bundle(extract_500.bundles[su])
        for plan in record.care_plans:
            resource = bundle.identified("CarePlan", plan.care_plan_id)
            div = resource["text"]["div"]
            lead = next((e for e in resource.get("extension", ()) if e["url"] == SD + "named-lead"), None)
            if plan.status in (CarePlanStatus.COMPLETED, CarePlanStatus.REVOKED):
                ended += 1
                assert "is allocated" not in div, div
                assert "Next review" not in div, div  # not reviewed again
                if not plan.is_sub_plan:  # a main plan's extension names its lead
                    said = "Named contact when the plan ended:" if plan.end_date else "named contact now:"
                    assert (said in div) == (lead is not None), div
            elif plan.status is CarePlanStatus.ACTIVE and not plan.end_date:
                current += 1
                assert "when the plan ended" not in div
    assert ended > 20 and current > 100


def test_an_inactive_care_team_names_no_current_lead(context: MappingContext) -> None:
    """The fifth layout trial: a discharged service user whose key worker's allocation the
    export never closed had an inactive care team saying "Key worker: ..., since ..." as if
    that were whom to call. Care has ended: the team says it has no current named lead, and
    the member is listed with the others, their period as the extract gives it."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)
    (episode,) = record.episodes
    finished = episode.model_copy(update={"status": EpisodeStatus.FINISHED, "end_date": date(2025, 5, 1)})
    plans = tuple(
        p.model_copy(update={"status": CarePlanStatus.COMPLETED, "end_date": date(2025, 5, 1)})
        for p in record.care_plans
    )
    discharged = record.model_copy(update={"episodes": (finished,), "care_plans": plans})
    assert any(m.is_lead and m.end_date is None for m in discharged.care_team)  # never closed
    [team] = Bundle(map_service_user(discharged, context)).all("CareTeam")
    assert team["status"] == "inactive"
    paragraphs = team["text"]["div"].split("</p><p>")
    assert paragraphs[1].startswith("No current named lead.")
    assert not any(p.startswith("Key worker:") for p in paragraphs), paragraphs
    [active] = Bundle(map_service_user(record, context)).all("CareTeam")  # in care: the lead, as before
    assert active["text"]["div"].split("</p><p>")[1].startswith("Key worker:")


def test_the_need_of_an_interpreter_and_the_ethnic_category_are_data(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """A trial of a new layout found both only in words (the interpreter) or dropped (the
    ethnic category), though the extract held them (2026-12-07): a GP or urgent-care system
    that books an interpreter from data never saw the need. Now R4's patient-interpreterRequired
    and UK Core's ethnic category extension, valid against fhircare's profile and UK Core."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)
    su = record.service_user.model_copy(
        update={"interpreter_required": True, "preferred_language": "pl", "ethnic_category": EthnicCategory.C}
    )
    bundle = mapped(record.model_copy(update={"service_user": su}), context, profiles_validator, ukcore_validator)
    [patient] = bundle.all("Patient")
    found = {e["url"]: e for e in patient["extension"]}
    assert found["http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"]["valueBoolean"] is True
    category = found["https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"]
    assert category["valueCodeableConcept"]["coding"] == [
        {
            "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
            "code": "C",
            "display": "White - Any other White background",
        }
    ]
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "pl"
    assert "Needs an interpreter." in patient["text"]["div"] and patient["text"]["status"] == "extensions"


def test_a_service_user_who_has_died_is_shared_as_deceased(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """A trial of a new layout found a date of death in the extract and no field for it: the
    person stayed alive in the shared record, and a GP or VCSE partner could contact them,
    or their family, as if they were. Now Patient.deceasedDateTime (the day: a dateTime at
    day precision) and the narrative's second sentence, valid against fhircare's profile
    and UK Core; someone with no date of death has no deceased[x] at all."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)
    [alive] = mapped(record, context, profiles_validator).all("Patient")
    assert not any(key.startswith("deceased") for key in alive) and "Died" not in alive["text"]["div"]
    su = record.service_user.model_copy(update={"date_of_death": date(2025, 3, 3)})
    bundle = mapped(record.model_copy(update={"service_user": su}), context, profiles_validator, ukcore_validator)
    [patient] = bundle.all("Patient")
    assert patient["deceasedDateTime"] == "2025-03-03"
    name, died = patient["text"]["div"].split("</p><p>")[:2]
    assert name.endswith("born 4 March 1980.") and died == "Died on 3 March 2025."
    assert patient["text"]["status"] == "generated"  # said from a core element


def test_a_service_user_recorded_as_died_with_no_date_is_shared_as_deceased(
    context: MappingContext, profiles_validator: Validator, ukcore_validator: Validator
) -> None:
    """The fifth layout trial found a deceased flag with the date blank (``DECEASED = Y``):
    with only ``date_of_death`` to say so, the person was shared as alive. ``deceased``
    true with no date is Patient.deceasedBoolean and "Has died (no date of death
    recorded)." in the narrative, valid against fhircare's profile and UK Core; with a date,
    the date is what is shared (deceased[x] is one or the other)."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)
    su = record.service_user.model_copy(update={"deceased": True})
    bundle = mapped(record.model_copy(update={"service_user": su}), context, profiles_validator, ukcore_validator)
    [patient] = bundle.all("Patient")
    assert patient["deceasedBoolean"] is True and "deceasedDateTime" not in patient
    assert patient["text"]["div"].split("</p><p>")[1] == "Has died (no date of death recorded)."
    dated = su.model_copy(update={"date_of_death": date(2025, 3, 3)})
    [patient] = mapped(record.model_copy(update={"service_user": dated}), context, profiles_validator).all("Patient")
    assert patient["deceasedDateTime"] == "2025-03-03" and "deceasedBoolean" not in patient
    alive = su.model_copy(update={"deceased": False})
    [patient] = mapped(record.model_copy(update={"service_user": alive}), context, profiles_validator).all("Patient")
    assert not any(key.startswith("deceased") for key in patient) and "died" not in patient["text"]["div"]


def test_a_draft_crisis_plan_is_never_published_as_the_plan_in_force(context: MappingContext) -> None:
    """EC-74: a plan not yet agreed is a draft, and urgent care finds the crisis plan by its
    pointer (the National Record Locator's DocumentReference): a draft crisis plan has no
    pointer, so it is never found as the plan to act on; the agreed one's pointer is
    current, and one no longer in force is superseded (found tracing EC-74: no test held
    the draft rule)."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)

    def pointers(status: CarePlanStatus) -> list[str]:
        plans = tuple(
            p.model_copy(update={"status": status}) if p.care_plan_id == "HB-CP2" else p for p in record.care_plans
        )
        bundle = Bundle(map_service_user(record.model_copy(update={"care_plans": plans}), context))
        [crisis] = [p for p in bundle.all("CarePlan") if p["status"] == status.value and "partOf" in p]
        found = [d for d in bundle.all("DocumentReference") if crisis["id"] in str(d.get("context"))]
        return [d["status"] for d in found]

    assert pointers(CarePlanStatus.ACTIVE) == ["current"]
    assert pointers(CarePlanStatus.DRAFT) == []
    assert pointers(CarePlanStatus.REVOKED) == ["superseded"]


def test_a_plan_past_its_review_date_says_it_may_not_be_current(context: MappingContext) -> None:
    """R-07, H09: a plan whose next review date has passed with no review was shown to
    partners as any other plan in use, "Next review: 1 September 2025", read as current
    (found tracing R-07). Its narrative now says the review is overdue and the plan may not
    be current; a review still to come is shown as before."""
    record = hb.record(CareCoordinationArrangement.KEY_WORKER, CoordinationRole.KEY_WORKER)

    def main_plan_text(review: date) -> str:
        plans = tuple(
            p.model_copy(update={"next_review_date": review}) if p.care_plan_id == "HB-CP1" else p
            for p in record.care_plans
        )
        bundle = Bundle(map_service_user(record.model_copy(update={"care_plans": plans}), context))
        [main] = [p for p in bundle.all("CarePlan") if "partOf" not in p]
        return str(main["text"]["div"])

    past = main_plan_text(AS_OF - timedelta(days=1))
    assert f"Next review: {long_date(AS_OF - timedelta(days=1))} (overdue: this plan may not be current)." in past
    assert "overdue" not in main_plan_text(AS_OF)
    assert "overdue" not in main_plan_text(AS_OF + timedelta(days=30))
