"""Remembered bundle entries: validating a stream of bundles with one validator (entries
remembered) gives exactly the issues validating each bundle with a fresh validator gives,
errors in shared entries included, at each bundle's own locations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fhircare.validation.api import Validator
from fhircare.validation.entry_memo import EntryMemo
from fhircare.validation.references import BundleIndex

GOLDEN = Path(__file__).resolve().parents[2] / "unit" / "mapping" / "golden" / "expected"


def _issues(validator: Validator, bundle: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((i.severity, i.expression, i.text) for i in validator.validate(bundle).issues)


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


@pytest.fixture(scope="module")
def directory() -> dict[str, list[dict[str, Any]]]:
    return {
        t: json.loads((GOLDEN / f"{t}.json").read_text()) for t in ("Organization", "Practitioner", "PractitionerRole")
    }


def _role_with_its_references(directory: dict[str, list[dict[str, Any]]], n: int) -> list[dict[str, Any]]:
    role = directory["PractitionerRole"][n]
    by_url = {f"urn:uuid:{r['id']}": r for rs in directory.values() for r in rs}
    practitioner = by_url[role["practitioner"]["reference"]]
    team = by_url[role["organization"]["reference"]]
    out = [practitioner, team, role]
    if "partOf" in team:
        out.insert(0, by_url[team["partOf"]["reference"]])
    return copy.deepcopy(out)


def test_a_stream_gives_the_same_issues_as_fresh_validations(directory: dict[str, list[dict[str, Any]]]) -> None:
    shared = _role_with_its_references(directory, 0)
    broken = copy.deepcopy(shared)
    broken[-1]["active"] = "yes"  # a shared entry with an error: replayed where it lands
    bundles = [
        _bundle(*shared),
        _bundle(*_role_with_its_references(directory, 1), *shared),  # the same entries, elsewhere
        _bundle(*broken),
        _bundle(*_role_with_its_references(directory, 2), *broken),
        _bundle(*shared),
    ]
    stream = Validator.create()
    found = [_issues(stream, b) for b in bundles]
    assert found == [_issues(Validator.create(), b) for b in bundles]
    assert any("active" in e for _, e, _ in found[3]), "the broken role is reported in the fourth bundle too"
    assert found[0] == found[4] == []


def test_an_entry_is_validated_again_when_what_it_refers_to_changed(
    directory: dict[str, list[dict[str, Any]]],
) -> None:
    shared = _role_with_its_references(directory, 0)
    other = copy.deepcopy(shared)
    practitioner = next(r for r in other if r["resourceType"] == "Practitioner")
    del practitioner["name"]  # the role is unchanged; the practitioner it names is not valid
    stream = Validator.create()
    assert _issues(stream, _bundle(*shared)) == []
    found = _issues(stream, _bundle(*other))
    assert found == _issues(Validator.create(), _bundle(*other))
    assert any("does not conform" in text for _, _, text in found), "the role's reference is checked afresh"


def test_the_key_covers_what_the_entry_can_see(directory: dict[str, list[dict[str, Any]]]) -> None:
    memo = EntryMemo()
    resources = _role_with_its_references(directory, 0)
    role = resources[-1]
    bundle = _bundle(*resources)
    index = BundleIndex.of(bundle)
    first = memo.key(role, f"urn:uuid:{role['id']}", index, [], "2025-07-01")
    assert first is not None
    memo.start()
    assert memo.key(role, f"urn:uuid:{role['id']}", BundleIndex.of(copy.deepcopy(bundle)), [], "2025-07-01") == first
    assert memo.key(role, f"urn:uuid:{role['id']}", index, ["http://example.org/profile"], "2025-07-01") != first
    memo.start()
    elsewhere = copy.deepcopy(bundle)
    elsewhere["type"] = "batch"
    assert memo.key(role, f"urn:uuid:{role['id']}", BundleIndex.of(elsewhere), [], "2025-07-01") != first
    # another day: an invariant's today() may judge the entry otherwise (Validator.today)
    assert memo.key(role, f"urn:uuid:{role['id']}", index, [], "2025-07-02") != first


def test_the_memo_is_bounded() -> None:
    memo = EntryMemo(size=3)
    for n in range(5):
        memo.put(bytes([n]), "Bundle.entry[0]", [])
    assert memo.get(bytes([0])) is None and memo.get(bytes([4])) == ()
