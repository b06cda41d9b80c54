"""The traceability matrix (docs/traceability/): every data element, rule, sharing rule,
partner need, metric, design decision, open question and edge case of the requirements
catalogue (../shared/domain/requirements.md) has a row saying what fhircare does about it,
and a row that claims it done names the tests that prove it, tests that exist. A row
cannot rot silently: renaming a test, or a new id in the catalogue, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.clinical_safety.test_hazard_log import REFERENCE, missing_tests

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO.parent / "shared" / "domain" / "requirements.md"
MATRIX = REPO / "docs" / "traceability"
#: an id as the catalogue defines it: the first cell of a table row, or a bold bullet (EC-xx)
DEFINED = re.compile(r"^(?:\| |- \*\*)((?:DE|R|IS|P|M|DD|Q|EC)-\d+)\b", re.M)
#: a row of the matrix: | id | status | what fhircare does | proven by |
ROW = re.compile(r"^\| ((?:DE|R|IS|P|M|DD|Q|EC)-\d+) \| ([a-z ]+) \| (.*?) \| (.*?) \|\s*$", re.M)
STATUSES = ("done", "partial", "not done", "out of scope", "not applicable")


def _rows() -> dict[str, tuple[str, str, str, str]]:
    rows: dict[str, tuple[str, str, str, str]] = {}
    for path in sorted(MATRIX.glob("*.md")):
        for match in ROW.finditer(path.read_text(encoding="utf-8")):
            ident, status, what, proof = match.groups()
            assert ident not in rows, f"{ident} has two rows ({rows[ident][0]} and {path.name})"
            rows[ident] = (path.name, status, what, proof)
    return rows


pytestmark = pytest.mark.skipif(not CATALOGUE.exists(), reason="the requirements catalogue is beside the repository")


def test_every_catalogue_id_has_one_row() -> None:
    defined = set(DEFINED.findall(CATALOGUE.read_text(encoding="utf-8")))
    assert len(defined) > 300
    rows = _rows()
    assert sorted(defined - rows.keys()) == []
    assert sorted(rows.keys() - defined) == [], "rows for ids the catalogue does not define"


def test_each_row_has_a_status_and_its_evidence() -> None:
    for ident, (file, status, what, proof) in _rows().items():
        assert status in STATUSES, f"{file}: {ident} status {status!r}"
        assert what.strip(), f"{file}: {ident} says nothing of what fhircare does"
        if status in ("done", "partial"):
            assert REFERENCE.search(proof), f"{file}: {ident} is {status} but names no test"
        else:
            assert proof.strip(), f"{file}: {ident} is {status} without a reason"


def test_every_named_test_exists() -> None:
    references = [
        (m.group(1), m.group(2), m.group(3) or "")
        for path in MATRIX.glob("*.md")
        for m in REFERENCE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(references) > 200
    assert missing_tests(references) == []
