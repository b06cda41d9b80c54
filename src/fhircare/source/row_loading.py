"""Loading one extract file's rows into the row store: which sources take each row,
converting it, and what happens to a row that cannot be used.

Every row ends in exactly one of three places: in the store (one record per source that
takes it, with any problems), counted as ignored by a rule the mapping states
(``ignore_rows``), or stored as a *blocked group* that rejects whoever it might belong to
(see :mod:`fhircare.source.store`). Nothing is dropped silently.

A service user's row is stored as the values its source reads, with only the fields that
say whose row it is (service user, own id, parent id) converted now; the rest is converted
when the service user is assembled (:func:`complete_row`). Why: a daily load of a mostly
unchanged extract compares each service user's rows with the last load's before anything
else (store/fingerprint.py) and skips the unchanged, so converting every cell of every row
up front was most of the work of a load that changes 1% of service users. Directory rows
(staff, teams, organisations) are converted at once: the directory is built from them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from fhircare.source.common import LocalId
from fhircare.source.convert import NOT_SHOWN, UNKNOWN_WORDS, ConversionProblem, is_missing, quoted_code
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_columns import suggest
from fhircare.source.mapping_schema import ColumnPlan, RecordPlan
from fhircare.source.results import Problem
from fhircare.source.rows import BrokenRow, Header, RawRow, has_path, iter_rows, lookup, path_root
from fhircare.source.store import RowStore, StoredRow

#: joins the parts of a record type's key (a DIALOG rating's assessment and item); never
#: shown as it is (see assemble._shown_key)
KEY_SEPARATOR = "\x1f"
_ID_CHECK: TypeAdapter[str] = TypeAdapter(LocalId)
#: a line's values beyond this many are not tried as ids
_MAX_CANDIDATES = 64


@lru_cache(maxsize=1 << 16)
def id_problem(value: str) -> str | None:
    try:
        _ID_CHECK.validate_python(value)
    except ValidationError:
        # the character named, never the id: an invisible one (a zero-width space pasted
        # in) otherwise leaves the trust looking at an id that seems right
        odd = next((c for c in value if not (" " < c <= "~")), None)
        holds = f": it holds {_character_name(odd)}" if odd is not None else ""
        return f"is not a usable id{holds} (printable ASCII, at most 64 characters)"
    return None


def _character_name(character: str) -> str:
    code = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "")
    return f"{code} {name}" if name else code


def text_of(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _watched_keys(plans: list[RecordPlan]) -> dict[tuple[int, str], tuple[tuple[str, ...], str]]:
    """(source number, key path) of the safeguards a JSON Lines file's sources read, with
    the path's steps and what is lost when no row holds the key."""
    watched = {}
    for number, plan in enumerate(plans):
        if plan.format != "jsonl":
            continue
        for column in plan.columns:
            what = UNREAD_SAFEGUARD_FIELDS.get((plan.record_type.name, column.field.name))
            if what is not None and column.simple_path is not None:
                watched[(number, column.source)] = (column.simple_path, what)
    return watched


def matches_rule(values: dict[str, object], rule: dict[str, frozenset[str]]) -> bool:
    return all((text_of(lookup(values, tuple(k.split(".")))) or "") in v for k, v in rule.items())


@dataclass
class FileOutcome:
    """What loading gave besides stored rows: problems with whole files, rows counted as
    ignored, record types none of whose rows could be read (a missing column)."""

    file_problems: list[Problem] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    rows_read: Counter[str] = field(default_factory=Counter)
    blocked_types: dict[str, Problem] = field(default_factory=dict)
    #: a safeguard's key that no row of a JSON Lines file holds (UNREAD_SAFEGUARD_FIELDS)
    unread_keys: list[Problem] = field(default_factory=list)


