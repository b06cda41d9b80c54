"""The hazard log (docs/clinical-safety/hazard-log.md): every control that names a test
names one that exists — the file, the function, and for a parametrised test the case —
so that a passing suite is the evidence the log claims. Controls owned by unfinished work
say so ("issue 8", "issue 13") instead of naming a test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOG = REPO / "docs" / "clinical-safety" / "hazard-log.md"
#: `tests/...py::test_name` with an optional `[case id]`
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)(\[[^`]*\])?`")
HAZARD = re.compile(r"^### (H\d\d) ", re.M)


def _references() -> list[tuple[str, str, str]]:
    return [(m.group(1), m.group(2), m.group(3) or "") for m in REFERENCE.finditer(LOG.read_text(encoding="utf-8"))]


def _collected(files: set[str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *sorted(files)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.strip() for line in out.splitlines() if "::" in line}


def test_every_hazard_has_controls_naming_tests_or_their_issue() -> None:
    text = LOG.read_text(encoding="utf-8")
    sections = re.split(HAZARD, text)[1:]
    hazards = dict(zip(sections[::2], sections[1::2], strict=True))
    assert len(hazards) >= 15
    for name, body in hazards.items():
        for part in ("**Cause.**", "**Effect.**", "**Severity**", "**Likelihood**", "Controls", "**Residual risk.**"):
            assert part in body, f"{name} has no {part}"
        assert REFERENCE.search(body) or re.search(r"issue (8|13)", body), f"{name} names no test and no owner"


def test_every_named_test_exists() -> None:
    references = _references()
    assert len(references) > 40
    collected = _collected({file for file, _, _ in references})
    functions = {node.split("[", 1)[0] for node in collected}
    missing = [
        f"{file}::{name}{case}"
        for file, name, case in references
        if (f"{file}::{name}{case}" not in collected if case else f"{file}::{name}" not in functions)
    ]
    assert missing == []
