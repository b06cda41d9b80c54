"""Opening the record store: an engine for its URL, its schema brought up to date.

A SQLite file is the default (nothing to run); PostgreSQL is the production store. The
schema is managed by Alembic (``store/migrations``): opening a store created by an older
fhircare upgrades it, and a store written by a newer fhircare (a revision this one does
not know) is refused rather than misread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from fhircare.errors import StoreError, StoreMissingError, StoreVersionError, UsageError

#: SQLite waits this long for another connection's write lock before giving up
_SQLITE_BUSY_MS = 30_000


@dataclass(frozen=True)
class StoreInfo:
    """Where a store lives, said without its password."""

    url: str
    dialect: str

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("fhircare.store") / "migrations"))
    return config


def head_revision() -> str:
    """The newest schema revision this fhircare knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: transactions begin where SQLAlchemy
    # begins them (see _sqlite_begin), deferred or IMMEDIATE as the caller asks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; NORMAL sync is durable across crashes of the
    # process (what the outbox needs), and only risks the last commits on power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A transaction that will write takes SQLite's write lock when it begins (IMMEDIATE):
    # one that read first and then wrote could fail at once, whatever the busy timeout,
    # when another connection committed in between.
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


#: execution option naming how a SQLite transaction begins (see :func:`writer`)
_BEGIN_OPTION = "fhircare_sqlite_begin"


def writer(engine: Engine) -> Engine:
    """The engine to run write transactions on: on SQLite they take the write lock as they
    begin (waiting up to the busy timeout); on PostgreSQL it is ``engine`` itself."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})


def _create_private_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by its owner only, before SQLite
    opens it: it holds personal data. SQLite gives its -wal, -shm and -journal files the
    database file's permissions. An existing file is left as it is."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    os.close(fd)


#: what a command that needs an existing store says when there is none
_RUN_LOAD_FIRST = "run `fhircare load --store ...` first to create and fill it, or check --store / FHIRCARE_STORE_URL"


def create_store_engine(url: str, *, pool_size: int = 5, create: bool = True) -> Engine:
    """An engine for a store URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
    A SQLite file is created (owner-only, 0600) with its folder, unless ``create`` is
    false: then a missing file raises StoreMissingError. Nothing is migrated here (see
    :func:`open_store_engine`)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(f"store URL is not a database URL: {url!r} (try sqlite:///store.sqlite)") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise UsageError("the store must be a file (sqlite:///path/store.sqlite) or a PostgreSQL URL")
        path = Path(database).expanduser()
        if create:
            _create_private_file(path)
        elif not path.is_file():
            raise StoreMissingError(f"no record store at {path}: {_RUN_LOAD_FIRST}")
        engine = create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_MS / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise UsageError(f"store URL: {parsed.get_backend_name()} is not supported (use sqlite or postgresql)")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def describe(engine: Engine) -> StoreInfo:
    return StoreInfo(engine.url.render_as_string(hide_password=True), engine.dialect.name)


def migrate(engine: Engine, *, create: bool = True) -> None:
    """Bring the store's schema to this fhircare's head revision (creating it in an empty
    database, unless ``create`` is false: then an empty database raises StoreMissingError).
    A revision this fhircare does not know means a newer fhircare wrote the store: refused,
    so that nothing is written in a layout it does not understand."""
    info = describe(engine)
    script = ScriptDirectory.from_config(_alembic_config())
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise StoreError(f"cannot open the store {info.url}: {_reason(exc)}") from None
    if current is None and not create:
        raise StoreMissingError(f"the database {info.url} holds no fhircare record store: {_RUN_LOAD_FIRST}")
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:  # alembic raises several kinds for an unknown revision
            raise StoreVersionError(
                f"the store {info.url} has schema revision {current}, which this fhircare does not know"
                f" (it knows up to {head_revision()}): it was written by a newer fhircare; upgrade fhircare"
            ) from None
        if current == script.get_current_head():
            return
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the store {info.url}: {_reason(exc)}") from None


def _reason(exc: SQLAlchemyError) -> str:
    """The database's own words, first line only (no SQL, no parameters)."""
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__


def open_store_engine(url: str, *, pool_size: int = 5, create: bool = True) -> Engine:
    """An engine on a store whose schema is current (migrated when older). With ``create``
    false, a store that does not exist yet (no SQLite file, no fhircare schema in the
    database) raises StoreMissingError instead of being created empty."""
    engine = create_store_engine(url, pool_size=pool_size, create=create)
    try:
        migrate(engine, create=create)
    except StoreError:
        engine.dispose()
        raise
    return engine
