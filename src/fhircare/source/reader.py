"""Reading a trust extract through a mapping file, one service user at a time.

::

    mapping = load_mapping(Path("mappings/rio-like.yaml"))
    with read_extract(Path("extract/"), mapping) as extract:
        for result in extract:            # Accepted(record) or Rejected(id, problems)
            ...
        extract.file_problems             # problems with whole files, reported once
        extract.directory_problems        # problems with staff, team, organisation rows
        extract.unattributed_problems()   # rows that name no known service user

Loading streams every file once, converting each row and appending it to a temporary
SQLite file (see :mod:`fhircare.source.store` for why); iteration then assembles one
service user at a time. Memory is bounded by one service user's rows plus the trust
directory (staff, teams, organisations). Nothing raises on bad input: every problem is
reported with its file, line and column, and a service user with any problem is rejected
whole while the others are read. When a file the mapping needs is missing or cannot be
read and its rows cannot be attributed to service users, the extract is ``unusable`` and
every service user is rejected (nothing is half-read).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import TypeAdapter, ValidationError

from fhircare.errors import ExtractError
from fhircare.source.assemble import DIRECTORY_TYPES, Assembler, Directory
from fhircare.source.common import LocalId
from fhircare.source.convert import ConversionProblem
from fhircare.source.mapping_file import RecordPlan, TrustMapping
from fhircare.source.records import RECORD_TYPES
from fhircare.source.results import Problem, ReadResult, Rejected
from fhircare.source.rows import BrokenRow, Header, RawRow, iter_rows, lookup
from fhircare.source.store import RowStore

_KEY_SEPARATOR = "\x1f"
_ID_CHECK: TypeAdapter[str] = TypeAdapter(LocalId)


def _parent_depth() -> int:
    """The longest chain of parents (a rating's assessment's ...) among record types."""

    def depth(name: str) -> int:
        parent = RECORD_TYPES[name].parent
        return 0 if parent is None else 1 + depth(parent[0])

    return max(depth(name) for name in RECORD_TYPES)


def _id_problem(value: str) -> str | None:
    try:
        _ID_CHECK.validate_python(value)
    except ValidationError:
        return "is not a usable id (printable ASCII, at most 64 characters)"
    return None


class Extract:
    """An extract folder read through a mapping file (use :func:`read_extract`)."""

    def __init__(
        self,
        folder: Path,
        mapping: TrustMapping,
        *,
        workdir: Path | None = None,
        on_rows: Callable[[int], None] | None = None,
    ) -> None:
        self.folder = folder
        self.mapping = mapping
        #: problems with whole files (missing, unreadable, lacking columns), reported once
        self.file_problems: list[Problem] = []
        #: problems with directory rows (staff, teams, organisations), reported once; the
        #: service users who refer to such an entry are rejected with a pointer to it
        self.directory_problems: list[Problem] = []
        #: some file the mapping needs cannot be used: every service user is rejected
        self.unusable = False
        #: rows read per record type
        self.rows_read: dict[str, int] = dict.fromkeys(mapping.records, 0)
        self._on_rows = on_rows
        self._workdir = workdir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._open_store: RowStore | None = None
        self._directory: Directory | None = None

    # --- context manager -------------------------------------------------------------

    def __enter__(self) -> Self:
        self._tmp = tempfile.TemporaryDirectory(prefix="fhircare-extract-", dir=self._workdir)
        self._open_store = RowStore(Path(self._tmp.name) / "rows.sqlite")
        try:
            self._load()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Delete the temporary row store (done on leaving the ``with`` block)."""
        if self._open_store is not None:
            self._open_store.close()
            self._open_store = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @property
    def _store(self) -> RowStore:
        if self._open_store is None:
            raise RuntimeError("an Extract is read inside `with read_extract(...) as extract:`")
        return self._open_store

    # --- loading -----------------------------------------------------------------------

    def _load(self) -> None:
        if not self.folder.is_dir():
            raise ExtractError(f"no such extract folder: {self.folder}")
        for pattern, plans in self.mapping.files().items():
            paths = sorted(p for p in self.folder.glob(pattern) if p.is_file())
            if not paths:
                for plan in plans:
                    if not plan.optional:
                        self.unusable = True
                        self.file_problems.append(
                            Problem(
                                pattern,
                                None,
                                None,
                                f"no file matches this pattern (record type {plan.record_type.name})",
                            )
                        )
                continue
            for path in paths:
                self._load_file(path, plans)
        self._store.finish(_parent_depth())
        if self._store.unattributed_blocked():
            self.unusable = True
        self._directory = Directory(self._store, self.mapping)
        self.directory_problems.extend(self._directory.problems)

    def _load_file(self, path: Path, plans: list[RecordPlan]) -> None:
        name = path.relative_to(self.folder).as_posix()
        first = plans[0]
        blocked: set[str] = set()
        count = 0
        for item in iter_rows(path, name, first.format, first.encoding, first.csv):
            if isinstance(item, Header):
                blocked = self._check_header(name, item, plans)
            elif isinstance(item, BrokenRow):
                self._row_problem(name, item.problem, plans, item.values)
            elif isinstance(item, Problem):
                if item.line is None:
                    self.unusable = True
                    self.file_problems.append(item)
                else:
                    self._row_problem(name, item, plans, {})
            else:
                self._load_row(name, item, plans, blocked)
                count += 1
                if self._on_rows is not None and count % 1000 == 0:
                    self._on_rows(1000)
        if self._on_rows is not None:
            self._on_rows(count % 1000)

    def _check_header(self, name: str, header: Header, plans: list[RecordPlan]) -> set[str]:
        """Record types whose columns are not all in the header (one problem each)."""
        blocked = set()
        present = set(header.columns)
        for plan in plans:
            wanted = [c.source for c in plan.columns] + sorted(plan.where)
            missing = [column for column in dict.fromkeys(wanted) if column not in present]
            if missing:
                blocked.add(plan.record_type.name)
                self.file_problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        f"lacks column(s) {', '.join(missing)} that the mapping reads for"
                        f" {plan.record_type.name}: none of its rows can be read",
                        record_type=plan.record_type.name,
                    )
                )
        return blocked

    def _row_problem(self, name: str, problem: Problem, plans: list[RecordPlan], values: dict[str, object]) -> None:
        """A line that is not a usable row: charged to the service user it seems to name
        (its own id, or its parent's), else to nobody (see unattributed_problems)."""
        su = next((s for s in (self._raw_su(values, p) for p in plans) if s), None)
        parent = None if su else next((p for p in (self._raw_parent(values, p) for p in plans) if p), None)
        self._store.add(
            rtype=plans[0].record_type.name,
            key=None,
            own_su=su,
            parent=parent,
            file=name,
            line=problem.line or 1,
            data=None,
            problems=[problem],
        )

    def _load_row(self, name: str, row: RawRow, plans: list[RecordPlan], blocked: set[str]) -> None:
        matched = False
        for plan in plans:
            if not all(_text(lookup(row.values, tuple(k.split(".")))) in v for k, v in plan.where.items()):
                continue
            matched = True
            self.rows_read[plan.record_type.name] += 1
            if plan.record_type.name in blocked:
                self._block(name, row, plan)
            else:
                self._convert(name, row, plan)
        if not matched:
            where = "; ".join(f"{p.record_type.name}: {dict(p.where) or 'any row'}" for p in plans)
            problem = Problem(name, row.line, None, f"matches no record type of this file ({where})")
            su = self._raw_su(row.values, plans[0])
            self._store.add(
                rtype=plans[0].record_type.name,
                key=None,
                own_su=su,
                parent=None,
                file=name,
                line=row.line,
                data=None,
                problems=[problem],
            )

    @staticmethod
    def _raw_id(values: dict[str, object], plan: RecordPlan, field: str) -> str | None:
        """An id as a row holds it, before conversion (None when absent or unusable)."""
        column = plan.column_for(field)
        value = _text(lookup(values, tuple(column.split(".")))) if column else None
        return value if value and _id_problem(value) is None else None

    def _raw_su(self, values: dict[str, object], plan: RecordPlan) -> str | None:
        return self._raw_id(values, plan, "service_user_id")

    def _raw_parent(self, values: dict[str, object], plan: RecordPlan) -> tuple[str, str] | None:
        parent = plan.record_type.parent
        key = self._raw_id(values, plan, parent[1]) if parent is not None else None
        return (parent[0], key) if parent is not None and key else None

    def _block(self, name: str, row: RawRow, plan: RecordPlan) -> None:
        self._store.block(name, self._raw_su(row.values, plan), row.line, self._raw_parent(row.values, plan))

    def _convert(self, name: str, row: RawRow, plan: RecordPlan) -> None:
        rt = plan.record_type
        data: dict[str, Any] = {}
        found: list[tuple[str | None, str, str]] = []

        def problem(column: str | None, target: str, reason: str) -> None:
            found.append((column, target, reason))

        for column in plan.columns:
            try:
                value = column.convert(lookup(row.values, column.key_path))
            except ConversionProblem as exc:
                problem(column.source, column.field.name, str(exc))
                continue
            if value is None:
                value = plan.defaults.get(column.field.name)
            if value is None:
                if column.field.required or (column.field.name == "service_user_id" and rt.top_level):
                    problem(column.source, column.field.name, "missing value")
                continue
            data[column.field.name] = value
        for field, default in plan.defaults.items():
            if field not in data and default is not None:
                data[field] = default
        own_su = data.get("service_user_id")
        if own_su is not None and not rt.fields["service_user_id"].stored:
            del data["service_user_id"]
        su = str(own_su) if isinstance(own_su, str) and _id_problem(own_su) is None else None
        if isinstance(own_su, str) and su is None:
            problem(plan.column_for("service_user_id"), "service_user_id", "is not a usable id")
        key_parts = [data.get(k) for k in rt.key]
        key: str | None = None
        if all(isinstance(part, str) for part in key_parts):
            key = _KEY_SEPARATOR.join(str(p) for p in key_parts)
            for field, part in zip(rt.key, key_parts, strict=True):
                reason = _id_problem(str(part)) if field.endswith("_id") else None
                if reason is not None:
                    problem(plan.column_for(field), field, reason)
                    key = None
        parent = None
        if rt.parent is not None:
            parent_key = data.get(rt.parent[1])
            if isinstance(parent_key, str):
                parent = (rt.parent[0], parent_key)
        if rt.name == "dialog_assessment":
            _shape_wide_ratings(data)
        problems = [
            Problem(name, row.line, column, reason, target=target, record_type=rt.name, service_user_id=su)
            for column, target, reason in found
        ]
        self._store.add(
            rtype=rt.name,
            key=key,
            own_su=None if rt.directory else su,
            parent=parent,
            file=name,
            line=row.line,
            data=dict(data),
            problems=problems,
        )

    # --- results -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[ReadResult]:
        """Each service user in id order: Accepted, or Rejected with every problem."""
        if self._directory is None:
            raise RuntimeError("an Extract is read inside `with read_extract(...) as extract:`")
        assembler = Assembler(self.mapping, self._store, self._directory)
        for su in self._store.service_users(DIRECTORY_TYPES):
            result = assembler.assemble(su)
            if self.unusable:
                reason = "the extract cannot be read completely (see the problems with whole files)"
                problems = result.problems if isinstance(result, Rejected) else ()
                where = self.file_problems[0].file if self.file_problems else self.folder.name
                yield Rejected(su, (*problems, Problem(where, None, None, reason, service_user_id=su)))
            else:
                yield result

    def service_user_count(self) -> int:
        """How many service users iterating gives (each Accepted or Rejected)."""
        return self._store.service_user_count(DIRECTORY_TYPES)

    def unattributed_problems(self) -> Iterator[Problem]:
        """Problems of rows that name no known service user (and are not directory rows):
        a bad or missing service user id, a child row whose parent does not exist."""
        for row in self._store.unattributed(DIRECTORY_TYPES):
            if row.problems:
                yield from row.problems
                continue
            rt = RECORD_TYPES[row.rtype]
            if rt.parent is not None and row.parent_key is not None:
                column = self.mapping.records[rt.name].column_for(rt.parent[1])
                reason = f"refers to unknown {rt.parent[0]} {row.parent_key!r}"
                yield Problem(row.file, row.line, column, reason, target=rt.parent[1], record_type=rt.name)


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _shape_wide_ratings(data: dict[str, Any]) -> None:
    """``rating.<item>``, ``more_help.<item>``, ``not_rated_reason.<item>`` → ``ratings``."""
    per_item: dict[str, dict[str, Any]] = {}
    for name in [n for n in data if "." in n]:
        field, item = name.split(".", 1)
        per_item.setdefault(item, {"item": item})[field] = data.pop(name)
    if per_item:
        data["ratings"] = list(per_item.values())


def read_extract(
    folder: Path,
    mapping: TrustMapping,
    *,
    workdir: Path | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> Extract:
    """An extract to use as a context manager (loading happens on entry)."""
    return Extract(folder, mapping, workdir=workdir, on_rows=on_rows)
