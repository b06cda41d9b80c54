"""Issue 14's map-side probes, measured: each hostile input or unlucky condition run
through ``fhircare map`` / ``mapping check`` / ``synth`` in a child process, with its exit
code, first line of stderr, time and peak memory (the child's max RSS, from wait4); then
N kill -9 trials of ``fhircare map`` and a pair of concurrent runs into one folder.

    python bench/map/hostile.py            # every probe, 20 kill -9 trials
    python bench/map/hostile.py --trials 5 --patients 300

The tests in tests/hostile/ assert the same behaviour on fewer trials; this prints the
figures. Exit code 0 when every probe met its expectation, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.hostile.map_probe import NOBODY, PEAK_MB, Run, fhircare, leftovers  # noqa: E402
from tests.hostile.test_map_mapping_files import BOMB  # noqa: E402

MAPPING = REPO / "mappings" / "rio-like.yaml"


def synth(folder: Path, patients: int) -> None:
    run = fhircare("synth", "--layout", "rio-like", "--patients", str(patients), "--seed", "3", str(folder))
    if run.code != 0:
        raise SystemExit(f"synth failed: {run.stderr}")


def map_args(extract: Path, out: Path, *more: str) -> list[str]:
    return ["map", "--extract", str(extract), "--mapping", str(MAPPING), "--out", str(out), "--no-validate", *more]


def probes(work: Path, extract: Path) -> list[tuple[str, int, Run]]:
    """(probe, expected exit code, run)."""
    out: list[tuple[str, int, Run]] = []

    def copy(name: str) -> Path:
        folder = work / name
        shutil.copytree(extract, folder)
        return folder

    (work / "bomb.yaml").write_text(BOMB)
    out.append(("YAML alias bomb (1 KB)", 2, fhircare("mapping", "check", str(work / "bomb.yaml"))))
    out.append(
        (
            "alias bomb, alias budget raised to 1000",
            2,
            fhircare("mapping", "check", str(work / "bomb.yaml"), env={"FHIRCARE_MAPPING_MAX_ALIASES": "1000"}),
        )
    )
    out.append(("mapping file /dev/zero", 2, fhircare("mapping", "check", "/dev/zero")))
    os.mkfifo(work / "pipe.yaml")
    out.append(("mapping file a FIFO", 2, fhircare("mapping", "check", str(work / "pipe.yaml"), timeout=30)))
    text = MAPPING.read_text().replace("\nvalue_maps:\n", "\nconcept_maps:\n  rows: /dev/zero\nvalue_maps:\n", 1)
    (work / "cm.yaml").write_text(text)
    out.append(("concept_maps: /dev/zero", 2, fhircare("mapping", "check", str(work / "cm.yaml"))))
    fifo = copy("fifo")
    team = next(fifo.glob("RiO_CareTeam_*.csv"))
    team.unlink()
    os.mkfifo(team)
    out.append(("FIFO in the extract", 2, fhircare(*map_args(fifo, work / "o-fifo"), timeout=60)))
    huge = copy("huge")
    with next(huge.glob("RiO_CarePlan_Interventions_*.csv")).open("ab") as handle:
        for _ in range(256):
            handle.write(b"x" * 2**20)
    out.append(("256 MB line, no line end", 2, fhircare(*map_args(huge, work / "o-huge"), timeout=300)))
    quote = copy("quote")
    clients = next(quote.glob("RiO_Clients_*.csv"))
    lines = clients.read_bytes().split(b"\r\n")
    cells = lines[5].split(b",")
    cells[3] = b'"' + cells[3]
    lines[5] = b",".join(cells)
    clients.write_bytes(b"\r\n".join(lines))
    out.append(("unbalanced quote in the clients file", 1, fhircare(*map_args(quote, work / "o-quote"))))
    out.append(
        (
            "disk full while loading (ulimit -f 48 KB)",
            2,
            fhircare(*map_args(extract, work / "o-d1"), file_size=48 * 1024),
        )
    )
    out.append(
        ("disk full while writing (ulimit -f 8 MB)", 2, fhircare(*map_args(extract, work / "o-d2"), file_size=2**23))
    )
    theirs = work / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, NOBODY, NOBODY)
    out.append(("output folder not writable", 2, fhircare(*map_args(extract, theirs), obey_permissions=True)))
    return out


def kill_trials(work: Path, extract: Path, trials: int, patients: int) -> tuple[int, list[str]]:
    """kill -9 at a random moment, run again; what is left after the next run."""
    rng = random.Random(1914)
    out, tmp = work / "k-out", work / "k-tmp"
    tmp.mkdir()
    environment = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "fhircare", *map_args(extract, out)]
    started = time.monotonic()
    subprocess.run(command, env=environment, capture_output=True, check=True)
    duration = time.monotonic() - started
    shutil.rmtree(out)
    clean, found = 0, []
    for trial in range(trials):
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        rerun = subprocess.run(command, env=environment, capture_output=True)
        left = leftovers(out, tmp)
        complete = rerun.returncode == 0 and len((out / "bundles.ndjson").read_bytes().splitlines()) == patients
        if not left and complete:
            clean += 1
        else:
            found.append(f"trial {trial}: exit {rerun.returncode}, left {left}")
    return clean, found


def concurrent(work: Path, extract: Path) -> tuple[int | None, Run]:
    out = work / "c-out"
    environment = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    first = subprocess.Popen(
        [sys.executable, "-m", "fhircare", *map_args(extract, out)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        out.is_dir() and any(p.name.startswith(".fhircare-work-") for p in out.iterdir())
    ):
        time.sleep(0.02)
    second = fhircare(*map_args(extract, out))
    return first.wait(), second


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--patients", type=int, default=300)
    options = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        extract = work / "extract"
        synth(extract, options.patients)
        print(f"{'probe':<44} {'exit':>4} {'want':>4} {'secs':>6} {'peak MB':>8}  first line of stderr")
        for name, want, run in probes(work, extract):
            good = run.code == want and not run.traceback and not run.timed_out and run.peak_mb < PEAK_MB
            ok &= good
            line = (run.stderr.strip().splitlines() or [""])[0][:110]
            mark = "" if good else "  <-- FAILED"
            print(f"{name:<44} {run.code:>4} {want:>4} {run.seconds:>6.1f} {run.peak_mb:>8.0f}  {line}{mark}")
        clean, found = kill_trials(work, extract, options.trials, options.patients)
        ok &= clean == options.trials
        print(
            f"\nkill -9 trials: {clean} of {options.trials} left no extract copy and no partial file after the next run"
        )
        for line in found:
            print(f"  {line}")
        first, second = concurrent(work, extract)
        refused = second.code == 2 and "another fhircare run is writing to" in second.stderr
        ok &= first == 0 and refused
        print(
            f"concurrent runs into one folder: first exit {first}; second exit {second.code} after"
            f" {second.seconds:.1f} s: {second.stderr.strip()[:120]}"
        )
    print("\nall probes met their expectation" if ok else "\nsome probes FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
