"""Property test of the access policy: over random consents, security labels, organisation
types and records, nothing the policy engine shows goes beyond the policy.

The oracle below restates the rules of issue 13 and requirements §3 directly, as
predicates over what was shown (written apart from the engine, which reads the rule
table): every resource shown must be allowed to that organisation type, on a basis that
holds for this record, in a view no wider than the rule's. A disclosure beyond the policy
is any shown resource (or part of one) the oracle does not allow. At least 10,000
generated cases are checked, each deciding every resource of its record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.api.policy import Viewer, decide
from fhircare.api.policy_table import OrganisationType as O
from tests.unit.api.builders import (
    CARER_CONFIDENTIAL,
    CONFIDENTIAL_R,
    CRISIS,
    MAIN_PLAN,
    NOPAT,
    PATIENT,
    SD,
    SECTION_117,
    TODAY,
    VERY_RESTRICTED,
    activity,
    care_plan,
    consent,
    do_not_involve_flag,
    participant,
    record,
    related_person,
)

Json = dict[str, Any]
ME = "Organization/me"
OTHER = "Organization/other"
PEOPLE = ("RelatedPerson/rp0", "RelatedPerson/rp1", "RelatedPerson/rp2")
LEAD_ROLES = {"key-worker", "care-coordinator", "lead-professional", "temporary-care-coordinator"}
PARTNER_CODES = {
    O.GP: {"gp-practice"},
    O.VCSE: {"vcse"},
    O.LOCAL_AUTHORITY: {"local-authority"},
    O.NHS_TRUST: {"nhs-mental-health-trust", "other-provider"},
}
PURPOSES = {
    O.GP: {"TREAT", "COC"},
    O.VCSE: {"COC"},
    O.LOCAL_AUTHORITY: {"COC"},
    O.NHS_TRUST: {"TREAT", "COC"},
    O.URGENT_CARE: {"ETREAT", "TREAT"},
    O.SERVICE_USER_APP: {"PATRQT", "COC"},
    O.ADMIN: {"HOPERAT"},
}
DIALOG_PROFILE = "https://fhir.fhircare.nhs.uk/StructureDefinition/fhircare-dialog-response"
SCORE_PROFILE = "https://fhir.fhircare.nhs.uk/StructureDefinition/fhircare-dialog-score"

# --- generating records ---------------------------------------------------------------------


class Entropy:
    """Choices read from bytes hypothesis draws in one go: generating a scenario from one
    draw is what makes 10,000 of them affordable, and hypothesis still shrinks the bytes
    (towards zeros: the first option of every choice) to the simplest failing scenario."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        value = self.data[self.at % len(self.data)] if self.at < len(self.data) else 0
        self.at += 1
        return value

    def pick(self, options: list[Any]) -> Any:
        return options[self.byte() % len(options)]

    def flag(self) -> bool:
        return self.byte() % 2 == 1

    def count(self, most: int) -> int:
        return self.byte() % (most + 1)

    def subset(self, options: list[Any], most: int) -> list[Any]:
        mask = self.byte() | self.byte() << 8
        return [o for i, o in enumerate(options) if mask >> i & 1][:most]


LABELS = [CONFIDENTIAL_R, VERY_RESTRICTED, NOPAT, CARER_CONFIDENTIAL]
PERFORMERS = [ME, OTHER, PATIENT, *PEOPLE, "PractitionerRole/lead"]
CLASSES = ["CarePlan", "Goal", "CareTeam", "RelatedPerson", "QuestionnaireResponse", DIALOG_PROFILE, SCORE_PROFILE]
#: the Core Information Standard's reasonable adjustment flag (SNOMED CT)
ADJUSTMENT_CODE = "1108111000000107"
BASES = [
    None,
    "explicit-consent",
    "best-interests",
    "risk-override",
    "legal-duty-section-117",
    "legal-duty-care-act",
    "legal-duty-carers-assessment",
]
DATA = [("instance", "CarePlan/cp0"), ("related", "CarePlan/cp0"), ("dependents", "CarePlan/cp1")]


def _labels(e: Entropy) -> list[Json]:
    return e.subset(LABELS, 2)


def _plan(e: Entropy, pid: str) -> Json:
    category = e.pick([MAIN_PLAN, CRISIS, SECTION_117])
    steps = []
    for _ in range(e.count(4)):
        performer, code = e.pick(PERFORMERS), e.pick([None, "crisis-contact", "trigger"])
        steps.append(activity(performer, code, f"{performer} {code}"))
    plan = care_plan(pid, category, steps, *_labels(e))
    if category is MAIN_PLAN and e.flag():
        plan["category"].append(SECTION_117)
    return plan


