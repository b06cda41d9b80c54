"""Regenerate the mapping golden files: the source rows and the FHIR they must become.

    python tests/unit/mapping/golden/update.py

``extract/`` is a RiO-like synthetic extract of one block of scenarios (every edge case
once); ``expected/<ResourceType>.json`` holds every resource of that type that mapping the
extract gives, by id. Run it after a deliberate change to the mapping or to the
generator, and read the diff before committing: it is the change in what trusts send.
"""

from __future__ import annotations

import shutil
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO))

from fhircare.mapping import MappingContext, check_consistency, map_service_user  # noqa: E402
from fhircare.source.mapping_file import TrustMapping, load_mapping  # noqa: E402
from fhircare.source.reader import read_extract  # noqa: E402
from fhircare.source.results import Accepted  # noqa: E402
from fhircare.synth import SCENARIOS, synthesise  # noqa: E402

EXTRACT = HERE / "extract"
EXPECTED = HERE / "expected"
LAYOUT = "rio-like"
PATIENTS = len(SCENARIOS)
SEED = 7
AS_OF = date(2025, 7, 1)


def mapping() -> TrustMapping:
    return load_mapping(REPO / "mappings" / f"{LAYOUT}.yaml")


def resources_by_type(folder: Path, trust: TrustMapping) -> dict[str, dict[str, Any]]:
    """Every resource the extract maps to, by type then id (shared ones once, checked equal)."""
    context = MappingContext.from_mapping(trust, as_of=AS_OF)
    found: dict[str, dict[str, Any]] = defaultdict(dict)
    with read_extract(folder, trust) as extract:
        for result in extract:
            assert isinstance(result, Accepted), result
            assert check_consistency(result.record, AS_OF) == []
            for resource in map_service_user(result.record, context).resources:
                seen = found[resource["resourceType"]].setdefault(resource["id"], resource)
                assert seen == resource, f"{resource['resourceType']}/{resource['id']} differs between bundles"
    return {rtype: dict(sorted(items.items())) for rtype, items in sorted(found.items())}


def dump(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


def main() -> None:
    trust = mapping()
    shutil.rmtree(EXTRACT, ignore_errors=True)
    synthesise(trust, EXTRACT, patients=PATIENTS, seed=SEED)
    (EXTRACT / "synth-manifest.json").unlink()
    shutil.rmtree(EXPECTED, ignore_errors=True)
    EXPECTED.mkdir()
    for rtype, resources in resources_by_type(EXTRACT, trust).items():
        (EXPECTED / f"{rtype}.json").write_bytes(dump(list(resources.values())))
    print(f"wrote {EXTRACT.relative_to(REPO)} and {EXPECTED.relative_to(REPO)}")


if __name__ == "__main__":
    main()
