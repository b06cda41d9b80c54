"""Validator benchmark: fhircare validate vs a bare fhir.resources parse of the same corpus.

Run from anywhere (paths are resolved from this file):

    python bench/validate/run.py [--rounds N] [--size N] [--baseline-only] [--skip-cold]
                                 [--hl7] [--ndjson 10M,1G]

``--hl7`` adds the HL7 validator's warm in-process throughput on the same corpus (the oracle
of tests/conformance/oracle, built with Maven; needs Java). ``--ndjson`` adds the peak memory
of `fhircare validate` on NDJSON files of the sizes given (streamed: the peak should not grow
with the file).

Throughput figures are medians over N timed rounds after one untimed warm-up round, over
the corpus in ``corpus/`` replicated (with distinct ids and narratives) to about ``--size``
resources. The figures are timed interleaved: each round times the bare parse and each
fhircare figure back to back (in an order that turns round by round), and a ratio is the
median of the per-round ratios, so a noisy spell on a shared machine falls on both sides of a
ratio instead of on one figure.
See ``bench/README.md`` for what each figure means and the targets.
"""

from __future__ import annotations

import argparse
import copy
import gc
import itertools
import json
import math
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # bench.validate.hl7 / .memory, tests.conformance.oracle
HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"
PROFILES_DIR = HERE / "profiles"
# UK Core definitions beside the project (../shared/ukcore/package): the corpus carries UK Core
# extensions (NHS number verification status, ...), which are unknown, and so errors, without them.
UKCORE_DIR = ROOT.parent / "shared" / "ukcore" / "package"
COLD_FILE = "bench/validate/corpus/patient.json"  # relative to ROOT, as a user would type it
BARE_IMPORT = "import fhir.resources.R4B.patient"

THROUGHPUT_TARGET = 3.0  # fhircare base R4 throughput / bare parse throughput, at least (issue 12)
PROFILE_TARGET = 2.5  # the same with a profile
COLD_TARGET_S = 1.0  # `fhircare validate one.json`, at most, core package cached (issue 12)

Resource = dict[str, Any]


@dataclass
class Throughput:
    label: str
    count: int
    median_s: float
    #: each timed round's seconds, in round order (paired with the other figures' rounds)
    round_s: list[float]

    @property
    def per_second(self) -> float:
        return self.count / self.median_s

    @property
    def us_per_resource(self) -> float:
        return self.median_s / self.count * 1e6


@dataclass
class ColdStart:
    label: str
    runs: int
    median_s: float


def load_corpus() -> list[Resource]:
    files = sorted(CORPUS_DIR.glob("*.json"))
    if not files:
        sys.exit(f"no corpus in {CORPUS_DIR}")
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def replicate(corpus: list[Resource], size: int) -> list[Resource]:
    """Copies of the corpus up to about ``size`` resources, each copy with its own id and its
    own narrative (in real data every narrative differs: it names the person), so a validator
    cannot answer repeats from a cache keyed on content."""
    copies = max(1, math.ceil(size / len(corpus)))
    out: list[Resource] = []
    for n in range(copies):
        for res in corpus:
            dup = copy.deepcopy(res)
            dup["id"] = f"{res['id']}-r{n}"
            _add_to_narrative(dup, f"Copy {n}.")
            out.append(dup)
    return out


_ROUND_NUMBERS = itertools.count()  # across all figures: no round sees another's narrative


def fresh_narratives(batch: list[Resource], round_number: int) -> None:
    """Give each narrative of ``batch`` text no earlier round has seen (of any figure), so a
    cache keyed on the narrative cannot answer from it either."""
    for res in batch:
        _add_to_narrative(res, f"Round {round_number}.")


def _add_to_narrative(res: Resource, sentence: str) -> None:
    text = res.get("text")
    if isinstance(text, dict) and isinstance(text.get("div"), str) and text["div"].endswith("</div>"):
        text["div"] = f"{text['div'][: -len('</div>')]}<p>{sentence}</p></div>"


def profile_canonicals() -> dict[str, str]:
    """resourceType -> canonical URL of the bench profile for it, read from profiles/."""
    out: dict[str, str] = {}
    for f in sorted(PROFILES_DIR.glob("*.json")):
        sd = json.loads(f.read_text(encoding="utf-8"))
        if sd.get("resourceType") == "StructureDefinition" and sd.get("kind") == "resource":
            out[sd["type"]] = sd["url"]
    return out


