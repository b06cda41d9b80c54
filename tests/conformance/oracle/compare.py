"""fhircare beside the HL7 validator, resource by resource, scored per part of the corpus.

The corpus (each part scored on its own):

* ``examples``: every example in profiles/package (and the DIALOG Questionnaire);
* ``variants``: the invalid variants of tests/profiles/test_invalid_variants.py;
* ``bundles``: transaction Bundles ``fhircare map`` writes from synthetic extracts in both
  shipped layouts;
* ``ukcore``: the UK Core examples in ../shared/ukcore/examples;
* ``mutated``: resources mutated from all of the above by the seeded generator in
  ``mutations.py``.

Both validators load the same definitions: R4 core, fhircare's package and UK Core. A
resource *agrees in verdict* when both find an error (or fatal issue) or neither does, and
*agrees in location* when the sets of error locations are the same (FHIRPath comments such
as ``/*Patient/p1*/`` dropped). Run ``python tests/conformance/oracle/compare.py`` for
the table and every disagreement.
"""

from __future__ import annotations

import copy
import os
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fhircare.settings import Settings
from fhircare.validation.api import Validator
from tests.conformance.oracle.java import JavaIssue, JavaOracle
from tests.conformance.oracle.mutations import mutants

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "profiles" / "package"
UKCORE = REPO.parent / "shared" / "ukcore"
MUTANTS = int(os.environ.get("ORACLE_MUTANTS", "2100"))
SEED = int(os.environ.get("ORACLE_SEED", "20261204"))  # another seed: does agreement hold on new mutants?
BUNDLE_PATIENTS = 6
_COMMENT = re.compile(r"/\*.*?\*/")


@dataclass
class Case:
    part: str
    name: str
    resource: dict[str, Any]
    profiles: tuple[str, ...] = ()


@dataclass
class Outcome:
    case: Case
    java_errors: list[str]
    ours_errors: list[str]
    java_texts: list[str] = field(default_factory=list)
    ours_texts: list[str] = field(default_factory=list)
    #: the HL7 validator threw instead of answering: no verdict to compare with
    java_crash: str | None = None
    #: where each validator warns: the HL7 validator's locations, fhircare's (location, text)
    java_warnings: list[str] = field(default_factory=list)
    ours_warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def verdict_agrees(self) -> bool:
        return bool(self.java_errors) == bool(self.ours_errors)

    @property
    def locations_agree(self) -> bool:
        return set(self.java_errors) == set(self.ours_errors)


def igs() -> list[Path]:
    found = [PACKAGE]
    if (UKCORE / "package").is_dir():
        found.append(UKCORE / "package")
    return found


def _examples() -> list[Case]:
    files = sorted(p for p in (PACKAGE / "example").glob("*.json") if not p.name.startswith("."))
    files.append(PACKAGE / "Questionnaire-dialog.json")
    return [Case("examples", p.stem, orjson.loads(p.read_bytes())) for p in files]


def _variants() -> list[Case]:
    from tests.profiles.conftest import example
    from tests.profiles.test_invalid_variants import VARIANTS

    cases = []
    for variant in VARIANTS:
        resource = copy.deepcopy(example(variant.example))
        variant.mutate(resource)
        cases.append(Case("variants", f"{variant.example}: {variant.breaks}", resource))
    return cases


def _bundles(workdir: Path) -> list[Case]:
    from typer.testing import CliRunner

    from fhircare.cli import app
    from fhircare.source.mapping_file import load_mapping
    from fhircare.synth import synthesise

    cases = []
    for layout in ("rio-like", "systmone-like"):
        extract, out = workdir / f"extract-{layout}", workdir / f"out-{layout}"
        synthesise(load_mapping(REPO / "mappings" / f"{layout}.yaml"), extract, patients=BUNDLE_PATIENTS, seed=7)
        args = ["map", "--extract", str(extract), "--mapping", str(REPO / "mappings" / f"{layout}.yaml")]
        result = CliRunner().invoke(app, [*args, "--out", str(out), "--as-of", "2025-07-01", "--no-validate"])
        if result.exit_code not in (0, 1):
            raise RuntimeError(f"fhircare map failed for {layout}: {result.output}")
        for n, line in enumerate((out / "bundles.ndjson").read_bytes().splitlines(), start=1):
            cases.append(Case("bundles", f"{layout}-{n}", orjson.loads(line)))
    return cases


def _ukcore() -> list[Case]:
    folder = UKCORE / "examples"
    if not folder.is_dir():
        return []
    return [Case("ukcore", p.stem, orjson.loads(p.read_bytes())) for p in sorted(folder.glob("*.json"))]


def _mutated(bases: list[Case], count: int) -> list[Case]:
    corpus: list[tuple[str, dict[str, Any]]] = []
    for case in bases:
        corpus.append((case.name, case.resource))
        if case.part == "bundles":
            # single entries too: mutations of a whole bundle mostly hit the same few places
            for entry in case.resource.get("entry", ())[:8]:
                r = entry.get("resource")
                if isinstance(r, dict):
                    corpus.append((f"{case.name}-{r.get('resourceType')}", r))
    return [Case("mutated", m.name, m.resource) for m in mutants(corpus, count, SEED)]


