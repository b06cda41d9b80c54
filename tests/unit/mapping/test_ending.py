"""Ending what the extract no longer holds (mapping/ending.py): every resource fhircare
makes, of every type, still validates against its profile (and base R4) once ended, so the
shared record can take it; and each type is ended as its rule says."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhircare.api.record import provisions
from fhircare.mapping.ending import end_resource, hold_back, is_safeguard, is_withdrawn, release, safeguards_to_keep
from fhircare.validation.api import Validator
from tests.unit.mapping.conftest import LAYOUTS, MappedRun, errors

DAY = date(2025, 7, 2)


def _ended_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    ended = copy.deepcopy(bundle)
    for entry in ended["entry"]:
        entry["resource"] = end_resource(entry["resource"], DAY)
    return ended


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_ended_resource_validates(
    mapped_runs: dict[str, MappedRun], layout: str, profiles_validator: Validator
) -> None:
    types: set[str] = set()
    for mapped in mapped_runs[layout].bundles.values():
        ended = _ended_bundle(mapped.bundle)
        assert errors(profiles_validator.validate(ended)) == [], mapped.service_user_id
        types |= {e["resource"]["resourceType"] for e in ended["entry"]}
        assert all(is_withdrawn(e["resource"]) for e in ended["entry"])
    assert {"Task", "RiskAssessment", "MedicationStatement", "DocumentReference", "Condition", "Flag"} <= types


def _first(run: MappedRun, resource_type: str, test: Any = lambda r: True) -> dict[str, Any]:
    return next(
        r for mapped in run.bundles.values() for r in mapped.resources if r["resourceType"] == resource_type and test(r)
    )


def test_each_new_type_ends_as_its_rule_says(mapped_runs: dict[str, MappedRun]) -> None:
    run = mapped_runs["rio-like"]
    pointer = end_resource(_first(run, "DocumentReference", lambda r: r["status"] == "current"), DAY)
    assert pointer["status"] == "superseded"  # urgent care no longer finds it as the current plan
    risk = end_resource(_first(run, "RiskAssessment"), DAY)
    assert risk["status"] == "unknown"
    depot = _first(
        run, "MedicationStatement", lambda r: any(e["url"].endswith("next-dose-due") for e in r.get("extension", []))
    )
    ended = end_resource(depot, DAY)
    assert ended["status"] == "unknown" and not any(
        e["url"].endswith("next-dose-due") for e in ended.get("extension", [])
    )
    offer = _first(run, "Task")
    assert end_resource(offer, DAY)["status"] == offer["status"]  # a declined offer stays declined
    need = end_resource(_first(run, "Condition"), DAY)
    assert need["clinicalStatus"]["coding"][0]["code"] == "inactive"
    legal = end_resource(_first(run, "Flag", lambda r: r["status"] == "active" and "section117" not in str(r)), DAY)
    assert legal["status"] == "inactive" and legal["period"]["end"] == DAY.isoformat()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_held_back_resource_validates_and_releases_to_what_it_was(
    mapped_runs: dict[str, MappedRun], layout: str, profiles_validator: Validator
) -> None:
    """A rejected service user's record, marked not current (H10), can still be sent to the
    shared record; the mark comes away whole, and a held-back resource ends as any other."""
    for mapped in list(mapped_runs[layout].bundles.values())[:40]:
        held = copy.deepcopy(mapped.bundle)
        for entry in held["entry"]:
            entry["resource"] = hold_back(entry["resource"], DAY)
        assert errors(profiles_validator.validate(held)) == [], mapped.service_user_id
        for before, entry in zip(mapped.bundle["entry"], held["entry"], strict=True):
            marked = entry["resource"]
            assert hold_back(marked, date(2025, 8, 1)) is marked, "marked once, with the first day"
            assert release(marked) == before["resource"]
            ended = end_resource(marked, DAY)
            assert ended == end_resource(before["resource"], DAY), "ended without the mark"


_FLAG_CODE = "https://fhir.fhircare.nhs.uk/CodeSystem/flag-code"


def _flag(code: str, status: str = "active") -> dict[str, Any]:
    return {"resourceType": "Flag", "status": status, "code": {"coding": [{"system": _FLAG_CODE, "code": code}]}}


def _consent(provision: dict[str, Any], status: str = "active") -> dict[str, Any]:
    return {"resourceType": "Consent", "status": status, "provision": provision}


_DAY = date(2025, 7, 1)


def _action(code: str) -> dict[str, Any]:
    return {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": code}]}


def _actor(reference: str) -> dict[str, Any]:
    return {"reference": {"reference": reference}}


def _detail(reference: str) -> dict[str, Any]:
    return {"url": "http://hl7.org/fhir/StructureDefinition/flag-detail", "valueReference": {"reference": reference}}


@pytest.mark.parametrize(
    ("resource", "safeguard"),
    [
        (_consent({"type": "deny"}), True),
        (_consent({"type": "deny", "action": [_action("disclose")]}), True),
        # a carer's refusal to have their details recorded: ending it discloses nothing
        (_consent({"type": "deny", "action": [_action("collect")]}), False),
        # a permit with an exception: ending it discloses less, not more
        (_consent({"type": "permit", "provision": [{"type": "deny"}]}), False),
        (_consent({"type": "permit"}), False),
        (_consent({"type": "deny"}, status="inactive"), False),  # already lifted
        (_consent({"type": "deny", "period": {"end": "2025-06-30"}}), False),  # no longer in force
        (_consent({"type": "deny", "period": {"end": "2025-07-01"}}), True),
        (_consent({"type": "deny", "period": {"end": "soon"}}), True),  # not a date: fail safe
        # a refusal of access (retrieve and view) is one the access policy applies
        (_consent({"type": "deny", "action": [_action("access")]}), True),
        # a refusal that ended with June or with 2024 (partial dates) is no longer in force
        (_consent({"type": "deny", "period": {"end": "2025-06"}}), False),
        (_consent({"type": "deny", "period": {"end": "2025-07"}}), True),
        (_consent({"type": "deny", "period": {"end": "2024"}}), False),
        (end_resource(_consent({"type": "deny"}), _DAY), False),
        (_flag("do-not-involve"), True),
        (_flag("nearest-relative-not-involved"), False),  # a decision needed, not a refusal
        (_flag("do-not-involve", status="inactive"), False),
        (_flag("section-117-aftercare"), False),
        ({"resourceType": "CarePlan", "status": "active"}, False),
    ],
)
def test_a_safeguard_is_what_keeps_something_from_someone(resource: dict[str, Any], safeguard: bool) -> None:
    """Ending these would widen what is disclosed, so the store keeps them in force when
    their rows are gone (``store.load``)."""
    assert is_safeguard(resource, _DAY) is safeguard


def test_a_safeguard_is_kept_only_where_a_lost_row_explains_it() -> None:
    """A do-not-involve flag whose person is still in the extract was lifted by the trust
    (the person's row says they may be involved): ended. A refusal the extract holds again
    under another id is in force through that one: the first is ended. Otherwise kept."""
    flag = {**_flag("do-not-involve"), "id": "f1", "extension": [_detail("RelatedPerson/rp1")]}
    refusal = {**_consent({"type": "deny", "actor": [_actor("RelatedPerson/rp2")]}), "id": "c1"}
    again = {**refusal, "id": "c2", "provision": {**refusal["provision"], "period": {"start": "2025-06-01"}}}
    other = {**refusal, "id": "c3", "provision": {"type": "deny", "actor": [_actor("RelatedPerson/rp3")]}}
    assert safeguards_to_keep([flag, refusal], set(), [], _DAY) == [flag, refusal]
    assert safeguards_to_keep([flag], {("RelatedPerson", "rp1")}, [], _DAY) == []
    assert safeguards_to_keep([refusal], set(), [again], _DAY) == []
    assert safeguards_to_keep([refusal], set(), [other], _DAY) == [refusal]


_ACTIONS = st.lists(st.sampled_from(["disclose", "access", "collect", "use", "correct"]), max_size=2)
_ENDS = st.sampled_from([None, "2024", "2025-06", "2025-07", "2025-06-30", "2025-07-01", "2026-01-01", "soon"])


@given(
    kind=st.sampled_from(["deny", "permit"]),
    actions=_ACTIONS,
    end=_ENDS,
    status=st.sampled_from(["active", "inactive", "draft", "rejected"]),
)
def test_every_refusal_the_access_policy_applies_is_kept(
    kind: str, actions: list[str], end: str | None, status: str
) -> None:
    """The keeping of refusals and the access policy read a Consent by one rule: a Consent
    is a safeguard exactly when the policy finds a refusal in it that is (or will be) in
    force on the day. Before they shared the rule, a refusal of ``access`` and a refusal
    that ended with a month (``2025-06``) were read differently (found by stop 32's note)."""
    provision: dict[str, Any] = {"type": kind, "actor": [_actor("Organization/gp")]}
    if actions:
        provision["action"] = [_action(a) for a in actions]
    if end is not None:
        provision["period"] = {"end": end}
    consent = _consent(provision, status=status)
    refusals_in_force = [
        p for p in provisions({**consent, "id": "c1"}) if not p.permit and (p.end is None or p.end >= _DAY)
    ]
    assert is_safeguard(consent, _DAY) is bool(refusals_in_force)
