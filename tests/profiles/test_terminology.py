"""The package's own terminology: every concept is defined with a quote from its policy
source, and every quote is really in that policy (../shared/policies/NNN_*.txt).

A definition cites a policy as ``[NNN §x] "quoted text"``; a quote may join fragments of the
same passage with `` … ``. Comparison ignores differences of whitespace, quote marks, dashes
and markdown emphasis, as requirements.md does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.profiles.conftest import CANONICAL, PACKAGE, REPO, read_json

POLICIES = REPO.parent / "shared" / "policies"
CITATION = re.compile(r"\[(\d{3})[^\]]*\]\s*\"([^\"]+)\"")

CODE_SYSTEMS = sorted(PACKAGE.glob("CodeSystem-*.json"))


def _normalise(text: str) -> str:
    text = re.sub('["\u2018\u2019\u201c\u201d]', "'", text.replace("**", ""))
    text = text.replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip()


def _concepts(concepts: list[dict[str, object]]) -> list[dict[str, object]]:
    found = []
    for concept in concepts:
        found.append(concept)
        found.extend(_concepts(concept.get("concept", [])))  # type: ignore[arg-type]
    return found


def _policy_text() -> dict[str, str]:
    return {path.name[:3]: _normalise(path.read_text(encoding="utf-8")) for path in POLICIES.glob("*.txt")}


@pytest.mark.parametrize("path", CODE_SYSTEMS, ids=[p.stem for p in CODE_SYSTEMS])
def test_every_concept_has_a_definition_citing_a_policy(path: Path) -> None:
    code_system = read_json(path)
    assert code_system["url"].startswith(CANONICAL)
    uncited = [
        c["code"] for c in _concepts(code_system["concept"]) if not CITATION.search(str(c.get("definition", "")))
    ]
    assert uncited == []


@pytest.mark.parametrize("path", CODE_SYSTEMS, ids=[p.stem for p in CODE_SYSTEMS])
def test_every_quote_is_in_its_policy(path: Path) -> None:
    if not POLICIES.is_dir():
        pytest.skip(f"policies not found at {POLICIES}")
    policies = _policy_text()
    missing = []
    for concept in _concepts(read_json(path)["concept"]):
        for policy, quote in CITATION.findall(str(concept.get("definition", ""))):
            for fragment in _normalise(quote).split("…"):
                if fragment.strip() and fragment.strip() not in policies.get(policy, ""):
                    missing.append(f"{concept['code']}: [{policy}] {fragment.strip()!r}")
    assert missing == []


def test_dialog_questionnaire_items_in_source_order_with_snomed_codes() -> None:
    questionnaire = read_json(PACKAGE / "Questionnaire-dialog.json")
    items = [(i["linkId"], i["code"][0]["code"]) for i in questionnaire["item"]]
    assert items == [
        ("dialog-mental-health", "1037651000000100"),
        ("dialog-physical-health", "1037661000000102"),
        ("dialog-job-situation", "1037671000000109"),
        ("dialog-accommodation", "1037681000000106"),
        ("dialog-leisure-activities", "1037691000000108"),
        ("dialog-friendships", "1037701000000108"),
        ("dialog-partner-family", "1037711000000105"),
        ("dialog-personal-safety", "1037721000000104"),
        ("dialog-medication", "1037731000000102"),
        ("dialog-practical-help", "1037741000000106"),
        ("dialog-meetings", "1037751000000109"),
    ]
    for item in questionnaire["item"]:
        assert item["answerValueSet"] == f"{CANONICAL}/ValueSet/dialog-satisfaction"
        assert [(n["linkId"], n["type"]) for n in item["item"]] == [(f"{item['linkId']}-more-help", "boolean")]