def _consent(e: Entropy, cid: str) -> Json:
    found = _decision(e, cid)
    if e.flag():  # a capacity assessment behind it (what makes a best-interests decision stand)
        found["extension"] = [{"url": SD + "capacity-assessment", "valueReference": {"reference": "Observation/c"}}]
    return found


def _decision(e: Entropy, cid: str) -> Json:
    return consent(
        cid,
        permit=e.flag(),
        actors=e.pick(
            [(ME,), (ME,), (ME,), (OTHER,), (), (ME, OTHER), ("RelatedPerson/rp0",), (ME, "RelatedPerson/rp1")]
        ),
        partner_types=tuple(e.subset(["gp-practice", "vcse", "local-authority", "nhs-mental-health-trust"], 2)),
        classes=tuple(e.subset(CLASSES, 3)),
        codes=tuple(e.subset([CRISIS, SECTION_117, MAIN_PLAN], 2)),
        data=tuple(e.subset(DATA, 1)),
        basis=e.pick(BASES),
        purposes=tuple(e.subset(["COC", "TREAT", "ETREAT", "PATRQT", "SUPNWK"], 2)),
        start=e.pick(["2020-01-01", "2024-06-01", "2026-01-01"]),
        end=e.pick([None, "2024-12-31", "2027-01-01"]),
        status=e.pick(["active", "active", "active", "inactive"]),
        action=e.pick(["disclose", "disclose", "disclose", "collect"]),
    )


def _person(e: Entropy, pid: str) -> Json:
    return related_person(
        pid.split("/")[1],
        *_labels(e),
        not_involved=e.flag(),
        emergency=e.flag(),
        assessed_by=e.pick([None, ME, OTHER]),
    )


@dataclass
class Scenario:
    kind: O
    resources: list[Json]


def scenario_from(data: bytes) -> Scenario:
    e = Entropy(data)
    kind = e.pick(list(O))
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "meta": {"security": _labels(e)},
        "generalPractitioner": [{"reference": e.pick([ME, OTHER])}],
        "managingOrganization": {"reference": e.pick([ME, OTHER])},
    }
    members = ["PractitionerRole/lead", "PractitionerRole/x", ME, OTHER, *PEOPLE]
    roles = ["key-worker", "care-coordinator", "psychiatrist", "duty-worker", "vcse-link-worker"]
    team = {
        "resourceType": "CareTeam",
        "id": "team",
        "meta": {"security": _labels(e)},
        "text": {"status": "generated", "div": "<div>whole team</div>"},
        "managingOrganization": [{"reference": e.pick([ME, OTHER])}],
        "subject": {"reference": PATIENT},
        "participant": [
            participant(e.pick(members), e.pick(roles), e.pick([None, "2024-01-01"])) for _ in range(e.count(4))
        ],
    }
    resources = [
        patient,
        team,
        *(_plan(e, f"cp{i}") for i in range(e.count(3))),
        *(_consent(e, f"c{i}") for i in range(e.count(4))),
        *(_person(e, p) for p in PEOPLE[: e.count(3)]),
        {
            "resourceType": "QuestionnaireResponse",
            "id": "qr",
            "meta": {"profile": [DIALOG_PROFILE], "security": _labels(e)},
        },
        {"resourceType": "Observation", "id": "score", "meta": {"profile": [SCORE_PROFILE], "security": _labels(e)}},
        {"resourceType": "Encounter", "id": "enc", "meta": {"security": _labels(e)}},
        {"resourceType": "Goal", "id": "goal", "meta": {"security": _labels(e)}},
    ]
    if e.flag():
        resources.append(do_not_involve_flag(e.pick(list(PEOPLE))))
    if e.flag():
        resources.append(
            {
                "resourceType": "Flag",
                "id": "ra",
                "meta": {"security": _labels(e)},
                "status": "active",
                "code": {
                    "coding": [{"system": "http://snomed.info/sct", "code": ADJUSTMENT_CODE}],
                    "text": "text first",
                },
                "subject": {"reference": PATIENT},
            }
        )
    return Scenario(kind, resources)


scenarios = st.binary(min_size=160, max_size=160).map(scenario_from)


# --- the oracle ------------------------------------------------------------------------------


def _codes(value: Any) -> set[str]:
    return {c["code"] for cc in (value or []) for c in ([cc] if "code" in cc else cc.get("coding", []))}


def _in_force(provision: Json) -> bool:
    start = provision["period"]["start"]
    end = provision["period"].get("end")
    return start <= TODAY.isoformat() and (end is None or TODAY.isoformat() <= end)


