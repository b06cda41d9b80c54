"""Fixtures for the integration tests: real FHIR servers.

Interim: until the project's own test servers land (tests/fhir-server/), the integration
tests run against the server FHIRCARE_TEST_SERVER_URL names, emptied between tests by the
shell command FHIRCARE_TEST_SERVER_RESET when one is given (otherwise the tests that need an
empty server skip, saying why)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

import pytest


@dataclass
class ExternalServer:
    name: str
    base_url: str

    def reset(self) -> None:
        command = os.environ.get("FHIRCARE_TEST_SERVER_RESET")
        if not command:
            pytest.skip("FHIRCARE_TEST_SERVER_URL names a server fhircare cannot empty (FHIRCARE_TEST_SERVER_RESET)")
        subprocess.run(command, shell=True, check=True)


@pytest.fixture(scope="session")
def fhir_server() -> ExternalServer:
    url = os.environ.get("FHIRCARE_TEST_SERVER_URL")
    if not url:
        pytest.skip("no test FHIR server: set FHIRCARE_TEST_SERVER_URL (tests/fhir-server/ starts one)")
    return ExternalServer("external", url.rstrip("/"))
