"""`fhircare serve` says on stderr where it listens (one line, at any log level, with the
store's URL and nothing of what it serves), and a port in use is a clear error with exit 2
rather than uvicorn's logged error and exit 3. No server is started: uvicorn's
Server.run is replaced."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fhircare.cli import app
from fhircare.store.db import open_store_engine


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store_engine(url).dispose()
    return url


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ports uvicorn was handed a socket on (it serves none of them)."""
    ports: list[int] = []

    def run(self: Any, sockets: list[socket.socket] | None = None) -> None:
        assert sockets is not None
        ports.extend(int(s.getsockname()[1]) for s in sockets)
        self.started = True

    monkeypatch.setattr("uvicorn.Server.run", run)
    return ports


def test_serve_says_where_it_listens_on_stderr(store: str, served: list[int]) -> None:
    result = CliRunner().invoke(app, ["serve", "--store", store, "--port", "0"])
    assert result.exit_code == 0, result.output
    [port] = served
    line = " ".join(result.stderr.split())
    assert line.startswith(f"Serving the partner API on http://127.0.0.1:{port} (store {store};")
    assert "no personal data" in line and result.stdout == ""


def test_a_port_in_use_is_a_usage_error(store: str, served: list[int]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        result = CliRunner().invoke(app, ["serve", "--store", store, "--port", str(port)])
    assert result.exit_code == 2, result.output
    error = " ".join(result.stderr.split())
    assert error.startswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "--port" in error and "Serving" not in error and served == []
