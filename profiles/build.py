"""Build the fhircare FHIR package: run SUSHI on the FSH, then refresh profiles/package/.

    python profiles/build.py              # SUSHI (offline), then refresh package/
    python profiles/build.py --no-sushi   # only refresh package/ from fsh-generated/
    python profiles/build.py --check      # exit 1 if package/ differs from fsh-generated/

SUSHI is the pinned ``fsh-sushi`` in ``tools/sushi`` (``npm ci --prefix tools/sushi``). It
runs offline against the FHIR package cache (``~/.fhir/packages``, which must hold
``hl7.fhir.r4.core#4.0.1``): ``FPL_REGISTRY`` points at a closed port so that package
look-ups fail at once instead of waiting on DNS.

``package/`` is the FHIR package the project publishes: ``package.json``, the conformance
resources (StructureDefinitions, ValueSets, CodeSystems, ConceptMaps, the DIALOG
Questionnaire) and ``example/`` with the example instances, each folder with an
``.index.json``. It is derived from ``fsh-generated/resources`` only, so it is rebuilt
whole: files that SUSHI no longer makes disappear. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROFILES = Path(__file__).resolve().parent
REPO = PROFILES.parent
SUSHI = REPO / "tools" / "sushi" / "node_modules" / ".bin" / "sushi"
GENERATED = PROFILES / "fsh-generated" / "resources"
PACKAGE = PROFILES / "package"

PACKAGE_MANIFEST: dict[str, Any] = {
    "name": "fhircare.r4",
    "version": "0.1.0",
    "canonical": "https://fhir.fhircare.nhs.uk",
    "title": "fhircare FHIR R4 profiles for mental health care coordination",
    "description": (
        "PRSB-aligned, UK Core-conformant FHIR R4 profiles, extensions, terminology and the DIALOG "
        "Questionnaire for NHS community mental health care coordination (England and Wales)."
    ),
    "fhirVersions": ["4.0.1"],
    "dependencies": {"hl7.fhir.r4.core": "4.0.1"},
    "type": "fhir.ig",
    "license": "Apache-2.0",
    "author": "fhircare project",
}

#: resource types that define things (they go in package/); instances of any other type are examples
DEFINITIONAL_TYPES = frozenset(
    {
        "StructureDefinition",
        "ValueSet",
        "CodeSystem",
        "ConceptMap",
        "NamingSystem",
        "SearchParameter",
        "OperationDefinition",
        "CapabilityStatement",
        "Questionnaire",
    }
)

_INDEX_FIELDS = ("id", "url", "version", "kind", "type", "supplements")


def run_sushi(project: Path, *, sushi: Path = SUSHI, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run SUSHI offline on a SUSHI project folder; the caller checks the return code.

    SUSHI reads the package cache at ``$HOME/.fhir/packages``; ``home`` overrides HOME.
    """
    if not sushi.exists():
        raise FileNotFoundError(f"{sushi} not found: run `npm ci --prefix tools/sushi` first")
    env = {**os.environ, "FPL_REGISTRY": os.environ.get("FPL_REGISTRY", "http://127.0.0.1:9")}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run(
        [str(sushi), "build", str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "resourceType" not in data:
        raise ValueError(f"{path} is not a FHIR resource")
    return data


def _index(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    entries = []
    for name in sorted(files):
        resource = files[name]
        entry: dict[str, Any] = {"filename": name, "resourceType": resource["resourceType"]}
        entry.update({k: resource[k] for k in _INDEX_FIELDS if isinstance(resource.get(k), str)})
        entries.append(entry)
    return {"index-version": 1, "files": entries}


def package_contents(generated: Path = GENERATED) -> dict[str, Any]:
    """What package/ must hold, as {relative path: parsed JSON}, derived from fsh-generated."""
    definitions: dict[str, dict[str, Any]] = {}
    examples: dict[str, dict[str, Any]] = {}
    for path in sorted(generated.glob("*.json")):
        resource = _load(path)
        target = definitions if resource["resourceType"] in DEFINITIONAL_TYPES else examples
        target[path.name] = resource
    contents: dict[str, Any] = {"package.json": PACKAGE_MANIFEST, ".index.json": _index(definitions)}
    contents.update(definitions)
    contents["example/.index.json"] = _index(examples)
    contents.update({f"example/{name}": resource for name, resource in examples.items()})
    return contents


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_package(package: Path = PACKAGE, generated: Path = GENERATED) -> int:
    """Rebuild package/ from fsh-generated (atomically: built beside it, then swapped in)."""
    contents = package_contents(generated)
    staging = Path(tempfile.mkdtemp(prefix=".package-", dir=package.parent))
    try:
        for relative, data in contents.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_dump(data), encoding="utf-8")
        if package.exists():
            shutil.rmtree(package)
        staging.rename(package)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return len(contents)


def package_differences(package: Path = PACKAGE, generated: Path = GENERATED) -> list[str]:
    """How package/ differs from what fsh-generated makes (empty when they agree)."""
    expected = package_contents(generated)
    actual = {str(p.relative_to(package)): p for p in package.rglob("*") if p.is_file() and p.suffix == ".json"}
    problems = [f"missing: {name}" for name in sorted(set(expected) - set(actual))]
    problems += [f"not made by SUSHI: {name}" for name in sorted(set(actual) - set(expected))]
    for name in sorted(set(expected) & set(actual)):
        if json.loads(actual[name].read_text(encoding="utf-8")) != expected[name]:
            problems.append(f"differs: {name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-sushi", action="store_true", help="only refresh package/ from fsh-generated/")
    group.add_argument("--check", action="store_true", help="exit 1 if package/ differs from fsh-generated/")
    args = parser.parse_args(argv)

    if args.check:
        problems = package_differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0

    if not args.no_sushi:
        result = run_sushi(PROFILES)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.returncode != 0:
            print(f"SUSHI failed (exit {result.returncode}); package/ left as it was", file=sys.stderr)
            return result.returncode
    count = write_package()
    print(f"package/ refreshed: {count} files from {GENERATED.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
