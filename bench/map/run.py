"""Mapping benchmark: map and validate a synthetic extract, against a bare fhir.resources
parse of the same output, in the same run; and peak memory for a small and a large extract.

    python bench/map/run.py [--patients 10000] [--batch 250] [--memory 1000,10000] [--skip-memory]

Throughput: the extract is read one service user at a time (as ``fhircare map`` reads it);
every ``--batch`` service users, the batch is checked, mapped and validated against
fhircare's profiles (timed), then the bundles it gave are parsed with fhir.resources R4B
``Bundle.model_validate`` (timed: the baseline). Figures are medians over the batches, so a
noisy moment moves one batch, not the result. Memory: ``fhircare map`` run in a fresh
process on each extract size, peak RSS read from the kernel. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from fhir.resources.R4B.bundle import Bundle  # noqa: E402

from fhircare.mapping import MappingContext, check_consistency, map_service_user  # noqa: E402
from fhircare.mapping.run import validation_problems  # noqa: E402
from fhircare.source.mapping_file import load_mapping  # noqa: E402
from fhircare.source.reader import read_extract  # noqa: E402
from fhircare.source.results import Accepted  # noqa: E402
from fhircare.synth import synthesise  # noqa: E402
from fhircare.validation.api import Validator  # noqa: E402

TARGET = 1.0  # map + validate throughput / bare parse throughput, at least
AS_OF = date(2025, 7, 1)
SEED = 1


@dataclass
class Batch:
    service_users: int
    resources: int
    read_s: float
    map_s: float
    validate_s: float
    bare_s: float

    @property
    def ratio(self) -> float:
        return self.bare_s / (self.map_s + self.validate_s)


@dataclass
class Run:
    batches: list[Batch] = field(default_factory=list)
    rejected: int = 0
    invalid: int = 0
    load_s: float = 0.0


def extract_for(workdir: Path, layout: str, patients: int) -> Path:
    """A synthetic extract of that size (made once, kept in the work folder)."""
    folder = workdir / f"{layout}-{patients}-seed{SEED}"
    if not (folder / "synth-manifest.json").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        synthesise(load_mapping(ROOT / "mappings" / f"{layout}.yaml"), folder, patients=patients, seed=SEED)
        print(f"  synthesised {patients} service users in {time.perf_counter() - started:.1f} s: {folder}")
    return folder


def measure(folder: Path, layout: str, batch_size: int, validator: Validator) -> Run:
    mapping = load_mapping(ROOT / "mappings" / f"{layout}.yaml")
    context = MappingContext.from_mapping(mapping, as_of=AS_OF)
    run = Run()
    started = time.perf_counter()
    with read_extract(folder, mapping) as extract:
        run.load_s = time.perf_counter() - started
        results = iter(extract)
        while True:
            t0 = time.perf_counter()
            records = []
            for result in results:
                if isinstance(result, Accepted):
                    records.append(result.record)
                else:
                    run.rejected += 1
                if len(records) == batch_size:
                    break
            read_s = time.perf_counter() - t0
            if not records:
                break
            run.batches.append(_batch(records, read_s, context, validator, run))
            print(f"\r  {sum(b.service_users for b in run.batches)} service users", end="", file=sys.stderr)
    print(file=sys.stderr)
    return run


def _batch(records: list[Any], read_s: float, context: MappingContext, validator: Validator, run: Run) -> Batch:
    t0 = time.perf_counter()
    mapped = [map_service_user(r, context) for r in records if not check_consistency(r, context.as_of)]
    t1 = time.perf_counter()
    for bundle in mapped:
        if validation_problems(bundle, validator):
            run.invalid += 1
    t2 = time.perf_counter()
    for bundle in mapped:
        Bundle.model_validate(bundle.bundle)
    t3 = time.perf_counter()
    resources = sum(len(m.bundle["entry"]) for m in mapped)
    return Batch(len(records), resources, read_s, t1 - t0, t2 - t1, t3 - t2)


def peak_rss_mb(folder: Path, layout: str) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``fhircare map`` on ``folder``, in a fresh process."""
    with tempfile.TemporaryDirectory() as out:
        probe = (
            "import resource, subprocess, sys, time; t = time.perf_counter();"
            f" code = subprocess.run([sys.executable, '-m', 'fhircare', 'map', '--extract', {str(folder)!r},"
            f" '--mapping', {str(ROOT / 'mappings' / f'{layout}.yaml')!r}, '--out', {out!r}, '--as-of', '2025-07-01'],"
            " stdout=subprocess.DEVNULL).returncode;"
            " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t, code)"
        )
        found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
        rss_kb, seconds, code = found.stdout.split()
        if code != "0":
            sys.exit(f"fhircare map exited {code} on {folder}")
        return int(rss_kb) / 1024, float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000, help="service users in the throughput extract")
    parser.add_argument("--batch", type=int, default=250, help="service users per timed batch")
    parser.add_argument("--layout", default="rio-like", choices=("rio-like", "systmone-like"))
    parser.add_argument("--memory", default="1000,10000", help="extract sizes to measure peak RSS on")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "fhircare-bench-map")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    print(f"fhircare map benchmark ({args.layout}, seed {SEED}, as of {AS_OF})")
    folder = extract_for(args.workdir, args.layout, args.patients)
    started = time.perf_counter()
    validator = Validator.create()
    print(f"  Validator.create: {time.perf_counter() - started:.2f} s (not in the figures)")
    gc.collect()
    gc.freeze()  # as `fhircare map` does: the collector leaves the long-lived definitions alone
    run = measure(folder, args.layout, args.batch, validator)
    report(run)
    if not args.skip_memory:
        sizes = [int(s) for s in args.memory.split(",") if s]
        print("\nPeak memory of `fhircare map` (fresh process each, validation on):")
        peaks = []
        for size in sizes:
            rss, seconds = peak_rss_mb(extract_for(args.workdir, args.layout, size), args.layout)
            peaks.append(rss)
            print(f"  {size:>7} service users: peak RSS {rss:7.1f} MB, {seconds:6.1f} s wall")
        if len(peaks) > 1:
            growth = peaks[-1] / peaks[0]
            print(f"  {sizes[-1] // sizes[0]}x the service users: {growth:.2f}x the peak memory (bounded by streaming)")


