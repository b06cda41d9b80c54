"""Running fhircare in a child process under resource limits, as the hostile-input tests
of ``fhircare map``, ``synth`` and ``mapping check`` do: memory is bounded with
RLIMIT_AS and measured as the child's peak resident set (wait4), time with a timeout,
disk with RLIMIT_FSIZE; a child can run without the capabilities that let root ignore
file permissions, so that permission checks hold even when the tests run as root."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.hostile.bounded import run_bounded

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
#: the peak memory every probe must stay under (issue 14)
PEAK_MB = 500
NOBODY = 65534


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    peak_mb: float
    seconds: float
    timed_out: bool

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stdout + self.stderr


def fhircare(
    *args: str,
    timeout: float = 120,
    memory_mb: int = 4096,
    file_size: int | None = None,
    env: dict[str, str] | None = None,
    obey_permissions: bool = False,
    cwd: Path | None = None,
) -> Run:
    """``python -m fhircare ARGS`` in a child process, with its exit code, output, peak
    memory (MB) and time."""

    environment = {
        **os.environ,
        "COLUMNS": "200",
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "PYTHONPATH": str(REPO / "src"),
        **(env or {}),
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        ended = run_bounded(
            list(args),
            memory_bytes=memory_mb * 2**20,
            file_size=file_size,
            drop_permission_bypass=obey_permissions,
            env=environment,
            cwd=cwd,
            stdout=out,
            stderr=err,
            timeout=timeout,
            report=Path(scratch) / "peak-kb",
        )
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Run(
            -9 if ended.code is None else ended.code,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            ended.peak_mb,
            seconds,
            ended.code is None,
        )


def synth(folder: Path, layout: str = "rio-like", patients: int = 30) -> Path:
    """A synthetic extract written in-process (fast), returned."""
    from fhircare.source.mapping_file import load_mapping
    from fhircare.synth import synthesise

    synthesise(load_mapping(MAPPINGS / f"{layout}.yaml"), folder, patients=patients, seed=5)
    return folder


def leftovers(*folders: Path) -> list[str]:
    """Working folders, partial files or extract copies left in these folders."""
    found = []
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            name = path.name
            if name.startswith((".fhircare-work-", "fhircare-extract-")) or name.endswith((".partial", ".sqlite")):
                found.append(str(path))
    return found
