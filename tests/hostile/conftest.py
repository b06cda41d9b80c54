"""Hostile input against the fhircare command, each probe bounded: a subprocess with an
address-space limit (so a runaway is killed, not the machine), a timeout, and its peak
memory read back from the kernel (``os.wait4``, in a small launcher: see bounded.py)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from fhircare.settings import Settings
from tests.hostile.bounded import run_bounded

#: every probe must stay under this peak resident memory
PEAK_MB = 500
#: and may not reserve more than this address space (the runaway guard)
ADDRESS_SPACE = 3 * 1024**3


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    peak_mb: float
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def fhircare(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120, file_limit: int | None = None
) -> Run:
    """Run ``fhircare ARGS`` bounded; stdout and stderr go to files in ``cwd``."""
    environment = {
        **os.environ,
        "FHIRCARE_PACKAGE_CACHE": os.environ.get("FHIRCARE_PACKAGE_CACHE") or str(Settings().package_cache),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "COLUMNS": "200",
        **(env or {}),
    }

    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    started = time.monotonic()
    with out.open("wb") as o, err.open("wb") as e:
        ended = run_bounded(
            list(args),
            memory_bytes=ADDRESS_SPACE,
            file_size=file_limit,
            drop_permission_bypass=False,
            env=environment,
            cwd=cwd,
            stdout=o,
            stderr=e,
            timeout=timeout,
            report=cwd / ".peak-kb",
        )
    if ended.code is None:
        pytest.fail(f"fhircare {' '.join(args)} ran past {timeout} s")
    return Run(
        code=ended.code,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
        peak_mb=ended.peak_mb,
        seconds=time.monotonic() - started,
    )


def assert_clean(run: Run) -> None:
    """No traceback, memory in bounds."""
    assert "Traceback" not in run.output, run.output[-3000:]
    assert run.peak_mb < PEAK_MB, f"peak {run.peak_mb:.0f} MB"