@dataclass
class Measure:
    """One throughput figure to time: ``fn`` applied to every resource of ``batch``."""

    label: str
    batch: list[Resource]
    fn: Callable[[Resource], object]


def time_interleaved(measures: list[Measure], rounds: int) -> list[Throughput]:
    """One untimed warm-up round, then ``rounds`` timed rounds; each round times every measure
    once, back to back, starting with a different one each round (no measure always runs just
    after a garbage collection of another's leftovers). Timed this way, a slow spell of a
    shared machine lands on the figures of one round alike, and the per-round ratios
    (``paired_ratio``) cancel it; timed one figure after another, it lands on one figure only.

    Each timing gets a fresh deep copy of its batch (made outside the timed region), so a
    validator that annotates or mutates its input cannot speed up later rounds."""
    times: list[list[float]] = [[] for _ in measures]
    for r in range(rounds + 1):
        for k in range(len(measures)):
            i = (r + k) % len(measures)
            work = copy.deepcopy(measures[i].batch)
            fresh_narratives(work, next(_ROUND_NUMBERS))
            gc.collect()
            fn = measures[i].fn
            t0 = time.perf_counter()
            for res in work:
                fn(res)
            elapsed = time.perf_counter() - t0
            if r > 0:
                times[i].append(elapsed)
    return [Throughput(m.label, len(m.batch), statistics.median(t), t) for m, t in zip(measures, times, strict=True)]


def paired_ratio(row: Throughput, base: Throughput) -> float:
    """How many times the throughput of ``base`` ``row`` has: the median of the per-round
    ratios (rounds are paired: timed back to back)."""
    return statistics.median(_round_ratios(row, base))


def _round_ratios(row: Throughput, base: Throughput) -> list[float]:
    return [(b / base.count) / (t / row.count) for t, b in zip(row.round_s, base.round_s, strict=True)]


def baseline_measure(batch: list[Resource]) -> Measure:
    from fhir.resources.R4B import get_fhir_model_class

    classes = {t: get_fhir_model_class(t) for t in {r["resourceType"] for r in batch}}

    def parse(res: Resource) -> object:
        return classes[res["resourceType"]].model_validate(res)

    return Measure("(a) fhir.resources R4B model_validate", batch, parse)


def fhircare_measures(batch: list[Resource]) -> tuple[list[Measure], list[str]]:
    from fhircare.validation import Validator

    notes: list[str] = []
    igs = [PROFILES_DIR]
    loaded = "core package + bench profiles"
    if UKCORE_DIR.is_dir():
        igs.append(UKCORE_DIR)
        loaded += " + UK Core (../shared/ukcore/package)"
    else:
        notes.append(f"{UKCORE_DIR} not found: UK Core extensions in the corpus will be errors")
    t0 = time.perf_counter()
    validator = Validator.create(igs=igs)
    notes.append(f"Validator.create ({loaded}): {time.perf_counter() - t0:.2f} s, once")

    canonicals = profile_canonicals()
    profiled = [r for r in batch if r["resourceType"] in canonicals]

    # Sanity pass (untimed): the corpus is meant to be valid, so errors here mean either a
    # corpus problem or a validator problem, and the timings below are suspect.
    base_errors = sum(validator.validate(copy.deepcopy(r)).error_count for r in batch)
    prof_errors = sum(
        validator.validate(copy.deepcopy(r), profiles=[canonicals[r["resourceType"]]]).error_count for r in profiled
    )
    notes.append(f"errors reported: base R4 {base_errors}, with profiles {prof_errors} (expected 0 and 0)")

    def validate_base(res: Resource) -> object:
        return validator.validate(res)

    def validate_profiled(res: Resource) -> object:
        return validator.validate(res, profiles=[canonicals[res["resourceType"]]])

    measures = [Measure("(b) fhircare validate, base R4", batch, validate_base)]
    if profiled:
        measures.append(Measure("(c) fhircare validate, base + profile", profiled, validate_profiled))
    return measures, notes


