"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from fhircare.validation.api import Validator


@pytest.fixture(scope="session")
def core_validator() -> Validator:
    """One validator over the core R4 package (installed on first use), shared: building
    definitions is the slow part, and validation itself keeps no state between calls."""
    return Validator.create()


#: the PostgreSQL server the tests may create databases on (a role allowed to CREATE DATABASE)
PG_ADMIN_URL = os.environ.get("FHIRCARE_TEST_PG_URL", "postgresql://fhircare:fhircare@127.0.0.1:5432/postgres")


def _pg_admin() -> Any:
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("FHIRCARE_TEST_SERVERS") == "required":
            pytest.fail(f"PostgreSQL is required (FHIRCARE_TEST_SERVERS=required) but {PG_ADMIN_URL} refused: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL} (set FHIRCARE_TEST_PG_URL; .ci/run starts one)")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL of a fresh, empty PostgreSQL database, dropped after the test."""
    from sqlalchemy.engine import make_url

    admin = _pg_admin()
    name = f"fhircare_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.close()


def _drop_database(admin: Any, name: str) -> None:
    """Drop a test database that a test may have left connections to.

    Not ``DROP DATABASE ... WITH (FORCE)``: that also terminates an autovacuum worker busy on
    the new database, which a role without superuser or pg_signal_backend may not do (CI saw
    "must be a member of the role whose process is being terminated"). Ending our own role's
    sessions and then a plain DROP is enough: PostgreSQL itself asks autovacuum to leave and
    waits for it (up to 5 s, hence the retries)."""
    import psycopg

    for attempt in range(6):
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 5:
                raise
            time.sleep(0.5)