def base_corpus(workdir: Path) -> list[Case]:
    return _examples() + _variants() + _bundles(workdir) + _ukcore()


def _java_errors(issues: list[JavaIssue]) -> tuple[list[str], list[str]]:
    errors = [i for i in issues if i.is_error]
    return [_COMMENT.sub("", i.location) for i in errors], [f"{i.location}: {i.message}" for i in errors]


def _compare(cases: list[Case], workdir: Path, validator: Validator, java: JavaOracle) -> list[Outcome]:
    outcomes = []
    for n, case in enumerate(cases):
        path = workdir / f"case-{n}.json"
        path.write_bytes(orjson.dumps(case.resource))
        answer = java.validate(path, case.profiles)
        result = validator.validate(case.resource, list(case.profiles))
        ours = result.errors
        java_locs, java_texts = _java_errors(answer) if not isinstance(answer, str) else ([], [])
        java_warnings = (
            [] if isinstance(answer, str) else [_COMMENT.sub("", i.location) for i in answer if i.severity == "warning"]
        )
        outcomes.append(
            Outcome(
                case,
                java_locs,
                [_COMMENT.sub("", i.expression) for i in ours],
                java_texts,
                [f"{i.expression}: {i.text}" for i in ours],
                answer if isinstance(answer, str) else None,
                java_warnings,
                [(_COMMENT.sub("", i.expression), i.text) for i in result.issues if i.severity == "warning"],
            )
        )
    return outcomes


def run_all(workdir: Path, mutant_count: int = MUTANTS) -> list[Outcome]:
    """The base corpus, then mutants of the resources in it that both validators call valid
    (the "valid corpus": a resource one of them already rejects says nothing new mutated)."""
    validator = Validator.create(igs=igs())
    with JavaOracle(igs(), Settings().package_cache.expanduser()) as java:
        outcomes = _compare(base_corpus(workdir), workdir, validator, java)
        valid = [o.case for o in outcomes if o.java_crash is None and not o.java_errors and not o.ours_errors]
        mutated = _mutated([c for c in valid if c.part != "variants"], mutant_count)
        outcomes += _compare(mutated, workdir, validator, java)
    return outcomes


def score(outcomes: list[Outcome]) -> dict[str, tuple[int, int, int]]:
    """part → (resources compared, verdicts agreeing, locations agreeing); resources the
    HL7 validator threw on are not compared (see ``crashes``)."""
    parts: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.java_crash is None:
            parts[o.case.part].append(o)
    return {
        part: (len(os), sum(o.verdict_agrees for o in os), sum(o.locations_agree for o in os))
        for part, os in sorted(parts.items())
    }


def explained(outcome: Outcome, classes: list[dict[str, str]]) -> bool:
    """A verdict disagreement every one-sided error of which is a documented deviation class."""
    if outcome.verdict_agrees:
        return True
    side = "ours" if outcome.ours_errors else "java"
    texts = outcome.ours_texts if side == "ours" else outcome.java_texts
    causes = [re.compile(c["pattern"]) for c in classes if c["side"] == side and not c.get("consequence")]
    # a consequence class explains an error only beside one a cause class explains (a
    # Bundle entry that fails its profile for a documented reason fails the target profile
    # of every reference to it as well)
    consequences = [re.compile(c["pattern"]) for c in classes if c["side"] == side and c.get("consequence")]
    caused = [t for t in texts if any(p.search(t) for p in causes)]
    return bool(caused) and all(t in caused or any(p.search(t) for p in consequences) for t in texts)


def table(scores: dict[str, tuple[int, int, int]]) -> str:
    lines = [f"{'part':<10} {'resources':>9} {'verdict':>8} {'%':>7} {'locations':>10} {'%':>7}"]
    for part, (n, verdict, locations) in scores.items():
        lines.append(
            f"{part:<10} {n:>9} {verdict:>8} {100 * verdict / n:>6.1f}% {locations:>10} {100 * locations / n:>6.1f}%"
        )
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fhircare-oracle-") as tmp:
        workdir = Path(tmp)
        outcomes = run_all(workdir)
    verbose = "-v" in sys.argv
    keep = Path(os.environ["ORACLE_KEEP"]) if os.environ.get("ORACLE_KEEP") else None
    for o in outcomes:
        if keep is not None and not o.verdict_agrees:
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"{o.case.part}-{o.case.name}.json").write_bytes(orjson.dumps(o.case.resource))
        if o.java_crash is not None:
            print(f"[JAVA-CRASH] {o.case.part}/{o.case.name}: {o.java_crash[:200]}")
            continue
        if not o.verdict_agrees or (verbose and not o.locations_agree):
            flag = "VERDICT" if not o.verdict_agrees else "LOC"
            print(f"[{flag}] {o.case.part}/{o.case.name}")
            for t in o.java_texts:
                print(f"    java: {t[:220]}")
            for t in o.ours_texts:
                print(f"    ours: {t[:220]}")
    print(table(score(outcomes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