#: fields whose key a JSON Lines file must hold in some row: a CSV file lacking the column
#: cannot be read at all, but a JSON line simply lacks a key, and one the export renamed
#: (``doNotInvolve`` to ``doNotContact``) left every person's flag unread, silently (found
#: by a trial of a new layout); reported as a problem of the file (exit 1), not a stop.
#: An export may leave the key out where nobody has the flag (the SystmOne-like layout
#: does), and a small file may have no one flagged: only a file of at least
#: UNREAD_KEY_MIN_ROWS such rows is judged (one person in twenty flagged, a file of 100
#: rows with none is a chance of less than 1 in 100)
UNREAD_KEY_MIN_ROWS = 100
UNREAD_SAFEGUARD_FIELDS = {
    ("contact", "do_not_involve"): "no one's do-not-involve flag",
    ("carer_information", "withhold_from_service_user"): "no carer's wish to keep what they said from the service user",
}


#: fields where a missing value means something (the contact is not flagged, the carer's
#: words are not kept from the service user, a permit covers every care plan, a decision
#: never ends), with what is then not known and what a missing value is read as. A cell
#: that says "unknown" there (a tri-state Y/N/U export's U) is a problem of its row, however
#: the mapping reads it: listed among the missing values it was read as missing, and a
#: father marked U for do-not-involve was shared as next of kin with his telephone number
#: with exit 0 (fifth layout trial, a CareNotes-like export)
UNKNOWN_NOT_MISSING = {
    ("contact", "do_not_involve"): ("whether the service user wants this person involved", "not flagged"),
    ("contact", "active"): ("whether this person is a current contact", "current"),
    ("contact", "withhold_from_service_user"): (
        "whether this person asked to keep what they tell the team from the service user",
        "not kept from the service user",
    ),
    ("carer_information", "withhold_from_service_user"): (
        "whether the carer asked to keep this from the service user",
        "not kept from the service user",
    ),
    ("consent_decision", "decision"): ("whether the decision permits or refuses", "missing"),
    ("consent_decision", "shares"): (
        "what the decision is about",
        "every care plan for a permit, everything for a refusal",
    ),
    ("consent_decision", "end_date"): ("when the decision ends", "never ending"),
}


def says_unknown(value: object) -> bool:
    """Whether a raw cell says "unknown" (:data:`UNKNOWN_WORDS`) rather than a value."""
    text = text_of(value)
    return text is not None and text.casefold() in UNKNOWN_WORDS


#: a column name that says its rows are marked deleted (IS_DELETED, DELETED_FLAG, DelInd,
#: deletedDate, RECORD_DELETED, VOIDED, ENTERED_IN_ERROR), once camelCase is split: an EPR's
#: report keeps a soft-deleted row with the mark set, and a mapping that does not read the
#: column took the row as live (a consent to share with the GP, recorded in error and
#: deleted, was shared with exit 0: fourth layout trial)
_DELETION_MARK = re.compile(
    r"(?:^|_)(?:is_?)?(?:soft_?|record_?|row_?)?(?:delete|deleted|deletion|void|voided|erased)"
    r"(?:_?(?:flag|ind|indicator|yn|date|dt|on|at|time|datetime|by|reason))?(?:$|_)"
    # DEL alone only as the whole mark (DEL, IS_DEL, DEL_FLAG): DEL_ADDRESS is a delivery address
    r"|(?:^|_)(?:is_?)?del(?:_?(?:flag|ind|indicator|yn))?$"
    r"|entered_?in_?error"
)
#: what a deletion mark that says "not deleted" looks like besides the mapping's no words
_NOT_DELETED = frozenset({"n", "no", "false", "f", "0", "live", "active"})


