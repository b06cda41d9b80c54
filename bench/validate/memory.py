"""Peak memory of `fhircare validate` on large NDJSON files (issue 14): the file is streamed
resource by resource, so the peak should follow the largest resource, not the file.

Writes an NDJSON file of about the given size from the bench corpus (distinct ids), runs
``fhircare validate FILE --quiet`` in a fresh process and reads its peak resident memory
from the kernel (``os.wait4``). Returns (file bytes, resources, peak MB, seconds, exit code).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def ndjson_peak(
    corpus: list[dict[str, Any]], size: int, command: list[str], env: dict[str, str]
) -> tuple[int, int, float, float, int]:
    with tempfile.TemporaryDirectory(prefix="fhircare-bench-ndjson-") as tmp:
        path = Path(tmp) / "big.ndjson"
        written = count = 0
        with path.open("w") as out:
            while written < size:
                for resource in corpus:
                    line = json.dumps({**resource, "id": f"{resource['id']}-{count}"}) + "\n"
                    out.write(line)
                    written += len(line)
                    count += 1
        started = time.monotonic()
        process = subprocess.Popen(
            [*command, "validate", str(path), "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **env},
        )
        _, status, usage = os.wait4(process.pid, 0)
        return written, count, usage.ru_maxrss / 1024, time.monotonic() - started, os.waitstatus_to_exitcode(status)