def fhircare_command() -> list[str]:
    """The `fhircare` script (the venv's, then PATH's), else `python -m fhircare.cli`."""
    beside = Path(sys.executable).with_name("fhircare")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("fhircare")
    if found:
        return [found]
    return [sys.executable, "-m", "fhircare.cli"]


def cold_start(label: str, argv: list[str], runs: int) -> tuple[ColdStart, int]:
    """Median wall time of ``runs`` fresh processes, after one untimed run (warms the OS file
    cache, as on a developer's machine). Returns the last exit code too."""
    times: list[float] = []
    code = 0
    for r in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
        elapsed = time.perf_counter() - t0
        code = proc.returncode
        if r > 0:
            times.append(elapsed)
    return ColdStart(label, runs, statistics.median(times)), code


def print_report(rows: list[Throughput], colds: list[ColdStart], notes: list[str], size: int, rounds: int) -> None:
    print()
    print(
        f"Validator benchmark: {size} resources per round, median of {rounds} rounds (+1 warm-up),"
        " the figures timed interleaved"
    )
    print()
    base = rows[0]
    w = max(len(r.label) for r in rows)
    head = f"{'resources':>9}  {'µs/resource':>11}  {'resources/s':>11}  {'vs (a)':>7}"
    print(f"{'throughput'.ljust(w)}  {head}")
    for r in rows:
        times = f"{paired_ratio(r, base):>6.2f}×"
        print(f"{r.label.ljust(w)}  {r.count:>9}  {r.us_per_resource:>11.1f}  {r.per_second:>11.0f}  {times}")
    print(
        f"{''.ljust(w)}  ratio = throughput / (a), the median of the per-round ratios; > 1 means faster than"
        f" the bare parse (targets ≥ {THROUGHPUT_TARGET}× base, ≥ {PROFILE_TARGET}× with a profile)"
    )
    if len(rows) > 1:
        spread = ", ".join(
            f"{r.label[:3]} {min(_round_ratios(r, base)):.2f}–{max(_round_ratios(r, base)):.2f}×" for r in rows[1:]
        )
        print(f"{''.ljust(w)}  per-round ratios ranged: {spread}")
    if colds:
        print()
        cw = max(len(c.label) for c in colds)
        print(f"{'cold start'.ljust(cw)}  {'runs':>4}  {'median s':>8}  {'vs bare':>8}")
        for c in colds:
            ratio = c.median_s / colds[0].median_s
            print(f"{c.label.ljust(cw)}  {c.runs:>4}  {c.median_s:>8.3f}  {ratio:>7.2f}×")
        print(
            f"{''.ljust(cw)}  ratio = wall time / bare import; > 1 means slower (target: fhircare < {COLD_TARGET_S} s)"
        )
    if notes:
        print()
        for n in notes:
            print(f"- {n}")
    if len(rows) > 1 or len(colds) > 1:
        print()
        verdicts = []
        for i, r in enumerate(rows[1:]):
            times = paired_ratio(r, base)
            target = THROUGHPUT_TARGET if i == 0 else PROFILE_TARGET
            ok = "met" if times >= target else "NOT met"
            verdicts.append(f"{r.label}: {times:.2f}× vs target {target}× ({ok})")
        for c in colds[1:]:
            ok = "met" if c.median_s < COLD_TARGET_S else "NOT met"
            verdicts.append(f"{c.label}: {c.median_s:.2f} s vs target < {COLD_TARGET_S} s ({ok})")
        print("targets:")
        for v in verdicts:
            print(f"  {v}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds per measure (default 7)")
    ap.add_argument("--size", type=int, default=500, help="resources per round, about (default 500)")
    ap.add_argument("--cold-runs", type=int, default=5, help="processes per cold-start measure (default 5)")
    ap.add_argument(
        "--baseline-only",
        action="store_true",
        help="measure only the bare fhir.resources figures (no fhircare needed)",
    )
    ap.add_argument("--skip-cold", action="store_true", help="skip the cold-start measures")
    ap.add_argument("--hl7", action="store_true", help="also time the HL7 validator, warm, in process")
    ap.add_argument("--ndjson", default="", help="NDJSON sizes for the peak-memory measure, e.g. 10M,1G")
    args = ap.parse_args()
    if args.rounds < 1 or args.size < 1 or args.cold_runs < 1:
        ap.error("--rounds, --size and --cold-runs must be at least 1")

    if not args.baseline_only:
        try:
            from fhircare.validation import Validator  # noqa: F401
        except ImportError as exc:
            print(
                f"fhircare.validation.Validator is not importable ({exc}); run with --baseline-only until it exists",
                file=sys.stderr,
            )
            return 2

    corpus = load_corpus()
    batch = replicate(corpus, args.size)
    print(
        f"corpus: {len(corpus)} files in {CORPUS_DIR.relative_to(ROOT)}, replicated to {len(batch)} resources",
        flush=True,
    )

    measures = [baseline_measure(batch)]
    notes: list[str] = []
    if not args.baseline_only:
        more_measures, more = fhircare_measures(batch)
        measures += more_measures
        notes += more
    rows = time_interleaved(measures, args.rounds)

    colds: list[ColdStart] = []
    if not args.skip_cold:
        bare, _ = cold_start(f'python -c "{BARE_IMPORT}"', [sys.executable, "-c", BARE_IMPORT], args.cold_runs)
        colds.append(bare)
        if not args.baseline_only:
            cmd = fhircare_command()
            shown = "fhircare" if len(cmd) == 1 else "python -m fhircare.cli"
            # the Patient carries UK Core's NHS-number extension: name the UK Core package
            # so the file is valid, as a trust's developer would
            extra = ["--ig", str(UKCORE_DIR)] if UKCORE_DIR.is_dir() else []
            shown_args = " ".join(["validate", *(["--ig ../shared/ukcore/package"] if extra else []), COLD_FILE])
            fc, code = cold_start(f"{shown} {shown_args}", [*cmd, "validate", *extra, COLD_FILE], args.cold_runs)
            colds.append(fc)
            if code != 0:
                notes.append(f"`{shown} {shown_args}` exited {code} (expected 0 for a valid file)")
            pure = "bench/validate/corpus/goal-1.json"
            fc2, code2 = cold_start(f"{shown} validate {pure}", [*cmd, "validate", pure], args.cold_runs)
            colds.append(fc2)
            if code2 != 0:
                notes.append(f"`{shown} validate {pure}` exited {code2} (expected 0 for a valid file)")

    if args.hl7:
        notes += hl7_notes(batch, rows, args.rounds)
    for size in [s for s in args.ndjson.split(",") if s]:
        notes.append(ndjson_note(corpus, size))

    print_report(rows, colds, notes, len(batch), args.rounds)
    return 0


