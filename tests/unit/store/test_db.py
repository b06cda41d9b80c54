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


def test_a_new_sqlite_store_and_its_wal_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    # the store holds personal data, as bundles.ndjson and rejects.jsonl do (0600)
    import os
    import stat

    database = tmp_path / "new" / "s.sqlite"
    previous = os.umask(0o022)
    try:
        engine = open_store_engine(f"sqlite:///{database}")
        with engine.connect() as conn:  # the -wal and -shm files exist while it is open
            conn.execute(text("SELECT 1"))
            files = [database, database.with_name("s.sqlite-wal"), database.with_name("s.sqlite-shm")]
            modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
        engine.dispose()
    finally:
        os.umask(previous)
    assert modes == {"s.sqlite": 0o600, "s.sqlite-wal": 0o600, "s.sqlite-shm": 0o600}
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
