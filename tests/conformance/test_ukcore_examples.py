"""Every UK Core example validated against the UK Core definitions.

The examples (../shared/ukcore/examples) each claim their UK Core profile in
meta.profile; the validator, loaded with the UK Core package folder
(../shared/ukcore/package), checks those claims. The examples with errors must be
exactly those listed, each with the rule it breaks, in ukcore_known_invalid.json:
an example newly failing is a validator regression (or a new defect to explain
there); a listed example that now passes means the list is stale.

``pytest -s tests/conformance/test_ukcore_examples.py`` prints the tally and the
first errors of each invalid example.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from fhircare.settings import Settings
from fhircare.validation.api import Validator
from fhircare.validation.inputs import InputProblem, iter_inputs
from fhircare.validation.issues import ValidationResult
from fhircare.validation.packages import CORE_PACKAGE, PackageCache

REPO = Path(__file__).resolve().parents[2]
UKCORE = REPO.parent / "shared" / "ukcore"
EXAMPLES = UKCORE / "examples"
PACKAGE = UKCORE / "package"
KNOWN_INVALID = Path(__file__).with_name("ukcore_known_invalid.json")

pytestmark = pytest.mark.conformance

if not (EXAMPLES.is_dir() and PACKAGE.is_dir()):
    pytest.skip(f"UK Core reference copy not found at {UKCORE}", allow_module_level=True)
if not PackageCache.from_settings(Settings()).is_installed(CORE_PACKAGE):
    pytest.skip(f"{CORE_PACKAGE} is not in the package cache", allow_module_level=True)


@pytest.fixture(scope="module")
def results() -> dict[str, ValidationResult]:
    validator = Validator.create([PACKAGE])
    found: dict[str, ValidationResult] = {}
    for item in iter_inputs([EXAMPLES]):
        assert not isinstance(item, InputProblem), str(item)
        found[item.path.name] = validator.validate(item.resource, source=item.label)
    return found


def _summary(results: dict[str, ValidationResult]) -> str:
    invalid = {name: r for name, r in results.items() if not r.valid}
    lines = [f"UK Core examples: {len(results)} checked, {len(results) - len(invalid)} valid, {len(invalid)} invalid"]
    for name, result in sorted(invalid.items()):
        lines.append(f"  {name} ({result.error_count} errors)")
        lines.extend(f"    {e.expression}: {e.text}" for e in result.errors[:3])
    return "\n".join(lines)


def test_the_examples_with_errors_are_exactly_the_known_invalid_ones(
    results: dict[str, ValidationResult],
) -> None:
    print("\n" + _summary(results))
    known: dict[str, str] = orjson.loads(KNOWN_INVALID.read_bytes())
    invalid = {name for name, result in results.items() if not result.valid}

    unexpected = sorted(invalid - set(known))
    stale = sorted(set(known) - invalid)

    assert not unexpected and not stale, (
        f"examples with errors that are not in {KNOWN_INVALID.name}: {unexpected};"
        f" listed as invalid but now valid: {stale}"
    )


def test_every_known_invalid_example_exists_and_has_a_reason(
    results: dict[str, ValidationResult],
) -> None:
    known: dict[str, str] = orjson.loads(KNOWN_INVALID.read_bytes())

    assert set(known) <= set(results)
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in known.values())
