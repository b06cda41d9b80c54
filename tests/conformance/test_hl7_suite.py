"""The HL7 validator peer suite, scored per module against the Java expectations.

Fails when agreement falls below the floors in hl7_known_deviations.json, or when a
case not listed there stops agreeing (a regression), or when a listed case starts
agreeing (update the list: the improvement should be kept).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conformance.hl7_suite import SUITE, CaseResult, run_suite, score_table

DEVIATIONS = json.loads((Path(__file__).parent / "hl7_known_deviations.json").read_text())

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not SUITE.is_dir(), reason=f"HL7 suite not found at {SUITE}"),
]


@pytest.fixture(scope="module")
def results(core_validator) -> list[CaseResult]:  # type: ignore[no-untyped-def]
    return run_suite(core_validator.context)


def test_agreement_with_the_java_validator(results: list[CaseResult]) -> None:
    print("\nHL7 validator peer suite (agreement with the Java reference validator)")
    print(score_table(results))
    floors = DEVIATIONS["floors"]
    assert sum(r.verdict_agrees for r in results) >= floors["verdict"]
    assert sum(r.count_agrees for r in results) >= floors["count"]
    assert sum(r.locations_agree for r in results) >= floors["locations"]


def test_every_disagreement_is_a_known_deviation(results: list[CaseResult]) -> None:
    known = DEVIATIONS["cases"]
    unexplained = [r.name for r in results if not r.locations_agree and r.name not in known]
    assert not unexplained, f"cases that no longer agree with Java: {unexplained}"
    crashed = [f"{r.name}: {r.crashed}" for r in results if r.crashed]
    assert not crashed


def test_known_deviations_are_still_deviations(results: list[CaseResult]) -> None:
    by_name = {r.name: r for r in results}
    now_agreeing = [n for n in DEVIATIONS["cases"] if n in by_name and by_name[n].locations_agree]
    assert not now_agreeing, f"these now agree: remove them from the list: {now_agreeing}"


def test_a_case_file_is_read_as_fhircare_validate_reads_it(core_validator, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # HL7's recorded outcomes refuse JSON that is not JSON (a comment, a missing comma) and
    # accept a UTF-8 byte order mark: so does fhircare validate, and the harness must score
    # what it says, not crash on the file (a crash counts as a disagreement).
    import tests.conformance.hl7_suite as suite

    monkeypatch.setattr(suite, "SUITE", tmp_path)
    (tmp_path / "outcomes").mkdir()
    (tmp_path / "outcomes" / "bad.json").write_text(
        '{"resourceType": "OperationOutcome", "issue": [{"severity": "error", "expression": ["Patient"]}]}'
    )
    (tmp_path / "outcomes" / "good.json").write_text('{"resourceType": "OperationOutcome"}')
    (tmp_path / "comment.json").write_text('// a comment\n{"resourceType": "Patient"}')
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"resourceType": "Patient"}')
    malformed = suite.run_case({"name": "c", "file": "comment.json", "java": "bad.json"}, core_validator.context)
    with_bom = suite.run_case({"name": "b", "file": "bom.json", "java": "good.json"}, core_validator.context)
    assert malformed.crashed is None and malformed.verdict_agrees
    assert "malformed JSON" in malformed.checks[0].actual_texts[0]
    assert with_bom.crashed is None and with_bom.locations_agree
