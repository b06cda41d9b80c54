"""A temporary SQLite file that groups an extract's rows by service user.

Why: extract files are one per record type, in whatever order the EPR wrote them, and a
child row (a goal, a rating) may name only its parent, not its service user. Holding the
extract in memory to group it does not scale; requiring every file to be sorted by
service user would push a sort onto every trust and still leave child rows unattributed.
So each converted row is appended here once (streaming), parents are resolved and
duplicate ids found with indexed SQL, and service users are then read back one at a
time. Memory stays bounded by one service user's rows; disk use is about the size of the
extract. The file lives in the run's private work folder (mode 0700) and is deleted when
the reader closes; SQLite's own temporary files are unlinked as soon as they are opened.

A line that cannot be read is stored as a *blocked group*: one row per id it might
hold (as its service user's id, or as its parent's), with its problem. After loading,
every service user one of those ids turns out to name is rejected with that problem;
a group that names no service user at all means some service user may be missing a
row, and the reader rejects everyone (:meth:`RowStore.unresolved_blocked`).
"""

from __future__ import annotations

import hashlib
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
    problems BLOB,
    source INTEGER NOT NULL,
    rhash BLOB NOT NULL
);
CREATE TABLE dups (rtype TEXT NOT NULL, rkey TEXT NOT NULL, places TEXT NOT NULL, PRIMARY KEY (rtype, rkey));
CREATE TABLE blocked (
    grp INTEGER NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    su TEXT,
    parent_type TEXT,
    parent_key TEXT,
    problem BLOB NOT NULL,
    needed INTEGER NOT NULL
);
CREATE TABLE blocked_keys (grp INTEGER NOT NULL, rtype TEXT NOT NULL, rkey TEXT NOT NULL);
CREATE TABLE known (su TEXT PRIMARY KEY);
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
    #: which source of its record type the row came from (rows of one id from several
    #: sources are parts of one record)
    source: int = 0


_COLUMNS = (
    "r.rtype, r.rkey, r.su, r.own_su, r.parent_type, r.parent_key, r.parent_su, r.file, r.line, r.data, r.problems,"
    " r.source"
)


def _row_hash(rtype: str, source: int, own_su: str | None, problems: bytes | None, data: bytes | None) -> bytes:
    """What a row's digest covers, hashed as the row is added (in the process that loads
    its file): all but where it stands (seq, file, line) and what follows from its data and
    type (its key, its parent's key). Problems as stored (their text names the line, which
    only makes a digest differ more often). JSON never holds a raw NUL, nor is it "-"."""
    head = orjson.dumps([rtype, source, own_su])
    # 128 bits: for telling a changed row from an unchanged one, not against an adversary
    # (the rows are the trust's own); small, since every row of the extract keeps one
    return hashlib.blake2b(b"\0".join((head, problems or b"-", data or b"-")), digest_size=16).digest()


def _problem(data: bytes) -> Problem:
    return Problem(**orjson.loads(data))


def _row(values: tuple[object, ...], duplicate: object = None) -> StoredRow:
    rtype, key, su, own_su, parent_type, parent_key, parent_su, file, line, data, problems, source = values
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
        source=int(str(source)),
    )


