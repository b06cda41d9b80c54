"""The HL7 validator's warm, in-process throughput on the bench corpus (issue 12, item 4).

Runs the oracle program of tests/conformance/oracle in its bench mode: the JVM validates the
corpus three times to warm up, then times ``rounds`` rounds in process, with the same
definitions fhircare's run loads (core, the bench profiles, UK Core). Prints nothing; returns
the median microseconds per resource, base R4 and with the profile, or the reason it cannot.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def hl7_throughput(
    batch: list[dict[str, Any]], canonicals: dict[str, str], igs: list[Path], rounds: int
) -> tuple[float, float | None] | str:
    import sys

    sys.path.insert(0, str(ROOT))
    from fhircare.settings import Settings
    from tests.conformance.oracle.java import LIB, TARGET, build, missing_tools, prepare_home

    why = missing_tools()
    if why:
        return why
    build()
    home = prepare_home(Settings().package_cache.expanduser())
    with tempfile.TemporaryDirectory(prefix="fhircare-bench-hl7-") as tmp:
        files = []
        for n, resource in enumerate(batch):
            path = Path(tmp) / f"r{n}.json"
            path.write_text(json.dumps(resource))
            files.append((path, canonicals.get(resource["resourceType"])))

        def run(args: list[str]) -> float:
            command = ["java", "-Xss8m", "-Xmx2g", f"-Duser.home={home}", "-cp", f"{TARGET / 'classes'}:{LIB}/*"]
            command += ["uk.nhs.fhircare.oracle.Oracle", "bench", "--rounds", str(rounds)]
            for ig in igs:
                command += ["--ig", str(ig)]
            done = subprocess.run(command + args, capture_output=True, text=True, check=True, timeout=3600)
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            return float(statistics.median(answer["us_per_resource"]))

        base = run([str(p) for p, _ in files])
        profiled = [f"{p}::{c}" for p, c in files if c]
        return base, (run(profiled) if profiled else None)
