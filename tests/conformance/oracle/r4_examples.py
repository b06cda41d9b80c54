"""fhircare beside the HL7 validator on every example of the R4 specification.

The examples package (``hl7.fhir.r4.examples#4.0.1``, 5,300 resources: every resource
type, the core profiles and terminology) is a corpus neither validator was tuned on, so a
disagreement is a lead: a check fhircare lacks, or a false alarm. Not a test (the HL7
validator takes 20 minutes or more over it); run it after a change to the validator:

    fhircare packages install 'hl7.fhir.r4.examples#4.0.1'    # once (from the npm registry:
                                                              # FHIRCARE_PACKAGE_REGISTRY_URL)
    python tests/conformance/oracle/r4_examples.py            # all of them
    python tests/conformance/oracle/r4_examples.py 0 500      # a slice, by file order

It prints verdict agreement, then each kind of error only one side reports (numbers and
quoted values folded together), most frequent first, with one example of each. Both load
the core package only. Where fhircare reports more on purpose (example URLs, narrative
``data:`` URLs, unknown extensions), the README says why.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

import orjson

from fhircare.settings import Settings
from fhircare.validation.api import Validator
from tests.conformance.oracle.java import JavaOracle

PACKAGE = "hl7.fhir.r4.examples#4.0.1"


def _kind(text: str) -> str:
    return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", text))[:110]


def main(argv: list[str]) -> int:
    cache = Settings().package_cache.expanduser()
    folder = cache / PACKAGE / "package"
    if not folder.is_dir():
        print(f"{PACKAGE} is not in {cache}: fhircare packages install '{PACKAGE}'", file=sys.stderr)
        return 2
    files = sorted(p for p in folder.glob("*.json") if p.name != "package.json" and not p.name.startswith("."))
    start, end = (int(argv[0]), int(argv[1])) if len(argv) >= 2 else (0, len(files))
    validator = Validator.create()
    compared = agreed = crashed = 0
    one_sided: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    with JavaOracle([], cache) as java:
        for path in files[start:end]:
            resource = orjson.loads(path.read_bytes())
            if not isinstance(resource, dict) or "resourceType" not in resource:
                continue
            ours = [f"{i.expression}: {i.text}" for i in validator.validate(resource).issues if i.is_error]
            theirs = java.validate(path)
            if isinstance(theirs, str):
                crashed += 1
                continue
            java_errors = [f"{i.location}: {i.message}" for i in theirs if i.is_error]
            compared += 1
            if bool(ours) == bool(java_errors):
                agreed += 1
                continue
            side, errors = ("fhircare", ours) if ours else ("HL7", java_errors)
            for error in errors:
                key = (side, _kind(error.split(": ", 1)[-1]))
                one_sided[key] += 1
                example.setdefault(key, f"{path.name} {error}"[:300])
    print(
        f"R4 examples {start}..{min(end, len(files))}: {compared} compared, {agreed} agree in verdict "
        f"({100 * agreed / max(compared, 1):.1f}%), {crashed} the HL7 validator could not validate"
    )
    for (side, _), count in one_sided.most_common():
        print(f"{count:5} only {side}: {example[(side, _)]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
