"""The partner API's activity per client (``store.audit.activity``, behind ``fhircare partners
activity``), on SQLite and PostgreSQL: requests, refusals and distinct service users named
since a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from fhircare.store import audit
from tests.unit.store.conftest import engine as engine  # the store fixtures

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _event(
    n: int, client: str | None, patients: tuple[str, ...], *, outcome: str = "0", hours: float = 1
) -> audit.AuditRow:
    return audit.AuditRow(f"e{n}", NOW - timedelta(hours=hours), client, "read", outcome, b"{}", patients)


def test_activity_counts_each_service_user_once_per_client_within_the_period(engine: Engine) -> None:
    with engine.begin() as conn:
        audit.write(
            conn,
            [
                _event(1, "urgent", ("Patient/a",)),
                _event(2, "urgent", ("Patient/b",)),
                _event(3, "urgent", ("Patient/a",), outcome="4"),
                _event(4, "gp", ("Patient/a", "Patient/c")),
                _event(5, "gp", ("Patient/d",), hours=25),
                _event(6, None, (), outcome="4"),
            ],
        )
    with engine.connect() as conn:
        found = audit.activity(conn, NOW - timedelta(hours=24))
    # most service users first, then most requests
    assert found == [
        audit.ClientActivity("urgent", 3, 1, 2),
        audit.ClientActivity("gp", 1, 0, 2),
        audit.ClientActivity(None, 1, 1, 0),
    ]
