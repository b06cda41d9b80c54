"""Fingerprints that say when mapping a service user again would give the same result.

Mapping is a pure function of a service user's records, the mapping file, the day the
extract is mapped as of and fhircare's own code and profiles; validation adds the
implementation guides loaded. A service user whose records hash to the fingerprint the
store kept from the last load, under the same run fingerprint, is not mapped again: that
is what makes a daily load of a large, mostly unchanged extract quick.

Two fingerprints are kept per service user. The *rows* fingerprint hashes the extract rows
their records are read from, and the trust directory's rows (staff, teams, organisations),
as the reader grouped them, before any record is built (``Extract.row_digests``): when it
is what the store kept, the service user is not even read into records. The *records*
fingerprint hashes the records read (``model_dump_json``, the directory entries they refer
to included): when a directory row changed, every service user's rows fingerprint differs,
their records are read again, and only those whose records changed are mapped again. Where
a row stands in its file (file name, line) is in neither: the next day's extract, with new
file names and rows in new places, still matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

import fhircare

_PACKAGE = Path(fhircare.__file__).resolve().parent
#: the code whose output a fingerprint vouches for
_CODE_FOLDERS = ("source", "mapping", "store")


@cache
def code_fingerprint() -> str:
    """A hash of fhircare's reading, mapping and storing code (the files' bytes)."""
    digest = hashlib.sha256(fhircare.__version__.encode())
    for folder in _CODE_FOLDERS:
        for path in sorted((_PACKAGE / folder).rglob("*.py")):
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def folder_fingerprint(folder: Path) -> str:
    """A hash of the names, sizes and modification times of a folder's files (a package
    or IG folder: cheap, and any edit changes it)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def run_fingerprint(
    *, mapping_sha256: str, as_of: date, profiles: Path | None, igs: Iterable[Path], validating: bool
) -> str:
    """Everything besides a service user's own records that their mapped output depends on."""
    parts = [code_fingerprint(), mapping_sha256, as_of.isoformat(), "validated" if validating else "unvalidated"]
    for folder in [*([profiles] if profiles is not None else []), *igs]:
        resolved = folder.resolve()
        parts.append(f"{resolved}:{folder_fingerprint(resolved) if resolved.is_dir() else _file_hash(resolved)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return _file_hash(path)


def service_user_fingerprint(record_json: bytes, run: str) -> str:
    return hashlib.sha256(run.encode() + b"\n" + record_json).hexdigest()


def rows_fingerprint(row_digest: bytes, run: str) -> str:
    return hashlib.sha256(run.encode() + b"\n" + row_digest).hexdigest()
