"""What the sync takes off a target before an update (``$meta-delete``): the tags and security
labels the version last sent had and this one has not, matched by system and code."""

from __future__ import annotations

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