def report(run: Run) -> None:
    batches = run.batches
    users = sum(b.service_users for b in batches)
    resources = sum(b.resources for b in batches)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    per_resource = {
        "read (rows → records)": median([b.read_s / b.resources for b in batches]),
        "check + map": median([b.map_s / b.resources for b in batches]),
        "validate (profiles)": median([b.validate_s / b.resources for b in batches]),
        "map + validate": median([(b.map_s + b.validate_s) / b.resources for b in batches]),
        "baseline: fhir.resources parse": median([b.bare_s / b.resources for b in batches]),
    }
    print(f"\n{users} service users mapped, {resources} resources ({resources / users:.1f} per service user),")
    print(f"{len(batches)} batches; {run.rejected} rejected on reading, {run.invalid} bundles with validation errors")
    print(f"extract loaded into the row store in {run.load_s:.1f} s\n")
    print(f"{'stage (median of batches)':34} {'µs/resource':>12} {'resources/s':>12}")
    for label, seconds in per_resource.items():
        print(f"{label:34} {seconds * 1e6:12.1f} {1 / seconds:12.0f}")
    ratio = median([b.ratio for b in batches])
    end_to_end = median([b.bare_s / (b.read_s + b.map_s + b.validate_s) for b in batches])
    print(f"\nmap + validate vs bare parse: {ratio:.2f}x the throughput (median of batch ratios; target ≥ {TARGET})")
    print(f"read + map + validate vs bare parse: {end_to_end:.2f}x")
    print(f"target {'met' if ratio >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