@lru_cache(maxsize=1024)
def is_deletion_mark(column: str) -> bool:
    """Whether a column's name says it marks rows deleted (:data:`_DELETION_MARK`)."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column).casefold()
    return _DELETION_MARK.search(re.sub(r"[^a-z0-9]+", "_", words)) is not None


def _marked_deleted(value: object, no_words: frozenset[str]) -> bool:
    """Whether a deletion mark's value says the row is deleted: true, a number other than
    0, or text that is neither blank, a missing value nor a no (a date or who deleted it
    say so too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = text_of(value)
    return text is not None and text != "" and text.casefold() not in no_words


class FileLoader:
    def __init__(self, store: RowStore, limits: ReadLimits, outcome: FileOutcome) -> None:
        self.store = store
        self.limits = limits
        self.outcome = outcome
        #: of the file being loaded: the safeguards' keys no row has held yet, and the rows
        #: each source took
        self._watched: dict[tuple[int, str], tuple[tuple[str, ...], str]] = {}
        self._taken: Counter[int] = Counter()
        #: of the file being loaded: the columns (top-level keys) its sources read, those
        #: of its header no source reads whose name says they mark rows deleted (None for
        #: JSON Lines: each line's keys are looked at), and the words that say "not
        #: deleted" (see _deleted_unread)
        self._read_roots: frozenset[str] = frozenset()
        self._marks: tuple[str, ...] | None = None
        self._no_words: frozenset[str] = _NOT_DELETED

    def load(self, path: Path, name: str, plans: list[RecordPlan], on_rows: Callable[[int], None] | None) -> None:
        blocked: dict[int, Problem] = {}
        listed = _listed_where_values(plans)
        count = 0
        self._watched = _watched_keys(plans)
        self._taken = Counter()
        self._read_roots = frozenset(path_root(c) for plan in plans for c in plan.columns_read())
        self._marks = None
        options = [c.options for plan in plans for c in plan.columns]
        self._no_words = _NOT_DELETED.union(
            *(o.false_values | {m.casefold() for m in o.missing_values} for o in options)
        )
        for item in iter_rows(path, name, plans[0].file_format, self.limits):
            if isinstance(item, Header):
                blocked = self._check_header(name, item, plans)
                self._marks = tuple(c for c in item.columns if c not in self._read_roots and is_deletion_mark(c))
            elif isinstance(item, BrokenRow):
                definite = self._raw_ids(item.values, plans) if item.values is not None else None
                self._unusable(item.problem, plans, definite=definite, candidates=item.candidates)
            elif isinstance(item, RawRow):
                self._load_row(name, item, plans, blocked, listed)
                count += 1
                if on_rows is not None and count % 1000 == 0:
                    on_rows(1000)
            else:
                self.outcome.file_problems.append(item)
        if on_rows is not None:
            on_rows(count % 1000)
        for (number, column), (_path, what) in self._watched.items():
            plan = plans[number]
            if self._taken[number] >= UNREAD_KEY_MIN_ROWS:
                self.outcome.unread_keys.append(
                    Problem(
                        name,
                        None,
                        column,
                        f"no row of {plan.record_type.name} holds this key, so {what} could be read: was it renamed"
                        " or dropped by the export? Correct the mapping, or the export",
                        record_type=plan.record_type.name,
                    )
                )

    def _check_header(self, name: str, header: Header, plans: list[RecordPlan]) -> dict[int, Problem]:
        """Sources whose columns are not all in the header (one problem each), with it."""
        blocked = {}
        present = set(header.columns)
        for number, plan in enumerate(plans):
            missing = [column for column in plan.columns_read() if column not in present]
            if not missing:
                continue
            hints = "".join(suggest(m, list(header.columns)) for m in missing[:1])
            problem = Problem(
                name,
                None,
                None,
                f"lacks column(s) {', '.join(missing)}{hints} that the mapping reads for"
                f" {plan.record_type.name}: none of its rows can be read",
                record_type=plan.record_type.name,
            )
            self.outcome.file_problems.append(problem)
            self.outcome.blocked_types.setdefault(plan.record_type.name, problem)
            blocked[number] = problem
        return blocked

    # --- rows that cannot be used -----------------------------------------------------

    def _unusable(
        self,
        problem: Problem,
        plans: list[RecordPlan],
        *,
        definite: list[tuple[RecordPlan, str]] | None = None,
        candidates: tuple[str, ...] = (),
    ) -> None:
        """A row that cannot be used. A directory row is the directory's problem (anyone
        who refers to the entry is rejected). Any other is charged to the service user
        (or parent record) its id columns name (``definite``, when its cells could be
        told apart), and rejects whoever else any of its values may name (``candidates``):
        rejecting a service user by mistake is safe, half-reading one is not."""
        owned = [p for p in plans if not p.record_type.directory]
        if not owned:
            self.store.add(
                rtype=plans[0].record_type.name,
                key=None,
                own_su=None,
                parent=None,
                file=problem.file,
                line=problem.line or 1,
                data=None,
                problems=[problem],
            )
            return
        named: set[str] = set()
        for plan, value in definite or []:
            if id_problem(value) is not None or plan.record_type.directory:
                continue
            parent = plan.record_type.parent
            self.store.add(
                rtype=plan.record_type.name,
                key=None,
                own_su=value if parent is None else None,
                parent=(parent[0], value) if parent is not None else None,
                file=problem.file,
                line=problem.line or 1,
                data=None,
                problems=[problem],
                source=plan.index,
            )
            named.add(value)
        usable = [v for v in dict.fromkeys(candidates) if id_problem(v) is None][:_MAX_CANDIDATES]
        ids = [v for v in usable if v not in named]
        found: list[tuple[str | None, tuple[str, str] | None]] = []
        for plan in owned:
            parent = plan.record_type.parent
            if parent is None:
                found += [(v, None) for v in ids]
            else:
                found += [(None, (parent[0], v)) for v in ids]
        # what the line may have been: its children then point at it, not at nothing
        keys = [(plan.record_type.name, v) for plan in owned for v in usable]
        self.store.block(problem, list(dict.fromkeys(found)), needed=not named, keys=keys)

    def _raw_ids(self, values: dict[str, object], plans: list[RecordPlan]) -> list[tuple[RecordPlan, str]]:
        """The ids a row holds where the mapping says a record's service user id (or its
        parent's id) is, with the source that says so."""
        found = []
        for plan in plans:
            rt = plan.record_type
            field_name = rt.parent[1] if rt.parent is not None else "service_user_id"
            column = next((c for c in plan.columns if c.field.name == field_name), None)
            if column is None:
                continue
            try:
                value = text_of(column.raw(values))
            except ConversionProblem:
                continue
            if value:
                found.append((plan, value))
        return found

    # --- rows -----------------------------------------------------------------------------

    def _load_row(
        self,
        name: str,
        row: RawRow,
        plans: list[RecordPlan],
        blocked: dict[int, Problem],
        listed: dict[str, frozenset[str]],
    ) -> None:
        for column, values in listed.items():
            value = text_of(lookup(row.values, tuple(column.split(".")))) or ""
            if value and value not in values and not _ignored(row.values, plans):
                hint = _casefold_hint(value, values) or suggest(value, sorted(values))
                reason = (
                    f"{_shown(value)} is not a value the mapping lists for this file"
                    f" ({', '.join(v or 'an empty value' for v in sorted(values))}){hint}: list it, or skip"
                    " such rows with ignore_rows"
                )
                self._unreadable_row(Problem(name, row.line, column, reason), row, plans)
                return
        if self._deleted_unread(name, row, plans):
            return
        taken = False
        for number, plan in enumerate(plans):
            if not takes(plan, row.values):
                continue
            taken = True
            self.outcome.rows_read[plan.record_type.name] += 1
            self._taken[number] += 1
            if self._watched:
                self._seen_keys(number, row.values)
            if number in blocked:
                problem = Problem(
                    name,
                    row.line,
                    None,
                    "this row could not be read (see the file's problem)",
                    caused_by=str(blocked[number]),
                )
                self._unreadable_row(problem, row, [plan])
            else:
                self._convert(name, row, plan)
        if taken:
            return
        if _ignored(row.values, plans):
            self.outcome.ignored[name] += 1
            return
        where = "; ".join(f"{p.record_type.name}: {_describe(p)}" for p in plans)
        problem = Problem(name, row.line, None, f"matches no record type of this file ({where})")
        self._unreadable_row(problem, row, plans)

    def _deleted_unread(self, name: str, row: RawRow, plans: list[RecordPlan]) -> bool:
        """A row marked deleted in a column the mapping does not read (IS_DELETED) is a
        problem of the row, not a live record: a soft-deleted consent, contact or care team
        member would otherwise be shared as current. A JSON line's keys are looked at one by
        one (it has no header); rows ignore_rows skips are left alone."""
        marks = self._marks
        if marks is None:
            marks = tuple(k for k in row.values if k not in self._read_roots and is_deletion_mark(k))
        for column in marks:
            if _marked_deleted(row.values.get(column), self._no_words) and not _ignored(row.values, plans):
                reason = (
                    "this row is marked deleted in a column the mapping does not read, so it would be taken as"
                    " a live record: read the column (where, or ignore_rows for the deleted rows:"
                    " mappings/README.md, Soft-deleted rows), or correct the export"
                )
                self._unreadable_row(Problem(name, row.line, column, reason), row, plans)
                return True
        return False

    def _seen_keys(self, number: int, values: dict[str, object]) -> None:
        for key, (path, _what) in list(self._watched.items()):
            if key[0] == number and has_path(values, path):
                del self._watched[key]

    def _unreadable_row(self, problem: Problem, row: RawRow, plans: list[RecordPlan]) -> None:
        """A row read whole but not usable: its id columns say whose it is (every value
        of it is tried only when they name no one)."""
        definite = self._raw_ids(row.values, plans)
        self._unusable(problem, plans, definite=definite, candidates=() if definite else _all_ids(row))

    def _convert(self, name: str, row: RawRow, plan: RecordPlan) -> None:
        rt = plan.record_type
        shape = _shape(plan)
        deferred = shape.deferred
        data, found = _convert_columns(plan, shape.identity_columns, row.values, shape.identity)
        own_su = data.get("service_user_id")
        if own_su is not None and not shape.su_stored:
            del data["service_user_id"]
        su = own_su if isinstance(own_su, str) and id_problem(own_su) is None else None
        if isinstance(own_su, str) and su is None:
            found.append((plan.column_for("service_user_id"), "service_user_id", id_problem(own_su) or ""))
        key: str | None = None
        key_parts = [data.get(k) for k in rt.key]
        if all(isinstance(part, str) for part in key_parts):
            key = KEY_SEPARATOR.join(key_parts)  # type: ignore[arg-type]
            for field_name, part, checked in zip(rt.key, key_parts, shape.key_ids, strict=True):
                reason = id_problem(str(part)) if checked else None
                if reason is not None:
                    found.append((plan.column_for(field_name), field_name, reason))
                    key = None
        parent = None
        if shape.parent is not None:
            parent_key = data.get(shape.parent[1])
            if isinstance(parent_key, str) and id_problem(parent_key) is None:
                parent = (shape.parent[0], parent_key)
        if rt.name == "dialog_assessment" and not deferred:
            shape_wide_ratings(data)
        if shape.identity is not None and su is None and parent is None:
            # the whole row's problems, to say why it names no one (rare: converted twice)
            found += [f for f in convert_row(plan, row.values)[1] if f[1] not in shape.identity]
        problems = [
            Problem(name, row.line, column, reason, target=target, record_type=rt.name, service_user_id=su)
            for column, target, reason in found
        ]
        if deferred and su is None and parent is None:
            # whose row this is cannot be told: it rejects whoever it might be of
            what = plan.column_for(shape.parent[1] if shape.parent else "service_user_id")
            reason = "; ".join(f"{p.field}: {p.reason}" if p.field and p.field != what else p.reason for p in problems)
            problem = Problem(name, row.line, what, reason or "names no service user", record_type=rt.name)
            self._unusable(problem, [plan], candidates=_all_ids(row))
            return
        self.store.add(
            rtype=rt.name,
            key=key,
            own_su=su if deferred else None,
            parent=parent,
            file=name,
            line=row.line,
            data=values_read(plan, row.values) if deferred else data,
            problems=problems,
            source=plan.index,
        )


@dataclass(frozen=True)
class _Shape:
    """What loading a row through one source needs of its plan, worked out once (a daily
    load runs :meth:`FileLoader._convert` for every row of the extract)."""

    #: the fields converted as the row is loaded (None: a directory row, every field now),
    #: and the columns that read them
    identity: frozenset[str] | None
    identity_columns: tuple[ColumnPlan, ...]
    su_stored: bool
    #: per key field: whether it must be a usable id
    key_ids: tuple[bool, ...]
    parent: tuple[str, str] | None

    @property
    def deferred(self) -> bool:
        """The rest of the row is converted when its service user is assembled."""
        return self.identity is not None

    @classmethod
    def of(cls, plan: RecordPlan) -> _Shape:
        rt = plan.record_type
        identity = None if rt.directory else identity_fields(plan)
        return cls(
            identity=identity,
            identity_columns=_columns_for(plan, identity) if identity is not None else plan.columns,
            su_stored="service_user_id" not in rt.fields or rt.fields["service_user_id"].stored,
            key_ids=tuple(name.endswith("_id") for name in rt.key),
            parent=rt.parent,
        )


def _shape(plan: RecordPlan) -> _Shape:
    return _per_plan(plan, _Shape, lambda: _Shape.of(plan))


def takes(plan: RecordPlan, values: dict[str, object]) -> bool:
    """Whether a source takes a row (its ``where`` and ``when_filled``)."""
    if not matches_rule(values, plan.where):
        return False
    return not any(is_missing(lookup(values, tuple(c.split("."))), plan.missing_values) for c in plan.when_filled)


#: a problem of one row as (column as the trust wrote it, canonical field, reason)
RowProblem = tuple[str | None, str, str]


def convert_row(
    plan: RecordPlan, values: dict[str, object], *, only: frozenset[str] | None = None
) -> tuple[dict[str, Any], list[RowProblem]]:
    """A row's canonical field values through one source (defaults filled in), and its
    problems as (column, field, reason); ``only`` these fields when given. Pure: the
    reader and synth's writer share it."""
    return _convert_columns(plan, plan.columns if only is None else _columns_for(plan, only), values, only)


def field_of(plan: RecordPlan, row: StoredRow, field_name: str) -> object:
    """One field of a stored row, converted as :func:`complete_row` would (None when
    missing or not readable: the row's own problems say why)."""
    if row.data is None:
        return None
    if not _shape(plan).deferred:
        return row.data.get(field_name)
    data, _ = _convert_columns(plan, _columns_for(plan, frozenset({field_name})), row.data, frozenset({field_name}))
    return data.get(field_name)


def _convert_columns(
    plan: RecordPlan, columns: tuple[ColumnPlan, ...], values: dict[str, object], only: frozenset[str] | None
) -> tuple[dict[str, Any], list[RowProblem]]:
    rt = plan.record_type
    data: dict[str, Any] = {}
    found: list[RowProblem] = []
    for column in columns:
        path = column.simple_path
        raw = lookup(values, path) if path is not None else column.raw(values)
        unknown = UNKNOWN_NOT_MISSING.get((rt.name, column.field.name))
        if unknown is not None and says_unknown(raw):
            what, read_as = unknown
            found.append(
                (
                    column.source,
                    column.field.name,
                    f"says unknown ({quoted_code(text_of(raw) or '')}): {what} is not known, and a missing value"
                    f" would be read as {read_as}; the export must give the value",
                )
            )
            continue
        try:
            value = column.convert(raw)
        except ConversionProblem as exc:
            found.append((column.source, column.field.name, str(exc)))
            continue
        if value is None:
            value = plan.defaults.get(column.field.name)
        if value is None:
            if column.field.required or (column.field.name == "service_user_id" and rt.top_level):
                found.append((column.source, column.field.name, _missing(raw)))
            continue
        data[column.field.name] = value
    for field_name, default in plan.defaults.items():
        if field_name not in data and default is not None and (only is None or field_name in only):
            data[field_name] = default
    return data, found


def _missing(raw: object) -> str:
    """Why a required cell is missing: a cell that is not blank held one of the mapping's
    missing values (NULL, N/A, a placeholder date); saying which sends the reader to the
    mapping file, not to a cell they can see is filled."""
    text = (text_of(raw) or "").strip()
    if not text:
        return "missing value"
    return f"missing value: the cell holds {quoted_code(text)}, which the mapping reads as no value"


def identity_fields(plan: RecordPlan) -> frozenset[str]:
    """The fields that say whose a row is and which record it is: converted as the row is
    loaded (the rest waits for :func:`complete_row`)."""
    rt = plan.record_type
    parent = (rt.parent[1],) if rt.parent is not None else ()
    return _per_plan(plan, "identity", lambda: frozenset({"service_user_id", *rt.key, *parent}))


def values_read(plan: RecordPlan, values: dict[str, object]) -> dict[str, object]:
    """The row's values that its source reads (by top-level column or key): what the row
    store keeps of a service user's row, and what the row's digest covers, so a column the
    mapping does not read (an extract timestamp, say) never makes a row look changed."""
    wanted = _top_level_columns(plan)
    return {key: value for key, value in values.items() if key in wanted}


def _top_level_columns(plan: RecordPlan) -> frozenset[str]:
    return _per_plan(plan, "columns", lambda: frozenset(path_root(name) for name in plan.columns_read()))


def _columns_for(plan: RecordPlan, fields: frozenset[str]) -> tuple[ColumnPlan, ...]:
    return _per_plan(plan, fields, lambda: tuple(c for c in plan.columns if c.field.name in fields))


#: (what, id of a plan) → (the plan, kept so that its id is not reused; the value)
_PLAN_CACHE: dict[tuple[Hashable, int], tuple[RecordPlan, Any]] = {}
_T = TypeVar("_T")


def _per_plan(plan: RecordPlan, what: Hashable, compute: Callable[[], _T]) -> _T:
    """A value worked out once per plan (plans hold dicts, so they cannot be cache keys)."""
    found = _PLAN_CACHE.get((what, id(plan)))
    if found is None or found[0] is not plan:
        found = _PLAN_CACHE[(what, id(plan))] = (plan, compute())
    value: _T = found[1]
    return value


def complete_row(plan: RecordPlan, row: StoredRow) -> StoredRow:
    """A service user's stored row with every field converted (it was stored as the values
    read, its identity fields checked: see the module docstring). Problems of the identity
    fields were found as it was loaded; the others are added here, exactly as converting
    the whole row at load time would have found them."""
    rt = plan.record_type
    if rt.directory or row.data is None:
        return row
    data, found = convert_row(plan, row.data)
    identity = identity_fields(plan)
    if "service_user_id" in data and not rt.fields["service_user_id"].stored:
        del data["service_user_id"]
    if rt.name == "dialog_assessment":
        shape_wide_ratings(data)
    problems = [
        Problem(row.file, row.line, column, reason, target=target, record_type=rt.name, service_user_id=row.own_su)
        for column, target, reason in found
        if target not in identity
    ]
    return replace(row, data=data, problems=(*row.problems, *problems))


def _all_ids(row: RawRow) -> tuple[str, ...]:
    """Every value of a row, to try as the id of whoever it belongs to."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            text = text_of(value)
            if text:
                out.append(text)

    walk(row.values)
    return tuple(out)


def _ignored(values: dict[str, object], plans: list[RecordPlan]) -> bool:
    return any(matches_rule(values, rule) for plan in plans for rule in plan.ignore_rows)


def _describe(plan: RecordPlan) -> str:
    parts = [f"{k} in {sorted(v)}" for k, v in plan.where.items()]
    parts += [f"{c} filled" for c in plan.when_filled]
    return ", ".join(parts) or "any row"


def _listed_where_values(plans: list[RecordPlan]) -> dict[str, frozenset[str]]:
    """For each column a ``where`` of this file tests, every value some source lists:
    a row with another value in it is reported, never silently left to the others."""
    out: dict[str, set[str]] = {}
    for plan in plans:
        for column, values in plan.where.items():
            out.setdefault(column, set()).update(values)
    for plan in plans:
        for rule in plan.ignore_rows:
            for column, values in rule.items():
                if column in out:
                    out[column].update(values)
    return {column: frozenset(values) for column, values in out.items()}


def _casefold_hint(value: str, values: frozenset[str]) -> str:
    same = [v for v in values if v.casefold() == value.casefold()]
    return f" (did you mean '{same[0]}'? values are compared exactly)" if same else ""


def shape_wide_ratings(data: dict[str, Any]) -> None:
    """``rating.<item>``, ``more_help.<item>``, ``not_rated_reason.<item>`` → ``ratings``."""
    per_item: dict[str, dict[str, Any]] = {}
    for name in [n for n in data if "." in n]:
        field_name, item = name.split(".", 1)
        per_item.setdefault(item, {"item": item})[field_name] = data.pop(name)
    if per_item:
        data["ratings"] = list(per_item.values())


def _shown(value: str) -> str:
    shown = quoted_code(value)
    return f"a value {shown}" if shown == NOT_SHOWN else shown
