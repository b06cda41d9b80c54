"""The committed JSON is exactly what SUSHI makes from the FSH, and profiles/package/ is
exactly what profiles/build.py makes from that JSON: the FSH sources, the generated
definitions and the published package cannot drift apart.

SUSHI is the pinned fsh-sushi in tools/sushi (``npm ci --prefix tools/sushi``), run offline
against the FHIR package cache. Without tools/sushi/node_modules (a local checkout that
never ran npm) the regeneration tests skip; CI installs it, so there they run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from fhircare.settings import Settings
from fhircare.validation.packages import CORE_PACKAGE, PackageCache
from tests.profiles.conftest import PROFILES, REPO, load_build

build = load_build()

SUSHI_MISSING = not build.SUSHI.exists()


def _sushi_home() -> Path | None:
    """The HOME under which SUSHI finds the package cache (it reads ``~/.fhir/packages``)."""
    cache = Path(os.environ.get("FHIRCARE_PACKAGE_CACHE") or Settings().package_cache).expanduser()
    if cache.name == "packages" and cache.parent.name == ".fhir":
        return cache.parent.parent
    return None


def _core_installed(home: Path) -> bool:
    cache = home / ".fhir" / "packages"
    return PackageCache.from_settings(Settings(package_cache=cache)).is_installed(CORE_PACKAGE)


def _json_files(folder: Path) -> dict[str, Any]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """SUSHI run on a copy of profiles/ without its generated output: (resources folder, log)."""
    if SUSHI_MISSING:
        pytest.skip(f"{build.SUSHI.relative_to(REPO)} is absent: run `npm ci --prefix tools/sushi` (CI does)")
    home = _sushi_home()
    if home is None:
        pytest.skip("FHIRCARE_PACKAGE_CACHE is not a .fhir/packages folder, which is where SUSHI looks")
    if not _core_installed(home):
        pytest.skip(f"{CORE_PACKAGE} is not in {home}/.fhir/packages (fhircare packages install {CORE_PACKAGE})")
    project = tmp_path_factory.mktemp("sushi") / "profiles"
    shutil.copytree(
        PROFILES,
        project,
        ignore=shutil.ignore_patterns("fsh-generated", "package", ".package-*", "__pycache__", "*.py", "README.md"),
    )
    result = build.run_sushi(project, home=home)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"SUSHI failed:\n{log}"
    return project / "fsh-generated" / "resources", log


def test_sushi_reports_no_errors(regenerated: tuple[Path, str]) -> None:
    _, log = regenerated
    assert " 0 Errors " in log, log


def test_committed_json_is_what_sushi_makes(regenerated: tuple[Path, str]) -> None:
    resources, _ = regenerated
    made = _json_files(resources)
    committed = _json_files(build.GENERATED)
    assert sorted(made) == sorted(committed), "file sets differ: run `python profiles/build.py` and commit"
    different = [name for name in made if made[name] != committed[name]]
    assert different == [], f"regenerate with `python profiles/build.py`: {different}"


def test_package_is_what_build_makes_from_fsh_generated() -> None:
    assert build.package_differences() == []


def test_package_manifest() -> None:
    manifest = json.loads((build.PACKAGE / "package.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "fhircare.r4"
    assert manifest["version"] == "0.1.0"
    assert manifest["canonical"] == "https://fhir.fhircare.nhs.uk"
    assert manifest["fhirVersions"] == ["4.0.1"]
    assert manifest["dependencies"] == {"hl7.fhir.r4.core": "4.0.1"}


def test_sushi_is_pinned() -> None:
    manifest = json.loads((REPO / "tools" / "sushi" / "package.json").read_text(encoding="utf-8"))
    assert manifest["dependencies"] == {"fsh-sushi": "3.21.0"}
    lock = json.loads((REPO / "tools" / "sushi" / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/fsh-sushi"]["version"] == "3.21.0"
