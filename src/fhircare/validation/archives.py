"""Package archives (``.tgz``): unpacked within limits, never outside the target folder.

Used for ``fhircare packages install`` (unpacked beside the cache, then renamed in) and
for ``--ig some.tgz`` (unpacked into a private folder of this run, removed at exit). An
archive is refused, before anything is written, when it has more members than
``max_members`` or its files add up to more than ``max_unpacked_bytes`` (the sizes its
headers declare are the sizes written), or when a member is a link, a special file or a
path leaving the folder.
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fhircare.errors import LimitExceededError, PackageError, PackageUnreadableError


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_members: int = 50_000
    max_unpacked_bytes: int = 1024 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> ArchiveLimits:
        return cls(settings.package_max_members, settings.package_max_unpacked_bytes)


def extract_tgz(tgz: Path, dest: Path, limits: ArchiveLimits | None = None) -> None:
    """Unpack a package ``.tgz`` into ``dest``; refuse links, special files, paths leaving
    ``dest`` and archives past the limits (checked on the headers, before writing)."""
    limits = limits or ArchiveLimits()
    try:
        with tarfile.open(tgz, "r:gz") as tar:
            members = []
            total = 0
            for member in tar:  # headers one by one: a bomb of members stops at the limit
                members.append(member)
                if len(members) > limits.max_members:
                    raise LimitExceededError(
                        f"{tgz.name}: more than {limits.max_members} members, past the limit"
                        " (FHIRCARE_PACKAGE_MAX_MEMBERS); refusing the package",
                        file=tgz,
                    )
                total += max(member.size, 0)
                if total > limits.max_unpacked_bytes:
                    raise LimitExceededError(
                        f"{tgz.name}: unpacks to more than {limits.max_unpacked_bytes} bytes, past the limit"
                        " (FHIRCARE_PACKAGE_MAX_UNPACKED_BYTES); refusing the package",
                        file=tgz,
                    )
                path = PurePosixPath(member.name)
                if path.is_absolute() or ".." in path.parts or "\\" in member.name:
                    raise PackageError(
                        f"{tgz.name}: member '{member.name}' would be written outside the"
                        " package folder; refusing the package"
                    )
                if not (member.isfile() or member.isdir()):
                    raise PackageError(
                        f"{tgz.name}: member '{member.name}' is a link or special file; refusing the package"
                    )
            tar.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise PackageUnreadableError(f"{tgz} is not a readable .tgz package ({exc})") from exc


def unpack_ig(tgz: Path, limits: ArchiveLimits | None = None) -> Path:
    """An IG ``.tgz`` unpacked into a new private folder of this process (mode 0700, made
    with mkdtemp, removed at exit): never a shared or predictable folder, never one a
    previous, interrupted run left half-filled. Returns its ``package/`` folder (or the
    folder itself when the archive has none)."""
    folder = Path(tempfile.mkdtemp(prefix="fhircare-ig-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    try:
        extract_tgz(tgz, folder, limits)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder / "package" if (folder / "package").is_dir() else folder
