"""A store that does not exist is refused by every command that only reads it or adds to it
(sync, serve, outbox, partners): a mistyped --store used to be created empty and read as a
store with nothing in it ("Synced 0", an empty API, "no partner"). Only load and run create
a store. The refusal names the path, says to run `fhircare load` first, exits 2 and leaves
nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fhircare.cli import app
from fhircare.errors import StoreMissingError
from fhircare.store.db import open_store_engine

COMMANDS = {
    "sync": ["sync", "--target", "http://127.0.0.1:9/fhir"],
    # serve opens the store before it listens: refused here, no server is started
    "serve": ["serve", "--port", "9"],
    "outbox status": ["outbox", "status"],
    "outbox dead-letters": ["outbox", "dead-letters"],
    "outbox retry": ["outbox", "retry"],
    "partners list": ["partners", "list"],
    "partners remove": ["partners", "remove", "0b0d0000-0000-0000-0000-000000000000"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_that_reads_a_store_refuses_one_that_does_not_exist(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_server(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("serve started a server on a store that does not exist")

    monkeypatch.setattr("uvicorn.run", no_server)
    missing = tmp_path / "typo" / "stroe.sqlite"
    result = CliRunner().invoke(app, [*COMMANDS[name], "--store", f"sqlite:///{missing}"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())  # rich may wrap a long line
    assert str(missing) in message and "fhircare load" in message
    assert not missing.exists() and not missing.parent.exists()


def test_partners_add_refuses_a_store_that_does_not_exist(tmp_path: Path) -> None:
    # the README registers partners in the store `fhircare load` filled: one with no
    # records is almost certainly a mistyped --store
    jwks = tmp_path / "gp.jwks.json"
    keygen = CliRunner().invoke(app, ["partners", "keygen", "--out", str(tmp_path / "gp-key.pem"), "--jwks", str(jwks)])
    assert keygen.exit_code == 0, keygen.output
    missing = tmp_path / "stroe.sqlite"
    add = ["partners", "add", "--name", "Synthetic Lane Surgery", "--ods", "ZZ9001", "--type", "gp"]
    result = CliRunner().invoke(
        app, [*add, "--jwks", str(jwks), "--scopes", "system/*.rs", "--store", f"sqlite:///{missing}"]
    )
    assert result.exit_code == 2, result.output
    assert "fhircare load" in " ".join(result.stderr.split()) and not missing.exists()


def test_an_existing_store_is_still_opened(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store_engine(store).dispose()
    result = CliRunner().invoke(app, ["outbox", "status", "--store", store])
    assert result.exit_code == 0, result.output


def test_an_empty_database_is_not_a_store_when_it_may_not_be_created(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreMissingError, match="no fhircare record store"):
        open_store_engine(f"sqlite:///{empty}", create=False)


def test_a_postgresql_database_without_fhircare_schema_is_refused(pg_url: str) -> None:
    with pytest.raises(StoreMissingError, match="fhircare load"):
        open_store_engine(pg_url, create=False)
    open_store_engine(pg_url).dispose()  # created when it may be (load, run)
    open_store_engine(pg_url, create=False).dispose()


def test_retrying_a_dead_letter_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    # it said "Requeued 0 dead-lettered rows" and exited 0
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store_engine(store).dispose()
    result = CliRunner().invoke(app, ["outbox", "retry", "--id", "5", "--store", store])
    assert result.exit_code == 2
    assert "--id 5: no such dead letter" in " ".join(result.stderr.split())