class RowStore:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;")
        self.db.executescript(_SCHEMA)
        self._pending: list[tuple[object, ...]] = []
        self._groups = 0
        #: rows that repeated an earlier row exactly (``finish``), per file
        self.repeated: dict[str, int] = {}
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
        source: int = 0,
    ) -> None:
        stored = orjson.dumps(data) if data is not None else None
        found = orjson.dumps([p.__dict__ for p in problems]) if problems else None
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
                stored,
                found,
                source,
                _row_hash(rtype, source, own_su, found, stored),
            )
        )
        if len(self._pending) >= _BATCH:
            self._flush()

    def block(
        self,
        problem: Problem,
        candidates: list[tuple[str | None, tuple[str, str] | None]],
        *,
        needed: bool = True,
        keys: list[tuple[str, str]] | None = None,
    ) -> None:
        """A row that cannot be used, with every (service user id, parent) it might name:
        whoever one of them turns out to be is rejected with ``problem``. ``needed``: the
        row is charged to no one else, so if none of them is a service user, some
        service user may be missing a row."""
        self._groups += 1
        data = orjson.dumps(problem.__dict__)
        flag = int(needed)
        rows = [
            (self._groups, problem.file, problem.line or 0, su, *(parent or (None, None)), data, flag)
            for su, parent in candidates
        ] or [(self._groups, problem.file, problem.line or 0, None, None, None, data, flag)]
        self.db.executemany("INSERT INTO blocked VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        if keys:
            self.db.executemany(
                "INSERT INTO blocked_keys VALUES (?, ?, ?)", [(self._groups, rtype, key) for rtype, key in keys]
            )

    def commit(self) -> None:
        """Write what is pending and commit (a part file: :mod:`fhircare.source.file_workers`)."""
        self._flush()
        self.db.execute("COMMIT")

    def merge(self, part: Path) -> None:
        """Append a part file's rows and blocked groups (one file's, loaded by another
        process) as if they had been added here: rows after the rows already held, in the
        part's order; group numbers after this store's."""
        self._flush()
        db = self.db
        db.execute("ATTACH DATABASE ? AS part", (str(part),))
        try:
            columns = "rtype, rkey, su, own_su, parent_type, parent_key, file, line, data, problems, source, rhash"
            db.execute(f"INSERT INTO rows ({columns}) SELECT {columns} FROM part.rows ORDER BY seq")
            offset = self._groups
            db.execute(
                "INSERT INTO blocked SELECT grp + ?, file, line, su, parent_type, parent_key, problem, needed"
                " FROM part.blocked ORDER BY rowid",
                (offset,),
            )
            db.execute(
                "INSERT INTO blocked_keys SELECT grp + ?, rtype, rkey FROM part.blocked_keys ORDER BY rowid", (offset,)
            )
            groups = db.execute("SELECT max(grp) FROM part.blocked").fetchone()[0]
            self._groups = offset + int(groups or 0)
        finally:
            db.execute("COMMIT")  # DETACH is refused inside a transaction
            db.execute("DETACH DATABASE part")
            db.execute("BEGIN")

    def _flush(self) -> None:
        self.db.executemany(
            "INSERT INTO rows (rtype, rkey, su, own_su, parent_type, parent_key, file, line, data, problems, source,"
            " rhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._pending,
        )
        self._pending.clear()

    def finish(self, parent_depth: int, directory_types: tuple[str, ...]) -> None:
        """Index, give child rows their parent's service user, find duplicate ids (the
        same id twice from one source: from two sources it is one record in parts)."""
        self._flush()
        db = self.db
        db.execute("CREATE INDEX rows_key ON rows (rtype, rkey)")
        self._collapse_repeats()
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
        # ids held by more than one row first (from the index alone), then which of those
        # come twice from one source: reading every row's source and place was slow
        db.execute(
            "INSERT INTO dups SELECT r.rtype, r.rkey, group_concat(r.file || ':' || r.line, ', ')"
            " FROM (SELECT rtype, rkey FROM rows WHERE rkey IS NOT NULL GROUP BY rtype, rkey HAVING count(*) > 1) c"
            " JOIN rows r ON r.rtype = c.rtype AND r.rkey = c.rkey"
            " GROUP BY r.rtype, r.rkey HAVING count(*) > count(DISTINCT r.source)"
        )
        db.execute("CREATE INDEX rows_su ON rows (su)")
        marks = ",".join("?" * len(directory_types))
        db.execute(
            f"INSERT INTO known SELECT DISTINCT su FROM rows WHERE su IS NOT NULL AND rtype NOT IN ({marks})",
            directory_types,
        )
        # a candidate that is no service user of the extract names no one; a group left
        # naming no one at all stays, to make the extract unusable (``unresolved_blocked``):
        # deleting those rows lost the group, and the line with it, silently
        db.execute("UPDATE blocked SET su = NULL WHERE su IS NOT NULL AND su NOT IN (SELECT su FROM known)")
        db.execute("CREATE INDEX blocked_su ON blocked (su)")
        db.execute("CREATE INDEX blocked_keys_key ON blocked_keys (rtype, rkey)")
        db.execute("COMMIT")

    def _collapse_repeats(self) -> None:
        """A row that repeats an earlier one exactly (the same record type, id, source and
        everything read from it: an export whose query joined a table twice) is read once.
        Nothing is lost, and two rows of one id were a duplicate that rejected the service
        user, their shared record held back for a fault of the export (H10). Rows of one
        id that differ in anything read are still a duplicate (``dups``)."""
        repeat = (
            " FROM rows r WHERE r.rkey IS NOT NULL AND EXISTS (SELECT 1 FROM rows e WHERE e.rtype = r.rtype"
            " AND e.rkey = r.rkey AND e.source = r.source AND e.rhash = r.rhash AND e.seq < r.seq)"
        )
        self.repeated = dict(self.db.execute(f"SELECT r.file, count(*){repeat} GROUP BY r.file").fetchall())
        if self.repeated:
            self.db.execute(f"DELETE FROM rows WHERE seq IN (SELECT r.seq{repeat})")

    def service_users(self, directory_types: tuple[str, ...]) -> Iterator[str]:
        """Every service user id that rows name, in order (one query, streamed)."""
        for (su,) in self.db.execute("SELECT su FROM known ORDER BY su"):
            yield str(su)

    def service_user_count(self, directory_types: tuple[str, ...]) -> int:
        """How many service users :meth:`service_users` gives."""
        return int(self.db.execute("SELECT count(*) FROM known").fetchone()[0])

    def rows_for(self, su: str) -> list[StoredRow]:
        cursor = self.db.execute(
            f"SELECT {_COLUMNS}, d.places FROM rows r LEFT JOIN dups d ON d.rtype = r.rtype AND d.rkey = r.rkey"
            " WHERE r.su = ? ORDER BY r.seq",
            (su,),
        )
        return [_row(values[:-1], values[-1]) for values in cursor]

    def directory_digest(self, directory_types: tuple[str, ...]) -> bytes:
        """A digest of the directory rows (staff, teams, organisations): everything
        assembling reads of them but where they stand (file, line)."""
        marks = ",".join("?" * len(directory_types))
        digest = hashlib.sha256()
        for row_hash, duplicate in self.db.execute(
            f"SELECT r.rhash, d.places IS NOT NULL FROM rows r"
            f" LEFT JOIN dups d ON d.rtype = r.rtype AND d.rkey = r.rkey WHERE r.rtype IN ({marks}) ORDER BY r.seq",
            directory_types,
        ):
            digest.update(row_hash + (b"d" if duplicate else b"-"))
        return digest.digest()

    def service_user_digests(self) -> Iterator[tuple[str, bytes | None]]:
        """A digest of each service user's rows, in the order of :meth:`service_users`
        (None when a line that could not be read may be theirs, or an id of theirs is
        duplicated: they are rejected anyway): everything assembling reads of them but
        where they stand (file, line). One query, streamed."""
        known = {str(su) for (su,) in self.db.execute("SELECT su FROM known")}
        untrusted = {str(su) for (su,) in self.db.execute("SELECT DISTINCT su FROM blocked WHERE su IS NOT NULL")}
        untrusted.update(
            str(su)
            for (su,) in self.db.execute(
                "SELECT DISTINCT r.su FROM dups d JOIN rows r ON r.rtype = d.rtype AND r.rkey = d.rkey"
                " WHERE r.su IS NOT NULL"
            )
        )
        rows = self.db.execute("SELECT su, parent_su, rhash FROM rows WHERE su IS NOT NULL ORDER BY su, seq")
        current: str | None = None
        parts: list[bytes] = []
        for su, parent_su, row_hash in rows:
            if su != current:
                if current is not None and current in known:
                    yield current, None if current in untrusted else hashlib.sha256(b"".join(parts)).digest()
                current, parts = su, []
            # the row's own hash and whose child it was found to be (a parent's service user)
            parts.append(row_hash)
            parts.append(b"-" if parent_su is None else orjson.dumps(parent_su))
        if current is not None and current in known:
            yield current, None if current in untrusted else hashlib.sha256(b"".join(parts)).digest()

    def blocked_for(self, su: str) -> list[Problem]:
        """The problems of the rows that could not be used and might be ``su``'s."""
        cursor = self.db.execute("SELECT DISTINCT grp, problem FROM blocked WHERE su = ? ORDER BY grp", (su,))
        return [_problem(data) for _, data in cursor]

    def blocked_record(self, rtype: str, key: str) -> Problem | None:
        """The problem of a line that could not be read and may have been the record
        ``rtype`` ``key`` (a parent its children cannot find)."""
        found = self.db.execute(
            "SELECT b.problem FROM blocked_keys k JOIN blocked b ON b.grp = k.grp"
            " WHERE k.rtype = ? AND k.rkey = ? ORDER BY b.grp LIMIT 1",
            (rtype, key),
        ).fetchone()
        return _problem(found[0]) if found is not None else None

    def unresolved_blocked(self) -> list[Problem]:
        """The rows that could not be used and name no service user of the extract."""
        cursor = self.db.execute(
            "SELECT min(problem) FROM blocked WHERE needed = 1 GROUP BY grp"
            " HAVING count(CASE WHEN su IS NOT NULL THEN 1 END) = 0 ORDER BY grp"
        )
        return [_problem(data) for (data,) in cursor]

    def unattributed(self, directory_types: tuple[str, ...]) -> Iterator[StoredRow]:
        """Rows that belong to no known service user and are not directory entries."""
        marks = ",".join("?" * len(directory_types))
        cursor = self.db.execute(
            f"SELECT {_COLUMNS} FROM rows r WHERE r.su IS NULL AND r.rtype NOT IN ({marks}) ORDER BY r.seq",
            directory_types,
        )
        for values in cursor:
            yield _row(values)

    def rows_of_type(self, rtype: str) -> Iterator[StoredRow]:
        """Every row of one record type, in the extract's order."""
        for values in self.db.execute(f"SELECT {_COLUMNS} FROM rows r WHERE r.rtype = ? ORDER BY r.seq", (rtype,)):
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
