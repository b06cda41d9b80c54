"""The index of a FHIR package folder: one row per conformance resource file.

Building the index parses every JSON file in the folder (seconds for the core
package), so it is saved as ``.fhircare-index.json`` in the folder together with the
folder's resource-file count and newest modification time; a later call that finds
both unchanged loads the saved rows instead (milliseconds). Folders that must not be
written (read-only ones, such as a shared reference copy) are indexed in memory only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import astuple, dataclass
from pathlib import Path

import orjson
import structlog

__all__ = ["INDEXED_TYPES", "INDEX_FILENAME", "IndexEntry", "index_folder", "resource_files"]

log = structlog.get_logger(__name__)

INDEX_FILENAME = ".fhircare-index.json"
#: bump when the saved rows change shape; older saved indexes are then rebuilt
INDEX_FORMAT = 3
INDEXED_TYPES = frozenset(
    {
        "ImplementationGuide",
        "StructureDefinition",
        "ValueSet",
        "CodeSystem",
        "ConceptMap",
        "NamingSystem",
        "SearchParameter",
        "Questionnaire",
    }
)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One conformance resource file of a package folder.

    ``type`` and ``kind`` are the resource's own ``type`` / ``kind`` elements where
    they are strings (a StructureDefinition's type and kind, a SearchParameter's
    type, a NamingSystem's kind), else None.
    """

    filename: str
    resource_type: str
    url: str | None
    version: str | None
    name: str | None
    type: str | None
    kind: str | None
    derivation: str | None
    base_definition: str | None


def resource_files(folder: Path) -> list[os.DirEntry[str]]:
    """The JSON resource files directly in ``folder`` (no dot files, no package.json)."""
    with os.scandir(folder) as entries:
        return [
            entry
            for entry in entries
            if entry.name.endswith(".json")
            and not entry.name.startswith(".")
            and entry.name != "package.json"
            and entry.is_file()
        ]


def index_folder(folder: Path, *, persist: bool = True) -> list[IndexEntry]:
    """Index the conformance resources in ``folder`` (not its sub-folders).

    ``persist=False`` keeps the index in memory: for folders that are not ours to
    write into (an IG folder in someone's repository, a shared reference copy).

    Files that cannot be read or are not JSON are skipped with a logged warning
    naming the file; JSON that is not one of :data:`INDEXED_TYPES` is skipped quietly.
    """
    files = resource_files(folder)
    stamp = {
        "format": INDEX_FORMAT,
        "file_count": len(files),
        "max_mtime_ns": max((entry.stat().st_mtime_ns for entry in files), default=0),
    }
    saved = folder / INDEX_FILENAME
    entries = _load(saved, stamp)
    if entries is not None:
        return entries
    entries = _build(folder, files)
    if persist and _writable(folder):
        _save(saved, stamp, entries)
    return entries


def _load(saved: Path, stamp: dict[str, int]) -> list[IndexEntry] | None:
    try:
        data = orjson.loads(saved.read_bytes())
        if any(data.get(key) != value for key, value in stamp.items()):
            return None
        return [IndexEntry(*row) for row in data["entries"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.info("package_index_rebuilt", file=str(saved), reason=type(exc).__name__)
        return None


def _build(folder: Path, files: list[os.DirEntry[str]]) -> list[IndexEntry]:
    entries = []
    for entry in sorted(files, key=lambda e: e.name):
        try:
            resource = orjson.loads(Path(entry.path).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            log.warning(
                "package_file_skipped",
                folder=str(folder),
                file=entry.name,
                # orjson's message gives line and column; neither echoes the content
                reason=str(exc) if isinstance(exc, orjson.JSONDecodeError) else type(exc).__name__,
            )
            continue
        if not isinstance(resource, dict):
            continue
        resource_type = resource.get("resourceType")
        if resource_type not in INDEXED_TYPES:
            continue
        entries.append(
            IndexEntry(
                entry.name,
                resource_type,
                *(_text(resource, key) for key in _INDEXED_ELEMENTS),
            )
        )
    return entries


_INDEXED_ELEMENTS = ("url", "version", "name", "type", "kind", "derivation", "baseDefinition")


def _text(resource: dict[str, object], key: str) -> str | None:
    value = resource.get(key)
    return value if isinstance(value, str) else None


def _writable(folder: Path) -> bool:
    # Mode bits as well as access(): a folder marked read-only (like the shared UK Core
    # copy) is left alone even by a user, such as root, whom access() would let write.
    try:
        return bool(folder.stat().st_mode & 0o222) and os.access(folder, os.W_OK)
    except OSError:
        return False


def _save(saved: Path, stamp: dict[str, int], entries: list[IndexEntry]) -> None:
    payload = orjson.dumps({**stamp, "entries": [astuple(entry) for entry in entries]})
    try:
        handle, temp = tempfile.mkstemp(prefix=INDEX_FILENAME, dir=saved.parent)
    except OSError as exc:
        log.info("package_index_not_saved", file=str(saved), reason=type(exc).__name__)
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.chmod(temp, 0o644)
        os.replace(temp, saved)
    except OSError as exc:
        log.info("package_index_not_saved", file=str(saved), reason=type(exc).__name__)
        with contextlib.suppress(OSError):
            os.unlink(temp)