def hl7_notes(batch: list[Resource], rows: list[Throughput], rounds: int) -> list[str]:
    from bench.validate.hl7 import hl7_throughput

    igs = [PROFILES_DIR, *([UKCORE_DIR] if UKCORE_DIR.is_dir() else [])]
    found = hl7_throughput(batch, profile_canonicals(), igs, rounds)
    if isinstance(found, str):
        return [f"HL7 validator not timed: {found}"]
    base_us, prof_us = found
    bare = rows[0].us_per_resource
    notes = [
        f"(d) HL7 validator (org.hl7.fhir.validation, warm, in process), base R4: {base_us:.0f} µs/resource,"
        f" {bare / base_us:.2f}× the bare parse; fhircare is {base_us / rows[1].us_per_resource:.1f}× as fast"
    ]
    if prof_us is not None and len(rows) > 2:
        notes.append(
            f"(e) HL7 validator, base + profile: {prof_us:.0f} µs/resource, {bare / prof_us:.2f}× the bare parse;"
            f" fhircare is {prof_us / rows[2].us_per_resource:.1f}× as fast"
        )
    return notes


def ndjson_note(corpus: list[Resource], size_text: str) -> str:
    from bench.validate.memory import ndjson_peak

    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    size = int(float(size_text[:-1]) * scale[size_text[-1].upper()]) if size_text[-1].isalpha() else int(size_text)
    env = {"FHIRCARE_PACKAGE_REGISTRY_URL": ""}
    written, count, peak, seconds, code = ndjson_peak(corpus, size, fhircare_command(), env)
    return (
        f"NDJSON {written / (1 << 20):,.0f} MB ({count:,} resources): `fhircare validate --quiet` peak RSS"
        f" {peak:,.0f} MB, {seconds:,.0f} s, exit {code}"
    )


if __name__ == "__main__":
    sys.exit(main())
