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
