"""Every issue the validator reports on a large corpus, written out for a before/after diff.

A speed change must not change what the validator says. Run this once on the code before
the change and once after (each with its own ``src`` on PYTHONPATH) and compare the files:

    PYTHONPATH=../before/src:. python bench/validate/same_issues.py /tmp/before.jsonl
    PYTHONPATH=src:. python bench/validate/same_issues.py /tmp/after.jsonl
    cmp /tmp/before.jsonl /tmp/after.jsonl

The corpus: the oracle's base corpus (fhircare's examples and invalid variants, mapped
bundles, UK Core examples; see tests/conformance/oracle/compare.py), the bench corpus with
its profiles, seeded mutants of both (tests/conformance/oracle/mutations.py), and every
resource of a type the bench profiles cover again with that profile. Each line is one
case: its part, its name and its issues in order (severity, code, expression, text, rule).
A case where the validator raises is written as a CRASH line, so crashes are compared too.
"""

from __future__ import annotations

import copy
import hashlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.validate.run import load_corpus, profile_canonicals
from fhircare.validation.api import Validator
from tests.conformance.oracle.compare import Case, base_corpus, igs
from tests.conformance.oracle.mutations import mutants

MUTANTS = 15000
BENCH_MUTANTS = 3000


def corpus() -> list[Case]:
    with tempfile.TemporaryDirectory() as workdir:
        cases = base_corpus(Path(workdir))
    canonicals = profile_canonicals()
    bench = [
        Case("bench", f"{r['resourceType']}{i}", r, (canonicals[r["resourceType"]],))
        for i, r in enumerate(load_corpus())
    ]
    sources: list[tuple[str, dict[str, Any]]] = []
    for case in cases + bench:
        sources.append((case.name, case.resource))
        if case.part == "bundles":
            for entry in case.resource.get("entry", ())[:8]:
                r = entry.get("resource")
                if isinstance(r, dict):
                    sources.append((f"{case.name}-{r.get('resourceType')}", r))
    mutated = [Case("mutated", m.name, m.resource) for m in mutants(sources, MUTANTS, 20261205)]
    bench_sources = [(c.name, c.resource) for c in bench]
    bench_mutated = [
        Case("bmut", m.name, m.resource, (canonicals[m.resource["resourceType"]],))
        for m in mutants(bench_sources, BENCH_MUTANTS, 7)
    ]
    with_profile = [
        Case("withprof", c.name, c.resource, (canonicals[c.resource["resourceType"]],))
        for c in cases + mutated
        if c.resource.get("resourceType") in canonicals
    ]
    return cases + bench + mutated + bench_mutated + with_profile


def main() -> int:
    out = Path(sys.argv[1])
    started = time.perf_counter()
    validator = Validator.create(igs=[*igs(), Path("bench/validate/profiles")])
    cases = corpus()
    digest, issues, crashes, lines = hashlib.sha256(), 0, 0, []
    for case in cases:
        try:
            result = validator.validate(copy.deepcopy(case.resource), list(case.profiles))
            found = [[i.severity, i.code, i.expression, i.text, i.rule] for i in result.issues]
        except Exception as exc:  # compared like any other answer
            found = [["CRASH", type(exc).__name__, str(exc)]]
            crashes += 1
        issues += len(found)
        line = orjson.dumps([case.part, case.name, found])
        digest.update(line)
        lines.append(line)
    out.write_bytes(b"\n".join(lines))
    print(
        f"{len(cases)} cases, {issues} issues, {crashes} crashes, sha256 {digest.hexdigest()[:16]}, "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
