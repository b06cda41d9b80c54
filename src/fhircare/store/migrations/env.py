"""Alembic environment of the record store: migrations run on the connection the store
hands over (``config.attributes["connection"]``), never on a URL read from a file."""

from __future__ import annotations

from alembic import context

from fhircare.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things: batch mode rebuilds tables instead
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
