"""A temporary SQLite file that groups an extract's rows by service user.

Why: extract files are one per record type, in whatever order the EPR wrote them, and a
child row (a goal, a rating) may name only its parent, not its service user. Holding the
extract in memory to group it does not scale; requiring every file to be sorted by
service user would push a sort onto every trust and still leave child rows unattributed.
So each converted row is appended here once (streaming), parents are resolved and
duplicate ids found with indexed SQL, and service users are then read back one at a
time. Memory stays bounded by one service user's rows; disk use is about the size of the
extract. The file lives in a temporary folder and is deleted when the reader closes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from fhircare.source.results import Problem

_SCHEMA = """
CREATE TABLE rows (
    seq INTEGER PRIMARY KEY,
    rtype TEXT NOT NULL,
    rkey TEXT,
    su TEXT,
    own_su TEXT,
    parent_type TEXT,
    parent_key TEXT,
    parent_su TEXT,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    data BLOB,
    problems BLOB
);
CREATE TABLE dups (rtype TEXT NOT NULL, rkey TEXT NOT NULL, places TEXT NOT NULL, PRIMARY KEY (rtype, rkey));
CREATE TABLE blocked (file TEXT NOT NULL, su TEXT, line INTEGER NOT NULL, parent_type TEXT, parent_key TEXT);
"""

#: rows sent to SQLite per executemany
_BATCH = 2000


@dataclass(frozen=True)
class StoredRow:
    rtype: str
    key: str | None
    su: str | None
    own_su: str | None
    parent_type: str | None
    parent_key: str | None
    parent_su: str | None
    file: str
    line: int
    data: dict[str, object] | None
    problems: tuple[Problem, ...]
    duplicate_places: str | None = None


_COLUMNS = (
    "r.rtype, r.rkey, r.su, r.own_su, r.parent_type, r.parent_key, r.parent_su, r.file, r.line, r.data, r.problems"
)


def _row(values: tuple[object, ...], duplicate: object = None) -> StoredRow:
    rtype, key, su, own_su, parent_type, parent_key, parent_su, file, line, data, problems = values
    return StoredRow(
        rtype=str(rtype),
        key=None if key is None else str(key),
        su=None if su is None else str(su),
        own_su=None if own_su is None else str(own_su),
        parent_type=None if parent_type is None else str(parent_type),
        parent_key=None if parent_key is None else str(parent_key),
        parent_su=None if parent_su is None else str(parent_su),
        file=str(file),
        line=int(str(line)),
        data=orjson.loads(data) if isinstance(data, bytes) else None,
        problems=tuple(Problem(**p) for p in orjson.loads(problems)) if isinstance(problems, bytes) else (),
        duplicate_places=None if duplicate is None else str(duplicate),
    )


class RowStore:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;")
        self.db.executescript(_SCHEMA)
        self._pending: list[tuple[object, ...]] = []
        self.db.execute("BEGIN")

    def add(
        self,
        *,
        rtype: str,
        key: str | None,
        own_su: str | None,
        parent: tuple[str, str] | None,
        file: str,
        line: int,
        data: dict[str, object] | None,
        problems: list[Problem],
    ) -> None:
        self._pending.append(
            (
                rtype,
                key,
                own_su,
                own_su,
                parent[0] if parent else None,
                parent[1] if parent else None,
                file,
                line,
                orjson.dumps(data) if data is not None else None,
                orjson.dumps([p.__dict__ for p in problems]) if problems else None,
            )
        )
        if len(self._pending) >= _BATCH:
            self._flush()

    def block(self, file: str, su: str | None, line: int, parent: tuple[str, str] | None) -> None:
        """A row of an unreadable file: it still says whose records are incomplete
        (its own service user id, or its parent's)."""
        self.db.execute(
            "INSERT INTO blocked VALUES (?, ?, ?, ?, ?)",
            (file, su, line, parent[0] if parent else None, parent[1] if parent else None),
        )

    def _flush(self) -> None:
        self.db.executemany(
            "INSERT INTO rows (rtype, rkey, su, own_su, parent_type, parent_key, file, line, data, problems)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._pending,
        )
        self._pending.clear()

    def finish(self, parent_depth: int) -> None:
        """Index, give child rows their parent's service user, find duplicate ids."""
        self._flush()
        db = self.db
        db.execute("CREATE INDEX rows_key ON rows (rtype, rkey)")
        for _ in range(parent_depth):
            db.execute(
                "UPDATE rows SET parent_su = (SELECT p.su FROM rows p WHERE p.rtype = rows.parent_type"
                " AND p.rkey = rows.parent_key AND p.su IS NOT NULL ORDER BY p.seq LIMIT 1)"
                " WHERE parent_type IS NOT NULL AND parent_su IS NULL"
            )
            db.execute("UPDATE rows SET su = parent_su WHERE su IS NULL AND parent_su IS NOT NULL")
        db.execute(
            "UPDATE blocked SET su = (SELECT p.su FROM rows p WHERE p.rtype = blocked.parent_type"
            " AND p.rkey = blocked.parent_key AND p.su IS NOT NULL ORDER BY p.seq LIMIT 1)"
            " WHERE su IS NULL AND parent_type IS NOT NULL"
        )
        db.execute(
            "INSERT INTO dups SELECT rtype, rkey, group_concat(file || ':' || line, ', ')"
            " FROM rows WHERE rkey IS NOT NULL GROUP BY rtype, rkey HAVING count(*) > 1"
        )
        db.execute("CREATE INDEX rows_su ON rows (su)")
        db.execute("CREATE INDEX blocked_su ON blocked (su)")
        db.execute("COMMIT")

    def service_users(self, directory_types: tuple[str, ...]) -> Iterator[str]:
        """Every service user id that rows name, in order (one query, streamed)."""
        marks = ",".join("?" * len(directory_types))
        cursor = self.db.execute(
            f"SELECT DISTINCT su FROM rows WHERE su IS NOT NULL AND rtype NOT IN ({marks})"
            " UNION SELECT DISTINCT su FROM blocked WHERE su IS NOT NULL ORDER BY 1",
            directory_types,
        )
        for (su,) in cursor:
            yield str(su)

    def service_user_count(self, directory_types: tuple[str, ...]) -> int:
        """How many service users :meth:`service_users` gives."""
        marks = ",".join("?" * len(directory_types))
        row = self.db.execute(
            f"SELECT count(*) FROM (SELECT su FROM rows WHERE su IS NOT NULL AND rtype NOT IN ({marks})"
            " UNION SELECT su FROM blocked WHERE su IS NOT NULL)",
            directory_types,
        ).fetchone()
        return int(row[0])

    def rows_for(self, su: str) -> list[StoredRow]:
        cursor = self.db.execute(
            f"SELECT {_COLUMNS}, d.places FROM rows r LEFT JOIN dups d ON d.rtype = r.rtype AND d.rkey = r.rkey"
            " WHERE r.su = ? ORDER BY r.seq",
            (su,),
        )
        return [_row(values[:-1], values[-1]) for values in cursor]

    def blocked_for(self, su: str) -> list[tuple[str, int]]:
        """The unreadable files holding rows of ``su``, each with its first such line."""
        cursor = self.db.execute("SELECT file, min(line) FROM blocked WHERE su = ? GROUP BY file ORDER BY file", (su,))
        return [(str(f), int(line)) for f, line in cursor]

    def unattributed_blocked(self) -> bool:
        """Whether an unreadable file has rows whose service user cannot be told."""
        return self.db.execute("SELECT 1 FROM blocked WHERE su IS NULL LIMIT 1").fetchone() is not None

    def unattributed(self, directory_types: tuple[str, ...]) -> Iterator[StoredRow]:
        """Rows that belong to no known service user and are not directory entries."""
        marks = ",".join("?" * len(directory_types))
        cursor = self.db.execute(
            f"SELECT {_COLUMNS} FROM rows r WHERE r.su IS NULL AND r.rtype NOT IN ({marks}) ORDER BY r.seq",
            directory_types,
        )
        for values in cursor:
            yield _row(values)

    def directory_rows(self, rtype: str) -> Iterator[StoredRow]:
        cursor = self.db.execute(
            f"SELECT {_COLUMNS}, d.places FROM rows r LEFT JOIN dups d ON d.rtype = r.rtype AND d.rkey = r.rkey"
            " WHERE r.rtype = ? ORDER BY r.seq",
            (rtype,),
        )
        for values in cursor:
            yield _row(values[:-1], values[-1])

    def directory_row(self, rtype: str, key: str) -> StoredRow | None:
        found = self.db.execute(
            f"SELECT {_COLUMNS} FROM rows r WHERE r.rtype = ? AND r.rkey = ? ORDER BY r.seq LIMIT 1",
            (rtype, key),
        ).fetchone()
        return _row(found) if found is not None else None

    def close(self) -> None:
        self.db.close()
