"""`fhircare packages install` and `validate --ig` against hostile archives (issue 14): limits
on members and unpacked size, archives unpacked privately, and nothing left behind by a
killed install once the next one has run."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from tests.hostile.conftest import assert_clean, fhircare


def manifest(name: str = "example.hostile", version: str = "1.0.0") -> bytes:
    return json.dumps({"name": name, "version": version, "fhirVersions": ["4.0.1"]}).encode()


def tgz(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.startswith(".") and p.name != ".fhircare-install.lock")


def test_an_archive_past_the_unpacked_size_limit_is_refused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    archive = tgz(tmp_path / "bomb.tgz", {"package/package.json": manifest(), "package/big.json": b"0" * 3_000_000})
    env = {"FHIRCARE_PACKAGE_CACHE": str(cache), "FHIRCARE_PACKAGE_MAX_UNPACKED_BYTES": "1000000"}
    run = fhircare("packages", "install", "example.hostile#1.0.0", "--from", str(archive), cwd=tmp_path, env=env)
    assert run.code == 2, run.output
    assert "FHIRCARE_PACKAGE_MAX_UNPACKED_BYTES" in run.stderr and "bomb.tgz" in run.stderr
    assert not (cache / "example.hostile#1.0.0").exists()
    assert leftovers(cache) == []
    assert_clean(run)


def test_an_archive_with_too_many_members_is_refused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    members = {"package/package.json": manifest(), **{f"package/f{i}.json": b"{}" for i in range(300)}}
    archive = tgz(tmp_path / "many.tgz", members)
    env = {"FHIRCARE_PACKAGE_CACHE": str(cache), "FHIRCARE_PACKAGE_MAX_MEMBERS": "100"}
    run = fhircare("packages", "install", "example.hostile#1.0.0", "--from", str(archive), cwd=tmp_path, env=env)
    assert run.code == 2, run.output
    assert "more than 100 members" in run.stderr and "FHIRCARE_PACKAGE_MAX_MEMBERS" in run.stderr
    assert leftovers(cache) == []
    assert_clean(run)


def test_an_ig_archive_is_unpacked_privately_and_removed(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    archive = tgz(tmp_path / "ig.tgz", {"package/package.json": manifest()})
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({"resourceType": "Patient", "id": "p1"}))
    run = fhircare("validate", str(patient), "--ig", str(archive), cwd=tmp_path, env={"TMPDIR": str(temp)})
    assert run.code == 0, run.output
    assert list(temp.iterdir()) == []  # nothing predictable, nothing kept, nothing to reuse
    assert_clean(run)


def test_a_refused_ig_archive_fails_every_time(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    archive = tgz(tmp_path / "ig.tgz", {"package/package.json": manifest(), "package/big.json": b"0" * 200_000})
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({"resourceType": "Patient", "id": "p1"}))
    env = {"TMPDIR": str(temp), "FHIRCARE_PACKAGE_MAX_UNPACKED_BYTES": "100000"}
    for _ in range(2):  # a half-finished first attempt is never reused by the second
        run = fhircare("validate", str(patient), "--ig", str(archive), cwd=tmp_path, env=env)
        assert run.code == 2, run.output
        assert "FHIRCARE_PACKAGE_MAX_UNPACKED_BYTES" in run.stderr
        assert list(temp.iterdir()) == []
        assert_clean(run)


def test_a_killed_install_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    source = tmp_path / "big" / "package"
    source.mkdir(parents=True)
    (source / "package.json").write_bytes(manifest("example.big"))
    filler = json.dumps({"resourceType": "Basic", "id": "x", "code": {"text": "y" * 20_000}}).encode()
    for i in range(4000):
        (source / f"Basic-{i}.json").write_bytes(filler)
    env = {**os.environ, "FHIRCARE_PACKAGE_CACHE": str(cache), "FHIRCARE_PACKAGE_REGISTRY_URL": ""}
    tries = 0
    while tries < 20:
        tries += 1
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fhircare",
                "packages",
                "install",
                "example.big#1.0.0",
                "--from",
                str(source.parent),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not (cache.is_dir() and leftovers(cache)) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if leftovers(cache):
            break
    assert leftovers(cache), f"no install was caught half-way in {tries} tries"
    small = tmp_path / "small" / "package"
    small.mkdir(parents=True)
    (small / "package.json").write_bytes(manifest("example.small"))
    run = fhircare(
        "packages",
        "install",
        "example.small#1.0.0",
        "--from",
        str(small.parent),
        cwd=tmp_path,
        env={"FHIRCARE_PACKAGE_CACHE": str(cache)},
    )
    assert run.code == 0, run.output
    assert leftovers(cache) == []
    assert_clean(run)
