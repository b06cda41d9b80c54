"""Opening stores: the migrated schema is exactly the one the code uses, an older store is
brought up to date, a store from a newer fhircare is refused, and the locks refuse a
second load (or SQLite sync) at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from fhircare.errors import StoreBusyError, StoreVersionError, UsageError
from fhircare.store import records
from fhircare.store.db import head_revision, open_store_engine
from fhircare.store.locks import LOAD, RUN, SYNC, store_lock
from fhircare.store.schema import metadata


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_migrations_create_exactly_the_schema_the_code_uses(
    tmp_path: Path, dialect: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if dialect == "postgresql" else f"sqlite:///{tmp_path / 's.sqlite'}"
    engine = open_store_engine(url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        assert len(records.store_id(conn)) == 36


def test_opening_twice_keeps_the_store_and_its_id(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    with open_store_engine(url).connect() as conn:
        first = records.store_id(conn)
    with open_store_engine(url).connect() as conn:
        assert records.store_id(conn) == first


def test_a_store_written_by_a_newer_fhircare_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    open_store_engine(url).dispose()
    raw = create_engine(url)
    with raw.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    raw.dispose()
    with pytest.raises(StoreVersionError, match="newer fhircare"):
        open_store_engine(url)


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "mysql://x/y", "not a url"])
def test_unusable_store_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        open_store_engine(url)


@pytest.mark.parametrize("name", [LOAD, SYNC, RUN])
def test_a_second_holder_of_a_sqlite_lock_is_refused_at_once(tmp_path: Path, name: str) -> None:
    engine = open_store_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    other = open_store_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    with store_lock(engine, name), pytest.raises(StoreBusyError), store_lock(other, name):
        pass
    with store_lock(other, name):  # released with the block
        pass
