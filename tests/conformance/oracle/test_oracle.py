"""fhircare against the HL7 reference validator itself (see compare.py for the corpus).

Fails when, on the parts that must agree completely (profiles/ examples, their invalid
variants, mapped bundles), a resource's verdict differs and is not listed with its reason
in deviations.json; or when verdict agreement on the mutated corpus or the UK Core
examples falls below the floors there (floors only ever rise). Skips, saying why, when
there is no Java (CI builds the oracle in .ci/run).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.oracle.compare import Outcome, explained, run_all, score, table
from tests.conformance.oracle.java import missing_tools

DEVIATIONS = json.loads((Path(__file__).parent / "deviations.json").read_text())
#: the parts where every disagreement must be a listed deviation
COMPLETE = ("examples", "variants", "bundles")

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(missing_tools() is not None, reason=f"HL7 validator oracle: {missing_tools()}"),
]


@pytest.fixture(scope="module")
def outcomes() -> Iterator[list[Outcome]]:
    with tempfile.TemporaryDirectory(prefix="fhircare-oracle-") as tmp:
        workdir = Path(tmp)
        yield run_all(workdir)


def test_the_corpus_is_large_enough(outcomes: list[Outcome]) -> None:
    scores = score(outcomes)
    print("\nfhircare against the HL7 validator (verdict and error-location agreement)")
    print(table(scores))
    assert scores["mutated"][0] >= 2000
    assert {"examples", "variants", "bundles"} <= set(scores)


def test_examples_variants_and_bundles_agree(outcomes: list[Outcome]) -> None:
    listed = DEVIATIONS["cases"]
    unexplained = [
        f"{o.case.part}/{o.case.name}: java {o.java_texts[:2]} ours {o.ours_texts[:2]}"
        for o in outcomes
        if o.case.part in COMPLETE
        and o.java_crash is None
        and not o.verdict_agrees
        and f"{o.case.part}/{o.case.name}" not in listed
    ]
    assert not unexplained, "\n".join(unexplained)


def test_listed_deviations_still_deviate(outcomes: list[Outcome]) -> None:
    by_name = {f"{o.case.part}/{o.case.name}": o for o in outcomes}
    stale = [name for name in DEVIATIONS["cases"] if name in by_name and by_name[name].verdict_agrees]
    assert not stale, f"these now agree: remove them from deviations.json: {stale}"


@pytest.mark.parametrize("part", ["mutated", "ukcore"])
def test_agreement_stays_above_the_floor(outcomes: list[Outcome], part: str) -> None:
    scores = score(outcomes)
    if part not in scores:
        pytest.skip(f"no {part} resources here")
    n, verdict, _ = scores[part]
    assert verdict / n >= DEVIATIONS["floors"][part]


@pytest.mark.parametrize("part", ["mutated", "ukcore"])
def test_disagreements_are_explained(outcomes: list[Outcome], part: str) -> None:
    compared = [o for o in outcomes if o.case.part == part and o.java_crash is None]
    if not compared:
        pytest.skip(f"no {part} resources here")
    ok = sum(explained(o, DEVIATIONS["classes"]) for o in compared)
    print(f"\n{part}: {ok} of {len(compared)} agree or differ only by a documented class ({ok / len(compared):.1%})")
    assert ok / len(compared) >= DEVIATIONS["floors"][f"{part}_explained"]


def test_fhircare_warns_only_where_the_hl7_validator_does(outcomes: list[Outcome]) -> None:
    """On the examples, variants, mapped bundles and UK Core examples, each warning fhircare
    gives is at a place where the HL7 validator also warns or finds an error, or is of a
    documented class: a warning from fhircare is one the reference validator would give, not
    noise that drowns the warnings that matter. (The reverse is printed: most of the HL7
    validator's own are about its offline set-up, 'without terminology services'.)"""
    classes = [re.compile(c["pattern"]) for c in DEVIATIONS["warning_classes"]]
    extra, theirs = [], 0
    for o in outcomes:
        if o.case.part not in (*COMPLETE, "ukcore") or o.java_crash is not None:
            continue
        places = set(o.java_warnings) | set(o.java_errors)
        ours_places = {loc for loc, _ in o.ours_warnings} | set(o.ours_errors)
        theirs += sum(loc not in ours_places for loc in o.java_warnings)
        extra += [
            f"{o.case.part}/{o.case.name}: {loc}: {text}"
            for loc, text in o.ours_warnings
            if loc not in places and not any(p.search(text) for p in classes)
        ]
    print(f"\nwarnings only fhircare gives: {len(extra)}; places only the HL7 validator warns of: {theirs}")
    assert not extra, "\n".join(extra)
