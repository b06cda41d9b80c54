"""Runs the HL7 validator peer suite (../shared/conformance/fhir-test-cases) and scores it.

Each case names a resource, the conformance resources to load first, and the HL7
Java validator's OperationOutcome (for the base specification and, optionally,
for one profile). A validation agrees with Java three ways:

* verdict — both find an error (or fatal), or neither does;
* error count — the same number of errors;
* error locations — the same set of error expressions. Java annotates resources
  inside resources with a FHIRPath comment (``/*Patient/1*/``) whose presence
  varies between Java releases; comments are dropped before comparing.

A case agrees when all its validations (base, and profile when given) agree.
Run directly for the table: ``python tests/conformance/hl7_suite.py``.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fhircare.errors import InputError, PackageError
from fhircare.settings import Settings
from fhircare.validation.api import _ig_folder
from fhircare.validation.context import DefinitionContext
from fhircare.validation.engine import Validator
from fhircare.validation.inputs import parse_resource
from fhircare.validation.packages import PackageCache, PackageRef

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO.parent / "shared" / "conformance" / "fhir-test-cases"
LOADABLE = ("StructureDefinition", "ValueSet", "CodeSystem", "ImplementationGuide", "Questionnaire")
_COMMENT = re.compile(r"/\*.*?\*/")
_BOM = b"\xef\xbb\xbf"

#: The HL7 test harness validates with the HL7 extension pack loaded: its recorded outcomes
#: accept the pack's extensions (organization-brand, endpoint-fhir-version, ...). fhircare
#: reports an HL7 extension that no loaded package defines, so it is given the pack here
#: as a user would give it (--ig). The one R4 build of the pack an npm registry serves;
#: .ci/run installs it (see EXTENSION_PACK_HOWTO).
EXTENSION_PACK = PackageRef("hl7.fhir.uv.extensions.r4", "5.3.0-ballot-tc1")
EXTENSION_PACK_HOWTO = (
    f"FHIRCARE_PACKAGE_REGISTRY_URL=https://registry.npmjs.org fhircare packages install {EXTENSION_PACK}"
)


@dataclass
class Check:
    case: str
    module: str
    which: str  # base | profile
    expected_errors: int
    expected_locations: set[str] | None  # None when the suite gives only a count
    actual_errors: int
    actual_locations: set[str]
    actual_texts: list[str] = field(default_factory=list)
    expected_texts: list[str] = field(default_factory=list)

    @property
    def verdict_agrees(self) -> bool:
        return (self.expected_errors > 0) == (self.actual_errors > 0)

    @property
    def count_agrees(self) -> bool:
        return self.expected_errors == self.actual_errors

    @property
    def locations_agree(self) -> bool:
        if self.expected_locations is None:
            return self.count_agrees
        return self.expected_locations == self.actual_locations


@dataclass
class CaseResult:
    name: str
    module: str
    checks: list[Check]
    crashed: str | None = None

    @property
    def verdict_agrees(self) -> bool:
        return self.crashed is None and all(c.verdict_agrees for c in self.checks)

    @property
    def count_agrees(self) -> bool:
        return self.crashed is None and all(c.count_agrees for c in self.checks)

    @property
    def locations_agree(self) -> bool:
        return self.crashed is None and all(c.locations_agree for c in self.checks)


def _load(name: str) -> Any:
    return orjson.loads((SUITE / name).read_bytes().removeprefix(_BOM))


def _read_case(name: str) -> dict[str, Any] | InputError:
    """The case's resource as ``fhircare validate`` reads it: a file that is not JSON (a
    missing comma, a comment) is an error there, as it is for the HL7 validator."""
    return parse_resource((SUITE / name).read_bytes(), file=name)


def _expected(spec: Any) -> tuple[int, set[str] | None, list[str]]:
    if isinstance(spec, dict):
        return int(spec.get("errorCount", 0)), None, []
    outcome = _load(f"outcomes/{spec}")
    errors = [i for i in outcome.get("issue", ()) if i.get("severity") in ("error", "fatal")]
    locations = {_COMMENT.sub("", (i.get("expression") or [""])[0]) for i in errors}
    return len(errors), locations, [i.get("details", {}).get("text", "") for i in errors]


def _add_supporting(context: DefinitionContext, names: list[str]) -> None:
    for name in names:
        if not (SUITE / name).is_file():
            continue
        resource = _load(name)
        resources = (
            [e.get("resource") for e in resource.get("entry", ())]
            if resource.get("resourceType") == "Bundle"
            else [resource]
        )
        for r in resources:
            if isinstance(r, dict) and r.get("resourceType") in LOADABLE and r.get("url"):
                context.add_resource(r)


def run_case(case: dict[str, Any], base_context: DefinitionContext) -> CaseResult:
    name, module = case["name"], case.get("module", "?")
    checks: list[Check] = []
    try:
        context = base_context.overlay()
        for package in case.get("packages", ()):
            if (SUITE / package).is_file():
                context.add_folder(_ig_folder(SUITE / package))
        _add_supporting(context, list(case.get("supporting", ())) + list(case.get("profiles", ())))
        # the HL7 test harness allows example URLs unless a case says "examples": false
        # (its recorded outcomes never flag example.org in a uri); fhircare's default,
        # for real data, is the opposite
        examples = bool(case.get("examples", True))
        validator = Validator(context, allow_example_urls=examples)
        resource = _read_case(case["file"])
        runs: list[tuple[str, list[str], Any, Validator]] = [("base", [], case["java"], validator)]
        profile = case.get("profile")
        if isinstance(profile, dict) and "java" in profile:
            # the profile step loads its own supporting resources on top of the case's
            profile_context = context.overlay()
            _add_supporting(profile_context, [profile["source"], *profile.get("supporting", ())])
            url = _load(profile["source"]).get("url")
            runs.append(
                (
                    "profile",
                    [url],
                    profile["java"],
                    Validator(profile_context, allow_example_urls=examples),
                )
            )
        for which, profiles, spec, case_validator in runs:
            n, locations, texts = _expected(spec)
            if isinstance(resource, InputError):
                checks.append(Check(name, module, which, n, locations, 1, {""}, [str(resource)], texts))
                continue
            errors = case_validator.validate(resource, profiles).errors
            checks.append(
                Check(
                    case=name,
                    module=module,
                    which=which,
                    expected_errors=n,
                    expected_locations=locations,
                    actual_errors=len(errors),
                    actual_locations={_COMMENT.sub("", e.expression) for e in errors},
                    actual_texts=[f"{e.expression}: {e.text}" for e in errors],
                    expected_texts=texts,
                )
            )
    except Exception as exc:  # a crash is a disagreement, reported with its type only
        return CaseResult(name, module, checks, crashed=f"{type(exc).__name__}: {exc}"[:300])
    return CaseResult(name, module, checks)


def with_extension_pack(base_context: DefinitionContext) -> DefinitionContext:
    cache = PackageCache.from_settings(Settings())
    if not cache.is_installed(EXTENSION_PACK):
        raise PackageError(f"the HL7 peer suite needs {EXTENSION_PACK} in the package cache: {EXTENSION_PACK_HOWTO}")
    context = base_context.overlay()
    context.add_folder(cache.path_for(EXTENSION_PACK))
    return context


def run_suite(base_context: DefinitionContext) -> list[CaseResult]:
    manifest = _load("manifest.json")
    context = with_extension_pack(base_context)
    return [run_case(case, context) for case in manifest["test-cases"]]


def score_table(results: list[CaseResult]) -> str:
    by_module: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_module[r.module].append(r)
    lines = [f"{'module':<12} {'cases':>5} {'verdict':>8} {'errors=':>8} {'locations=':>10}"]
    for module in [*sorted(by_module), "TOTAL"]:
        rs = results if module == "TOTAL" else by_module[module]
        lines.append(
            f"{module:<12} {len(rs):>5} {sum(r.verdict_agrees for r in rs):>8} "
            f"{sum(r.count_agrees for r in rs):>8} {sum(r.locations_agree for r in rs):>10}"
        )
    return "\n".join(lines)


def main() -> int:
    from fhircare.validation.api import Validator as ApiValidator

    if not SUITE.is_dir():
        # the suite is the HL7 fhir-test-cases checkout beside this repository (CI has it)
        print(f"the HL7 peer suite is not at {SUITE}: put a checkout of fhir-test-cases there", file=sys.stderr)
        return 2
    base = ApiValidator.create().context
    results = run_suite(base)
    verbose = "-v" in sys.argv
    for r in results:
        if r.crashed or not r.locations_agree:
            flag = (
                "CRASH"
                if r.crashed
                else ("VERDICT" if not r.verdict_agrees else ("COUNT" if not r.count_agrees else "LOC"))
            )
            print(f"[{flag}] {r.name} ({r.module}) {r.crashed or ''}")
            if verbose:
                for c in r.checks:
                    if not c.locations_agree:
                        print(f"   {c.which}: expected {c.expected_errors} {sorted(c.expected_locations or [])}")
                        for t in c.expected_texts:
                            print(f"      java: {t[:160]}")
                        for t in c.actual_texts:
                            print(f"      ours: {t[:160]}")
    print(score_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