class Oracle:
    """The rules, stated over one scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.kind = scenario.kind
        self.by_ref = {f"{r['resourceType']}/{r['id']}": r for r in scenario.resources}
        self.patient = self.by_ref[PATIENT]
        self.decisions = [
            r
            for r in scenario.resources
            if r["resourceType"] == "Consent"
            and r["status"] == "active"
            and _codes(r["provision"]["action"]) == {"disclose"}
            and _in_force(r["provision"])
        ]
        self.not_involved = {
            r
            for r, res in self.by_ref.items()
            if r.startswith("RelatedPerson/")
            and "extension" in res
            and any(e["url"].endswith("do-not-involve") for e in res["extension"])
        }
        flag = self.by_ref.get("Flag/dni")
        if flag is not None:
            self.not_involved.add(flag["extension"][0]["valueReference"]["reference"])
        for c in self.decisions:
            p = c["provision"]
            if p["type"] == "deny" and not ({"class", "code", "data"} & set(p)):
                self.not_involved |= {
                    a["reference"]["reference"]
                    for a in p.get("actor", ())
                    if "RelatedPerson" in a["reference"]["reference"]
                }
        self.involved = self._involved()

    def _involved(self) -> bool:
        orgs = {self.patient["managingOrganization"]["reference"], self.patient["generalPractitioner"][0]["reference"]}
        team = self.by_ref["CareTeam/team"]
        orgs |= {p["member"]["reference"] for p in team["participant"]}
        orgs |= {t["reference"] for t in team.get("managingOrganization", ())}
        for r in self.by_ref.values():
            if r["resourceType"] == "CarePlan":
                orgs |= {pf["reference"] for a in r["activity"] for pf in a["detail"]["performer"]}
            if r["resourceType"] == "RelatedPerson":
                orgs |= {
                    x["valueReference"]["reference"]
                    for e in r.get("extension", ())
                    for x in e.get("extension", ())
                    if x["url"] == "assessingOrganisation"
                }
        return ME in orgs

    def _for_me(self, c: Json) -> bool:
        p = c["provision"]
        purposes = {x["code"] for x in p.get("purpose", ())}
        if purposes and not purposes & PURPOSES[self.kind]:
            return False
        actors = {a["reference"]["reference"] for a in p.get("actor", ())}
        types = _codes([e["valueCodeableConcept"] for e in p.get("extension", ())])
        if not actors and not types:
            return p["type"] == "deny"
        if ME in actors:
            return True
        return bool(types & PARTNER_CODES.get(self.kind, set())) and (p["type"] == "deny" or self.involved)

    def _covers(self, c: Json, r: Json) -> bool:
        p = c["provision"]
        if not ({"class", "code", "data"} & set(p)):
            return p["type"] == "deny"
        names = {x["code"] for x in p.get("class", ())}
        if names and r["resourceType"] not in names and not names & set(r.get("meta", {}).get("profile", ())):
            return False
        if "code" in p and not _codes(p["code"]) & _codes(r.get("category")):
            return False
        if "data" in p:
            key = f"{r['resourceType']}/{r['id']}"
            for item in p["data"]:
                target = item["reference"]["reference"]
                if target == key:
                    return True
                named = self.by_ref.get(target)
                if item["meaning"] == "related" and named is not None and key in str(named):
                    return True
                if item["meaning"] == "dependents" and target in str(r):
                    return True
            return False
        return True

    def _basis(self, c: Json) -> str:
        return next(iter(_codes([c["policyRule"]])), "explicit-consent") if "policyRule" in c else "explicit-consent"

    def permits(self, r: Json | None, bases: set[str]) -> bool:
        """A permit for this partner, on one of these bases, covers it (a best-interests
        decision counts only with its capacity assessment)."""
        return any(
            c["provision"]["type"] == "permit"
            and self._for_me(c)
            and self._basis(c) in bases
            and (self._basis(c) != "best-interests" or "capacity-assessment" in str(c.get("extension")))
            and (r is None or self._covers(c, r))
            for c in self.decisions
        )

    def refused(self, r: Json | None) -> bool:
        """A refusal for this partner covers it (None: a refusal of everything): it always wins."""
        return any(
            c["provision"]["type"] == "deny"
            and self._for_me(c)
            and (self._covers(c, r) if r is not None else not ({"class", "code", "data"} & set(c["provision"])))
            for c in self.decisions
        )

    def gate(self) -> bool:
        if self.refused(None):
            return False
        if self.kind is O.GP:
            return self.patient["generalPractitioner"][0]["reference"] == ME
        if self.kind is O.URGENT_CARE:
            return True
        if self.kind is O.NHS_TRUST:
            managing = {t["reference"] for t in self.by_ref["CareTeam/team"].get("managingOrganization", ())}
            return ME in managing or self.permits(
                None,
                {
                    "explicit-consent",
                    "best-interests",
                    "risk-override",
                    "legal-duty-section-117",
                    "legal-duty-care-act",
                    "legal-duty-carers-assessment",
                },
            )
        if self.kind in (O.VCSE, O.LOCAL_AUTHORITY, O.SERVICE_USER_APP):
            return self.permits(
                None,
                {
                    "explicit-consent",
                    "best-interests",
                    "risk-override",
                    "legal-duty-section-117",
                    "legal-duty-care-act",
                    "legal-duty-carers-assessment",
                },
            )
        return False

    def check(self, r: Json, shown: Json) -> None:
        """Fails if showing ``shown`` (for ``r``) goes beyond the policy."""
        key = f"{r['resourceType']}/{r['id']}"
        security = {s["code"] for s in r.get("meta", {}).get("security", ())}
        assert "V" not in security, "very restricted information disclosed"
        assert self.kind is not O.ADMIN, "the administrator was shown a record"
        if self.kind is O.SERVICE_USER_APP:
            assert not security & {"NOPAT", "carer-confidential"}, "withheld information reached the service user"
        assert key not in self.not_involved, "a person not to be involved was disclosed"
        for a in shown.get("activity", ()):
            assert not {p["reference"] for p in a["detail"]["performer"]} & self.not_involved, (
                "a person not to be involved appears as a contact"
            )
        for p in shown.get("participant", ()):
            assert p["member"]["reference"] not in self.not_involved
        assert self.gate(), "a service user the partner may not see was disclosed"
        category = _codes(r.get("category"))
        crisis = r["resourceType"] == "CarePlan" and bool(category & {"736253002"})
        s117 = r["resourceType"] == "CarePlan" and "section-117-aftercare" in category and not crisis
        consented = {"explicit-consent", "best-interests", "risk-override"}
        rtype = r["resourceType"]
        if rtype == "Flag" and ADJUSTMENT_CODE in _codes([r["code"]]) and self.kind is not O.SERVICE_USER_APP:
            # reasonable adjustments go with the gate too, but never past a refusal
            assert not self.refused(r), "a refused reasonable adjustment was disclosed"
            if self.kind in (O.VCSE, O.LOCAL_AUTHORITY):
                # it names its condition: to these, only on a consent covering the Flag
                assert self.permits(r, {"explicit-consent", "best-interests", "risk-override"}), (
                    "a reasonable adjustment shown to a VCSE partner or council without consent"
                )
        if rtype in ("Patient", "Flag"):
            return  # identity, the do-not-involve banner and reasonable adjustments go with the gate
        if self.kind in (O.GP, O.URGENT_CARE, O.NHS_TRUST):
            assert not self.refused(r), "a refused disclosure was made"
        if self.kind is O.GP:
            assert rtype in ("CarePlan", "CareTeam", "Goal", "Encounter", "RelatedPerson", "Observation"), rtype
            if rtype == "RelatedPerson":
                assert key in self._crisis_contacts() or "C" in _codes(r["relationship"])
        elif self.kind is O.URGENT_CARE:
            assert rtype in ("CarePlan", "CareTeam", "RelatedPerson"), rtype
            assert rtype != "CarePlan" or crisis, "urgent care was shown more than the crisis plan"
            if rtype == "RelatedPerson":
                assert key in self._crisis_contacts() or "C" in _codes(r["relationship"])
        elif self.kind is O.VCSE:
            assert rtype in ("CarePlan", "CareTeam", "QuestionnaireResponse", "Observation"), rtype
            assert self.permits(r, consented), "shown to a VCSE partner without consent covering it"
            assert self.permits(r, {"risk-override"}) or not self.refused(r)
        elif self.kind is O.LOCAL_AUTHORITY:
            assert rtype in ("CarePlan", "CareTeam", "RelatedPerson"), rtype
            if rtype == "RelatedPerson":
                assert self.permits(r, consented | {"legal-duty-carers-assessment"}) and ME in str(r.get("extension"))
            elif rtype == "CarePlan":
                whole = s117 and self.permits(r, consented | {"legal-duty-section-117"})
                assert whole or self.permits(r, consented | {"legal-duty-care-act"}), "a plan without a basis"
                if not whole:
                    assert all(ME in str(a["detail"]["performer"]) for a in shown["activity"]), "not its own actions"
        self._check_view(r, shown, crisis, s117)

    def _crisis_contacts(self) -> set[str]:
        return {
            p["reference"]
            for r in self.by_ref.values()
            if r["resourceType"] == "CarePlan" and "736253002" in _codes(r.get("category"))
            for a in r["activity"]
            if "crisis-contact" in _codes([a["detail"].get("code", {})])
            for p in a["detail"]["performer"]
        }

    def _check_view(self, r: Json, shown: Json, crisis: bool, s117: bool) -> None:
        narrowed = self.kind in (O.VCSE, O.LOCAL_AUTHORITY, O.URGENT_CARE)
        if r["resourceType"] == "CarePlan" and self.kind is O.VCSE:
            for a in shown["activity"]:
                performers = {p["reference"] for p in a["detail"]["performer"]}
                own = ME in performers
                contact = "crisis-contact" in _codes([a["detail"].get("code", {})])
                assert (own and not crisis) or (crisis and contact), "an action of someone else was disclosed"
        if r["resourceType"] == "CareTeam" and narrowed:
            for p in shown["participant"]:
                roles = _codes(p["role"])
                assert p["member"]["reference"] == ME or roles & LEAD_ROLES, (
                    "a care team member beyond the lead was disclosed"
                )
                assert "end" not in p.get("period", {}), "a former member was disclosed as a contact"
        if shown != r:
            assert any(s.get("code") == "REDACTED" for s in shown["meta"]["security"])
            assert shown.get("text") != r.get("text"), "the whole resource's narrative was sent with a narrowed view"


CASES: list[int] = []
#: resources shown, per organisation type (the property is not vacuous: much is shown)
SHOWN: dict[str, int] = {}


@settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def _no_disclosure_beyond_the_policy(scenario: Scenario) -> None:
    CASES.append(1)
    facts = record(*scenario.resources)
    viewer = Viewer("client", scenario.kind, frozenset({ME}))
    oracle = Oracle(scenario)
    for resource in scenario.resources:
        shown = decide(viewer, resource, facts, TODAY)
        if shown is not None:
            oracle.check(resource, shown)
            SHOWN[scenario.kind.value] = SHOWN.get(scenario.kind.value, 0) + 1


def test_no_disclosure_beyond_the_policy_in_10000_cases() -> None:
    CASES.clear()
    SHOWN.clear()
    _no_disclosure_beyond_the_policy()
    shown = ", ".join(f"{k} {v}" for k, v in sorted(SHOWN.items()))
    print(f"\npolicy property: {len(CASES)} generated cases, zero disclosures beyond the policy; shown: {shown}")
    assert len(CASES) >= 10_000
    # not vacuous: every organisation type is shown something and checked. The generation
    # is random and a VCSE partner sees a record only with the service user's consent to it
    # (about 1% of cases: 98 to 150 in 10,000 seen), so the floor leaves room (100 failed once)
    assert all(SHOWN.get(t.value, 0) >= 30 for t in O if t is not O.ADMIN), SHOWN


def test_the_oracle_catches_a_disclosure() -> None:
    """The oracle is not vacuous: a VCSE shown a plan without consent is caught."""
    scenario = Scenario(
        O.VCSE,
        [
            {
                "resourceType": "Patient",
                "id": "p1",
                "generalPractitioner": [{"reference": ME}],
                "managingOrganization": {"reference": ME},
            },
            {"resourceType": "CareTeam", "id": "team", "participant": []},
            care_plan("cp0", MAIN_PLAN, [activity(ME)]),
        ],
    )
    oracle = Oracle(scenario)
    try:
        oracle.check(scenario.resources[2], scenario.resources[2])
    except AssertionError:
        return
    raise AssertionError("the oracle allowed a disclosure without consent")


def test_the_oracle_catches_a_refused_reasonable_adjustment() -> None:
    """Reasonable adjustments go to whoever may see the service user, never past a refusal:
    the generated consents seldom refuse Flags (test_policy_table.py names those cases), so
    the oracle's rule is checked here on one: a GP refused Flags and shown one is caught."""
    refusal = consent("no", permit=False, actors=(ME,), classes=("Flag",))
    adjustment = {
        "resourceType": "Flag",
        "id": "ra",
        "status": "active",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": ADJUSTMENT_CODE}]},
        "subject": {"reference": PATIENT},
    }
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "generalPractitioner": [{"reference": ME}],
        "managingOrganization": {"reference": ME},
    }
    scenario = Scenario(
        O.GP, [patient, {"resourceType": "CareTeam", "id": "team", "participant": []}, refusal, adjustment]
    )
    try:
        Oracle(scenario).check(adjustment, adjustment)
    except AssertionError as caught:
        assert "refused reasonable adjustment" in str(caught)
        return
    raise AssertionError("the oracle allowed a refused reasonable adjustment")
