"""`fhircare partners`: keygen keeps an existing key pair unless --force."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fhircare.cli import app


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
