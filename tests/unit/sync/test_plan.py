"""Planning transactions: conditional updates on encoded identifiers without a client id,
updates by the server's id with If-Match once known, references rewritten to fullUrls or
server ids, rows that must wait for a shared resource, and a Provenance that is the same
however often the row is sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhircare.store.canonical import content_hash, references, stored_forms
from fhircare.store.outbox import TargetHeld
from fhircare.sync.plan import (
    Outgoing,
    RunEvidence,
    identifier_search,
    plan_transaction,
    search_batch,
    select_outgoing,
    shared_levels,
)

PATIENT_ID = "11111111-1111-5111-8111-111111111111"
PLAN_ID = "22222222-2222-5222-8222-222222222222"
ORG_ID = "33333333-3333-5333-8333-333333333333"
SYSTEM = "https://fhir.fhircare.nhs.uk/Id/trust/care-plan"
EVIDENCE = RunEvidence(
    7, "store-1", ("Organization", ORG_ID), "Synthetic Valley Trust", datetime(2025, 7, 1, tzinfo=UTC)
)


def outgoing(resource: dict[str, object], identifier: tuple[str, str] | None) -> Outgoing:
    content = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
    return Outgoing(str(resource["resourceType"]), str(resource["id"]), content, content_hash(content), identifier)


PATIENT = outgoing(
    {"resourceType": "Patient", "id": PATIENT_ID, "managingOrganization": {"reference": f"Organization/{ORG_ID}"}},
    ("https://fhir.fhircare.nhs.uk/Id/trust/client", "P 1&2,3|4"),
)
PLAN = outgoing(
    {"resourceType": "CarePlan", "id": PLAN_ID, "subject": {"reference": f"Patient/{PATIENT_ID}"}},
    (SYSTEM, "CP1"),
)
ORG_HELD = {("Organization", ORG_ID): TargetHeld("org-9", "1", 'W/"1"', "x")}


def entries(bundle: bytes) -> list[dict[str, object]]:
    parsed = orjson.loads(bundle)
    assert parsed["resourceType"] == "Bundle" and parsed["type"] == "transaction"
    found: list[dict[str, object]] = parsed["entry"]
    return found


def test_resources_the_target_does_not_hold_are_created_under_fhircares_own_id() -> None:
    plan = plan_transaction([PLAN, PATIENT], ORG_HELD, group_key="P1", target_url="http://t/fhir", evidence=EVIDENCE)
    patient, care_plan, provenance = entries(plan.bundle)  # the patient first: the plan refers to it
    assert patient["request"] == {"method": "PUT", "url": f"Patient/{PATIENT_ID}"}
    assert patient["resource"]["id"] == PATIENT_ID  # type: ignore[index]
    assert patient["resource"]["managingOrganization"] == {"reference": "Organization/org-9"}  # type: ignore[index]
    assert care_plan["resource"]["subject"] == {"reference": f"urn:uuid:{PATIENT_ID}"}  # type: ignore[index]
    assert patient["fullUrl"] == f"urn:uuid:{PATIENT_ID}"
    assert provenance["request"]["url"].startswith("Provenance/")  # type: ignore[index]
    assert [e.key[0] for e in plan.entries] == ["Patient", "CarePlan", "Provenance"]


def test_identity_searches_are_escaped_and_percent_encoded() -> None:
    batch = orjson.loads(search_batch([PATIENT, PLAN]))
    assert batch["type"] == "batch"
    urls = [e["request"]["url"] for e in batch["entry"]]
    assert urls == [
        "Patient?identifier=https%3A%2F%2Ffhir.fhircare.nhs.uk%2FId%2Ftrust%2Fclient%7CP%201%262%5C%2C3%5C%7C4",
        "CarePlan?identifier=https%3A%2F%2Ffhir.fhircare.nhs.uk%2FId%2Ftrust%2Fcare-plan%7CCP1",
    ]


def test_resources_the_target_holds_are_updated_by_its_id_with_if_match() -> None:
    held = {**ORG_HELD, ("Patient", PATIENT_ID): TargetHeld("pat-5", "3", None, "old")}
    plan = plan_transaction([PATIENT, PLAN], held, group_key="P1", target_url="http://t/fhir", evidence=EVIDENCE)
    patient, care_plan, _ = entries(plan.bundle)
    assert patient["request"] == {"method": "PUT", "url": "Patient/pat-5", "ifMatch": 'W/"3"'}
    assert patient["resource"]["id"] == "pat-5"  # type: ignore[index]
    assert care_plan["resource"]["subject"] == {"reference": f"urn:uuid:{PATIENT_ID}"}  # type: ignore[index]


def test_a_reference_to_a_shared_resource_the_target_lacks_makes_the_row_wait() -> None:
    plan = plan_transaction([PATIENT], {}, group_key="P1", target_url="http://t/fhir", evidence=EVIDENCE)
    assert plan.waiting_for == (("Organization", ORG_ID),)
    assert plan.bundle == b""


def test_the_provenance_is_the_same_whenever_the_same_row_is_sent() -> None:
    first = plan_transaction([PATIENT, PLAN], ORG_HELD, group_key="P1", target_url="http://t/fhir", evidence=EVIDENCE)
    again = plan_transaction([PATIENT, PLAN], ORG_HELD, group_key="P1", target_url="http://t/fhir", evidence=EVIDENCE)
    assert first.bundle == again.bundle
    provenance = entries(first.bundle)[-1]["resource"]
    assert provenance["agent"][0]["who"] == {"reference": "Organization/org-9"}  # type: ignore[index]
    assert provenance["entity"][0]["what"]["identifier"]["value"] == "store-1/7"  # type: ignore[index]
    targets = provenance["target"]  # type: ignore[index]
    assert targets == [{"reference": f"urn:uuid:{PATIENT_ID}"}, {"reference": f"urn:uuid:{PLAN_ID}"}]
    held = {**ORG_HELD, ("Patient", PATIENT_ID): TargetHeld("pat-5", "3", None, PATIENT.content_hash)}
    other = plan_transaction([PLAN], held, group_key="P1", target_url="http://t/fhir", evidence=EVIDENCE)
    assert entries(other.bundle)[-1]["resource"]["id"] != provenance["id"]  # type: ignore[index]


def test_only_what_the_target_lacks_is_selected_and_what_refers_to_a_recreated_resource() -> None:
    held = {
        ("Patient", PATIENT_ID): TargetHeld("pat-5", "3", None, PATIENT.content_hash),
        ("CarePlan", PLAN_ID): TargetHeld("cp-1", "1", None, PLAN.content_hash),
    }
    assert select_outgoing([PATIENT, PLAN], held) == []
    changed = {**held, ("Patient", PATIENT_ID): TargetHeld("pat-5", "3", None, "different")}
    assert select_outgoing([PATIENT, PLAN], changed) == [PATIENT]
    deleted_on_server = {("CarePlan", PLAN_ID): held[("CarePlan", PLAN_ID)]}
    # the patient is recreated (a new server id): the plan that refers to it goes too
    assert select_outgoing([PATIENT, PLAN], deleted_on_server) == [PATIENT, PLAN]


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_identifier_searchs_decode_to_the_identifier(system: str, value: str) -> None:
    url = identifier_search("CarePlan", (system, value))
    prefix = "CarePlan?identifier="
    assert url.startswith(prefix)
    query = url[len(prefix) :]
    assert "&" not in query and " " not in query and "#" not in query
    token = unquote(query)
    # split on the first "|" that is not escaped, then undo FHIR's escapes
    parts = re.split(r"(?<!\\)((?:\\\\)*)\|", token, maxsplit=1)
    found_system, found_value = parts[0] + parts[1], parts[2]
    assert unescape(found_system) == system and unescape(found_value) == value


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_shared_resources_come_in_levels_each_after_what_it_refers_to() -> None:
    trust = ("Organization", "a" * 8 + "-0000-5000-8000-" + "0" * 12)
    team = ("Organization", "b" * 8 + "-0000-5000-8000-" + "0" * 12)
    person = ("Practitioner", "c" * 8 + "-0000-5000-8000-" + "0" * 12)
    role = ("PractitionerRole", "d" * 8 + "-0000-5000-8000-" + "0" * 12)

    def ref(key: tuple[str, str]) -> str:
        return f'{{"reference":"{key[0]}/{key[1]}"}}'

    contents = {
        role: f'{{"a":{ref(person)},"b":{ref(team)}}}'.encode(),
        team: f'{{"partOf":{ref(trust)}}}'.encode(),
        trust: b"{}",
        person: b"{}",
    }
    assert shared_levels(contents) == [sorted([trust, person]), [team], [role]]
    assert references(contents[role]) == (person, team)


@pytest.mark.parametrize("layout", ["rio-like"])
def test_stored_forms_refer_by_type_and_id_and_hash_their_content(layout: str) -> None:
    bundle = [
        {"resourceType": "Patient", "id": PATIENT_ID, "identifier": [{"system": "s", "value": "v"}]},
        {"resourceType": "CarePlan", "id": PLAN_ID, "subject": {"reference": f"urn:uuid:{PATIENT_ID}"}},
        {"resourceType": "Organization", "id": ORG_ID},
    ]
    forms = stored_forms("P1", bundle)
    assert b'"reference":"Patient/' + PATIENT_ID.encode() + b'"' in forms[1].content
    assert [f.service_user_id for f in forms] == ["P1", "P1", None]
    assert forms[0].content_hash == content_hash(forms[0].content)
    assert forms[0].identifier is None  # "v" does not derive the id: not its business identifier
