"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from fhircare.validation.api import Validator


@pytest.fixture(scope="session")
def core_validator() -> Validator:
    """One validator over the core R4 package (installed on first use), shared: building
    definitions is the slow part, and validation itself keeps no state between calls."""
    return Validator.create()
