"""`fhircare sync --format json`: a sync that stops (exit 2: the target does not answer)
still prints its summary as JSON on stdout, marked stopped, so a job reading stdout learns
what was sent; the error itself is on stderr."""

from __future__ import annotations

import socket
from pathlib import Path

import orjson
from typer.testing import CliRunner

from fhircare.cli import app
from fhircare.store.db import open_store_engine


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_sync_that_stops_still_prints_its_summary_as_json(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store_engine(store).dispose()  # an empty store: the target is asked first
    result = CliRunner().invoke(
        app,
        ["sync", "--target", f"http://127.0.0.1:{_closed_port()}/fhir", "--store", store, "--format", "json"],
        env={"FHIRCARE_SYNC_MAX_ATTEMPTS": "1", "FHIRCARE_SYNC_CONNECT_TIMEOUT_SECONDS": "1"},
    )
    assert result.exit_code == 2, result.output
    report = orjson.loads(result.stdout)
    assert report["stopped"] is True and report["exitCode"] == 2
    assert report["sync"]["transactions"] == 0 and report["sync"]["target"].endswith("/fhir")


def test_each_commands_help_gives_its_own_exit_codes() -> None:
    # load's help spoke of syncing and dead letters; sync's asked for conditional update,
    # which fhircare never sends (found by the newcomer walkthrough)
    env = {"COLUMNS": "200"}
    load = " ".join(CliRunner().invoke(app, ["load", "--help"], env=env).stdout.split())
    sync = " ".join(CliRunner().invoke(app, ["sync", "--help"], env=env).stdout.split())
    assert "dead-letter" not in load and "synced" not in load and "0 everything loaded;" in load
    assert "conditional update" not in sync and "update as create" in sync and "0 everything synced;" in sync
