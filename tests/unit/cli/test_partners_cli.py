"""`fhircare partners`: keygen keeps an existing key pair unless --force; a partner is
registered by its ODS code, or by --identifier SYSTEM|VALUE when it has none (a VCSE
partner), and one of the two is required."""

from __future__ import annotations

import stat
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from fhircare.cli import app
from fhircare.store.db import open_store_engine

VCSE = "https://trust.example.nhs.uk/Id/organisation|VCSE01"


def _keygen(tmp_path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["partners", "keygen", "--out", str(tmp_path / "key.pem"), "--jwks", str(tmp_path / "k.jwks.json"), *extra]
    )
    return result.exit_code, " ".join(result.stderr.split())


@pytest.mark.parametrize("existing", ["key.pem", "k.jwks.json"])
def test_keygen_refuses_to_overwrite_an_existing_file(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_bytes(b"the partner's registered key\n")
    code, error = _keygen(tmp_path)
    assert code == 2
    assert str(tmp_path / existing) in error and "--force" in error
    assert (tmp_path / existing).read_bytes() == b"the partner's registered key\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]  # nothing else written


def test_keygen_overwrites_with_force_and_the_key_is_private(tmp_path: Path) -> None:
    assert _keygen(tmp_path)[0] == 0
    first = (tmp_path / "key.pem").read_bytes()
    (tmp_path / "key.pem").chmod(0o644)
    assert _keygen(tmp_path, "--force")[0] == 0
    assert (tmp_path / "key.pem").read_bytes() != first
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600


def _add(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    store = tmp_path / "store.sqlite"
    if not store.exists():
        open_store_engine(f"sqlite:///{store}").dispose()
    if not (tmp_path / "k.jwks.json").exists():
        assert _keygen(tmp_path)[0] == 0
    result = CliRunner().invoke(
        app,
        [
            "partners",
            "add",
            "--name",
            "Synthetic Peer Support",
            *args,
            "--jwks",
            str(tmp_path / "k.jwks.json"),
            "--scopes",
            "system/*.rs",
            "--store",
            f"sqlite:///{store}",
            "--format",
            "json",
        ],
    )
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def test_a_vcse_partner_without_an_ods_code_is_registered_by_its_identifier(tmp_path: Path) -> None:
    code, out, error = _add(tmp_path, "--type", "vcse", "--identifier", VCSE)
    assert code == 0, error
    client_id = orjson.loads(out)["client_id"]
    listed = CliRunner().invoke(
        app, ["partners", "list", "--store", f"sqlite:///{tmp_path / 'store.sqlite'}", "--format", "json"]
    )
    [partner] = orjson.loads(listed.stdout)["partners"]
    assert partner["client_id"] == client_id
    assert partner["ods_code"] is None and partner["organization_identifier"] == VCSE


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "--ods CODE, or --identifier SYSTEM|VALUE"),
        (["--identifier", "VCSE01"], "SYSTEM|VALUE"),
        (["--identifier", "|VCSE01"], "SYSTEM|VALUE"),
    ],
)
def test_a_partner_needs_an_ods_code_or_a_whole_identifier(tmp_path: Path, args: list[str], says: str) -> None:
    code, _out, error = _add(tmp_path, "--type", "vcse", *args)
    assert code == 2 and says in error


def test_an_audit_event_names_a_partner_without_an_ods_code_by_its_identifier() -> None:
    from datetime import UTC, datetime

    from fhircare.api.service import _organisation
    from fhircare.store.partners import Partner

    partner = Partner("c", "Synthetic Peer Support", None, VCSE, "vcse", None, None, (), datetime.now(UTC), None)
    assert _organisation(partner) == ("Synthetic Peer Support", *VCSE.split("|"))


def test_the_partner_list_shows_each_client_id_whole_in_80_columns(tmp_path: Path) -> None:
    # the id is what `partners remove` takes: it was cut to "5df3ff27-d327-4…" in a pipe
    code, out, error = _add(tmp_path, "--type", "vcse", "--identifier", VCSE)
    assert code == 0, error
    client_id = orjson.loads(out)["client_id"]
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    # an 80-column terminal (COLUMNS decides; output to a pipe is wider: common.PIPED_WIDTH)
    listed = CliRunner().invoke(app, ["partners", "list", "--store", store], env={"COLUMNS": "80"})
    assert listed.exit_code == 0
    assert client_id in listed.stdout
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80


def test_activity_flags_a_partner_naming_more_service_users_than_its_work_explains(tmp_path: Path) -> None:
    """Urgent care may read anyone it names, one at a time, and a resource's id can be worked
    out from the trust's local ids (P000001, P000002, ...): reading everyone that way is
    allowed request by request, and visible only in the AuditEvents. `partners activity`
    counts, per partner over a period, the distinct service users its requests named, and
    exits 1 when one named more than --over (a daily check; API review, 2026-12-07)."""
    from datetime import UTC, datetime, timedelta

    from fhircare.store import audit

    code, out, error = _add(tmp_path, "--type", "vcse", "--identifier", VCSE)
    assert code == 0, error
    client_id = orjson.loads(out)["client_id"]
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    now = datetime.now(UTC)

    def event(
        n: int, client: str | None, patients: tuple[str, ...], outcome: str = "0", hours: int = 1
    ) -> audit.AuditRow:
        return audit.AuditRow(f"e{n}", now - timedelta(hours=hours), client, "read", outcome, b"{}", patients)

    engine = open_store_engine(store)
    with engine.begin() as conn:
        audit.write(
            conn,
            [
                *(event(n, client_id, (f"Patient/p{n}",)) for n in range(3)),
                event(3, client_id, ("Patient/p0",)),  # the same person again: still 3
                event(4, client_id, ("Patient/p9",), hours=30),  # before the period
                event(5, None, (), outcome="4"),  # a forged token
            ],
        )
    engine.dispose()

    def activity(*args: str) -> tuple[int, dict[str, object]]:
        found = CliRunner().invoke(app, ["partners", "activity", "--store", store, "--format", "json", *args])
        return found.exit_code, orjson.loads(found.stdout)

    code, report = activity("--over", "2")
    assert code == 1
    partner, unidentified = report["partners"]  # type: ignore[misc]
    assert partner == {
        "client_id": client_id,
        "name": "Synthetic Peer Support",
        "type": "vcse",
        "requests": 4,
        "refused": 0,
        "serviceUsers": 3,
        "over": True,
    }
    assert unidentified["client_id"] is None and unidentified["refused"] == 1 and not unidentified["over"]
    assert "Patient/p0" not in orjson.dumps(report).decode()  # counts only: no one named
    assert activity("--over", "3")[0] == 0
    assert activity("--over", "3", "--hours", "48")[1]["partners"][0]["serviceUsers"] == 4  # type: ignore[index]
