"""What the sync takes off a target before an update (``$meta-delete``): the tags and security
labels the version last sent had and this one has not, matched by system and code."""

from __future__ import annotations

from fhircare.mapping.fhir import written_by_fhircare
from fhircare.sync.engine import _dropped_meta

V3 = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
LIFECYCLE = "https://fhir.fhircare.nhs.uk/CodeSystem/record-lifecycle"


def test_only_what_the_new_version_lacks_is_taken_off() -> None:
    before = {
        "meta": {
            "security": [
                {"system": CONF, "code": "R", "display": "restricted"},
                {"system": V3, "code": "NOPAT"},
            ],
            "tag": [{"system": LIFECYCLE, "code": "withdrawn", "display": "No longer in the trust's record"}],
        }
    }
    after = {"meta": {"security": [{"system": CONF, "code": "R"}]}}
    assert _dropped_meta(before, after) == {
        "security": [{"system": V3, "code": "NOPAT"}],
        "tag": [{"system": LIFECYCLE, "code": "withdrawn"}],
    }


def test_nothing_dropped_is_nothing_to_do() -> None:
    same = {"meta": {"security": [{"system": CONF, "code": "R"}]}}
    assert _dropped_meta(same, same) == {}
    assert _dropped_meta({}, same) == {}
    assert _dropped_meta({"meta": {"tag": "not a list"}}, {}) == {}


def test_of_a_version_fhircare_did_not_send_only_its_own_marks_are_taken_off() -> None:
    """Another system's tag, and R on a directory resource, are not fhircare's to take off;
    NOPAT and fhircare's own code systems' marks are (they come and go with its records)."""
    other = {"system": "https://shared-record.example/tags", "code": "reviewed"}
    before = {
        "meta": {
            "security": [{"system": CONF, "code": "R"}, {"system": V3, "code": "NOPAT"}],
            "tag": [other, {"system": LIFECYCLE, "code": "withdrawn"}],
        }
    }
    # NOPAT without fhircare's carer-confidential beside it is another system's (GP Connect
    # writes it too): a review found it taken off after a conflict re-read (2026-12-07)
    assert _dropped_meta(before, {}, only_ours=True) == {"tag": [{"system": LIFECYCLE, "code": "withdrawn"}]}
    ours = {"system": "https://fhir.fhircare.nhs.uk/CodeSystem/security-label", "code": "carer-confidential"}
    before["meta"]["security"].append(ours)
    assert _dropped_meta(before, {}, only_ours=True) == {
        "security": [{"system": V3, "code": "NOPAT"}, {"system": ours["system"], "code": ours["code"]}],
        "tag": [{"system": LIFECYCLE, "code": "withdrawn"}],
    }
    assert not written_by_fhircare({"system": V3, "code": "PSY"})
    assert written_by_fhircare(
        {"system": "https://fhir.fhircare.nhs.uk/CodeSystem/security-label", "code": "carer-confidential"}
    )
