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


def missing_tests(references: list[tuple[str, str, str]]) -> list[str]:
    """The named tests (file, function, optional case) that pytest does not collect."""
    collected = _collected({file for file, _, _ in references})
    functions = {node.split("[", 1)[0] for node in collected}
    return [
        f"{file}::{name}{case}"
        for file, name, case in references
        if (f"{file}::{name}{case}" not in collected if case else f"{file}::{name}" not in functions)
    ]


def test_every_named_test_exists() -> None:
    references = _references()
    assert len(references) > 40
    assert missing_tests(references) == []


SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very high", "High", "Medium", "Low", "Very low")
_RATING = re.compile(r"\*\*Severity\*\* (\w+)\. \*\*Likelihood\*\* ([\w ]+?)\b[ .(].*?\*\*Initial risk\*\* (\d)", re.S)
_RESIDUAL = re.compile(r"\*\*Residual risk\.\*\* (Very low|Low|Medium|High|Very high) likelihood.*?\*\*(\d)\*\*", re.S)


def _matrix(text: str) -> dict[tuple[str, str], int]:
    """The log's own risk matrix: (likelihood, severity) → risk."""
    matrix = {}
    for likelihood in LIKELIHOODS:
        row = re.search(rf"^\| {likelihood} \|((?: \d \|){{5}})$", text, re.M)
        assert row, f"no matrix row for {likelihood}"
        for severity, risk in zip(SEVERITIES, row.group(1).split("|"), strict=False):
            matrix[(likelihood, severity)] = int(risk)
    return matrix


def test_every_risk_is_read_from_the_matrix() -> None:
    """A residual risk is what the matrix says of its likelihood and severity (never less:
    a lower figure would tell the Clinical Safety Officer the risk is smaller than it is);
    an initial risk may be rated above it, conservatively, never below; the summary table
    repeats the sections' figures."""
    text = LOG.read_text(encoding="utf-8")
    matrix = _matrix(text)
    sections = re.split(HAZARD, text)[1:]
    summary = {
        m.group(1): (int(m.group(2)), int(m.group(3)))
        for m in re.finditer(r"^\| (H\d\d) \| .*? \| (\d) \| (\d) \| ", text, re.M)
    }
    for name, body in zip(sections[::2], sections[1::2], strict=True):
        rating = _RATING.search(body)
        residual = _RESIDUAL.search(body)
        assert rating and residual, f"{name}: severity, likelihood and risks not found"
        severity, likelihood, initial = rating.group(1), rating.group(2), int(rating.group(3))
        tail = body[residual.start() : residual.end()]
        residual_severity = next(s for s in SEVERITIES if s in tail)
        assert initial >= matrix[(likelihood, severity)], f"{name}: initial risk below the matrix"
        expected = matrix[(residual.group(1), residual_severity)]
        written = int(residual.group(2))
        assert written == expected, f"{name}: residual risk {written}, the matrix says {expected}"
        assert summary.get(name) == (initial, expected), f"{name}: the summary table says {summary.get(name)}"
