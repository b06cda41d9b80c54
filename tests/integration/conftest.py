"""Fixtures for the integration tests: real FHIR servers.

Interim: until the project's own test servers land (tests/fhir-server/), the integration
tests run against the server FHIRCARE_TEST_SERVER_URL names (empty between tests only if it
offers a way: here none, so the tests that need an empty server say so and skip)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest


@dataclass
class ExternalServer:
    name: str
    base_url: str

    def reset(self) -> None:
        pytest.skip("FHIRCARE_TEST_SERVER_URL names a server fhircare cannot empty")


@pytest.fixture(scope="session")
def fhir_server() -> ExternalServer:
    url = os.environ.get("FHIRCARE_TEST_SERVER_URL")
    if not url:
        pytest.skip("no test FHIR server: set FHIRCARE_TEST_SERVER_URL (tests/fhir-server/ starts one)")
    return ExternalServer("external", url.rstrip("/"))
