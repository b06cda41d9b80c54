"""Building one service user's records from their stored rows, with every problem.

Rows were converted and stored by the reader; here they become models (strict pydantic
validation, errors attributed to the file, line and column they came from), child rows
join their parents (DIALOG ratings in long form), and every reference is checked: to
the service user's own records, or to the trust directory (staff, teams, organisations).
Any problem rejects the service user whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.mapping_file import TrustMapping
from fhircare.source.records import RECORD_TYPES, KindRef, RecordType, Ref, record_type_of
from fhircare.source.results import Accepted, Problem, ReadResult, Rejected
from fhircare.source.row_loading import KEY_SEPARATOR, complete_row
from fhircare.source.store import RowStore, StoredRow

DIRECTORY_TYPES = tuple(name for name, rt in RECORD_TYPES.items() if rt.directory)

#: fields of a directory entry that are left out when wrong, keeping the entry. A member of
#: staff with a mistyped registration number or phone in the HR extract stood for every
#: service user they work with: each was rejected, their shared record held back and not
#: updated (hazard H10). The member is kept without the value (a wrong number is never
#: shown) and the problem is still reported, naming file, line and column.
_LEFT_OUT_WHEN_WRONG: dict[str, frozenset[str]] = {
    "staff": frozenset(
        {
            "title",
            "discipline",
            "sds_job_role",
            "sds_user_id",
            "sds_role_profile_id",
            "gmc_number",
            "nmc_number",
            "hcpc_number",
            "phone",
        }
    ),
}
_KEPT_WITHOUT = {"staff": "; left out: the member of staff is kept without it (their service users are not rejected)"}


def describe_error(error: Any) -> tuple[str | None, str]:
    """(canonical field, reason) of one pydantic error, never echoing the input."""
    kind, ctx, loc = error["type"], error.get("ctx") or {}, error["loc"]
    field = str(loc[0]) if loc else None
    if kind == "record_rule":
        return str(ctx["field"]), str(ctx["reason"])
    reasons = {
        "missing": "missing value",
        "string_pattern_mismatch": "does not have the expected form",
        "string_too_short": "is empty",
        "too_short": "is empty",
    }
    if kind in reasons:
        return field, reasons[kind]
    if kind == "string_too_long":
        return field, f"is longer than {ctx.get('max_length')} characters"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        return field, f"must be {'at least' if kind == 'greater_than_equal' else 'at most'} {bound}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return field, message


class Directory:
    """The trust's staff, teams and organisations, checked once; kept in memory (bounded
    by the trust's staff and partner lists, not by the number of service users)."""

    def __init__(self, store: RowStore, mapping: TrustMapping) -> None:
        self.mapping = mapping
        self.entries: dict[tuple[str, str], BaseModel] = {}
        #: entries with problems: where they are
        self.bad: dict[tuple[str, str], str] = {}
        #: entries with problems: the first of them (what a reference to them follows from)
        self.cause: dict[tuple[str, str], str] = {}
        self.problems: list[Problem] = []
        rows: list[StoredRow] = [row for rtype in DIRECTORY_TYPES for row in store.directory_rows(rtype)]
        for row in merge_parts(mapping, rows):
            self._build(row)
        self._check_ods_codes()
        changed = True
        while changed:  # an entry that refers to a rejected one is rejected in turn
            changed = False
            for (rtype, key), model in list(self.entries.items()):
                for target, value, field in refs_of(RECORD_TYPES[rtype], model):
                    if (target, value) in self.entries:
                        continue
                    where = self.bad.get((target, value))
                    reason = f"refers to unknown {target} {value!r}"
                    if where is not None:
                        reason = f"refers to {target} {value!r}, whose record has problems (see {where})"
                    self._reject(rtype, key, model, field, reason)
                    changed = True
                    break

    def _build(self, row: StoredRow) -> None:
        rt = RECORD_TYPES[row.rtype]
        droppable = _LEFT_OUT_WHEN_WRONG.get(row.rtype, frozenset())
        if row.key is None or any(p.target not in droppable for p in row.problems):
            self.problems.extend(row.problems)
            if row.key is not None:
                self._bad((row.rtype, row.key), f"{row.file}:{row.line}", row.problems)
            return
        where = f"{row.file}:{row.line}"
        if row.duplicate_places is not None:
            column = _column(self.mapping, rt, rt.key[0], row.file)
            self.problems.append(
                Problem(
                    row.file,
                    row.line,
                    column,
                    f"duplicate {rt.name} id {_shown_key(rt, row.key)} (rows at {row.duplicate_places})",
                )
            )
            self._bad((row.rtype, row.key), where, self.problems[-1:])
            return
        left_out = list(row.problems)
        data = {k: v for k, v in (row.data or {}).items() if k not in {p.target for p in left_out}}
        built, problems = build_record(self.mapping, rt, row, data)
        if built is None and all(p.target in droppable for p in problems):
            left_out += problems
            data = {k: v for k, v in data.items() if k not in {p.target for p in problems}}
            built, problems = build_record(self.mapping, rt, row, data)
        if built is None:
            self.problems.extend([*left_out, *problems])
            self._bad((row.rtype, row.key), where, [*left_out, *problems])
        else:
            self.entries[(row.rtype, row.key)] = built
            self.problems.extend(replace(p, reason=p.reason + _KEPT_WITHOUT[row.rtype]) for p in left_out)

    def _check_ods_codes(self) -> None:
        """Organisations are identified by their ODS code (one FHIR Organization each):
        two that share one, or one with the trust's own, cannot both be that
        Organization, so each is rejected with a reason naming the other."""
        by_code: dict[str, list[tuple[str, BaseModel]]] = defaultdict(list)
        for (rtype, key), model in self.entries.items():
            code = getattr(model, "ods_code", None) if rtype == "organisation" else None
            if isinstance(code, str):
                by_code[code].append((key, model))
        trust_code = self.mapping.trust.ods_code
        for code, holders in by_code.items():
            if code == trust_code:
                for key, model in holders:
                    reason = (
                        f"has the ODS code {code} of the trust itself (trust.ods_code in the mapping file):"
                        " organisations are identified by their ODS code, and the trust is not a partner"
                    )
                    self._reject("organisation", key, model, "ods_code", reason)
            elif len(holders) > 1:
                for key, model in holders:
                    others = ", ".join(f"{other!r} ({_where(m)})" for other, m in holders if other != key)
                    reason = (
                        f"shares the ODS code {code} with organisation {others}: organisations are identified by"
                        " their ODS code, so each needs its own (or list the organisation once)"
                    )
                    self._reject("organisation", key, model, "ods_code", reason)

    def _reject(self, rtype: str, key: str, model: BaseModel, field: str, reason: str) -> None:
        rt = RECORD_TYPES[rtype]
        origin = getattr(model, "origin", None)
        file, line = (origin.file, origin.line) if origin is not None else ("", None)
        column = _column(self.mapping, rt, field, file)
        self.problems.append(Problem(file, line, column, reason, target=field, record_type=rtype))
        self.entries.pop((rtype, key), None)
        self._bad((rtype, key), f"{file}:{line}", self.problems[-1:])

    def _bad(self, key: tuple[str, str], where: str, problems: Sequence[Problem]) -> None:
        self.bad[key] = where
        if problems:
            self.cause.setdefault(key, str(problems[0]))


def directory_closure(
    start: Iterable[tuple[str, str]], entries: Mapping[tuple[str, str], BaseModel]
) -> list[BaseModel]:
    """The directory entries ``start`` names ((record type, id) pairs), and every entry
    those refer to in turn (a member of staff's team, a team's organisation, ...)."""
    seen: set[tuple[str, str]] = set()
    todo = list(start)
    while todo:
        ref = todo.pop()
        if ref in seen or ref not in entries:
            continue
        seen.add(ref)
        todo.extend((target, value) for target, value, _ in refs_of(RECORD_TYPES[ref[0]], entries[ref]))
    return [entries[ref] for ref in sorted(seen)]


def directory_refs(records: Iterable[tuple[RecordType, BaseModel]]) -> list[tuple[str, str]]:
    """The (record type, id) of every directory entry the records refer to directly."""
    return [(t, v) for rt, model in records for t, v, _ in refs_of(rt, model) if RECORD_TYPES[t].directory]


def refs_of(rt: RecordType, model: BaseModel) -> Iterable[tuple[str, str, str]]:
    """(target record type, id, field) for each reference a record makes."""
    if rt.parent is not None:
        value = getattr(model, rt.parent[1], None)
        if value is not None:
            yield rt.parent[0], value, rt.parent[1]
    for ref in rt.refs:
        if isinstance(ref, Ref):
            value = getattr(model, ref.field)
            if value is not None:
                yield ref.target, value, ref.field
        elif isinstance(ref, KindRef):
            kind = getattr(model, ref.kind_field)
            target = ref.targets.get(kind.value)
            value = getattr(model, ref.id_field)
            if target is not None and value is not None:
                yield target, value, ref.id_field


def _column(mapping: TrustMapping, rt: RecordType, field: str | None, file: str | None = None) -> str | None:
    if field is None:
        return None
    return mapping.column_for(rt.name, field, file)


def _where(model: BaseModel) -> str:
    origin = getattr(model, "origin", None)
    return f"{origin.file}:{origin.line}" if origin is not None else "?"


def merge_parts(mapping: TrustMapping, rows: list[StoredRow]) -> list[StoredRow]:
    """Rows of one record from several sources (the same id in each) as one row: their
    fields together, the first row's place. A field two parts give differently is a
    problem on the later part."""
    groups: dict[tuple[str, str], list[StoredRow]] = {}
    out: list[StoredRow | tuple[str, str]] = []
    for row in rows:
        if row.key is None or row.duplicate_places is not None or row.data is None:
            out.append(row)
            continue
        ident = (row.rtype, row.key)
        if ident not in groups:
            groups[ident] = []
            out.append(ident)
        groups[ident].append(row)
    merged: list[StoredRow] = []
    for item in out:
        if isinstance(item, StoredRow):
            merged.append(item)
            continue
        parts = groups[item]
        first = parts[0]
        if len(parts) == 1:
            merged.append(first)
            continue
        data: dict[str, object] = dict(first.data or {})
        found: list[Problem] = [p for part in parts for p in part.problems]
        rt = RECORD_TYPES[first.rtype]
        for part in parts[1:]:
            for name, value in (part.data or {}).items():
                if name in data and data[name] != value:
                    column = _column(mapping, rt, name, part.file)
                    reason = f"gives {name} differently from the row at {first.file}:{first.line} (one record)"
                    found.append(
                        Problem(
                            part.file,
                            part.line,
                            column,
                            reason,
                            target=name,
                            record_type=rt.name,
                            service_user_id=part.su,
                        )
                    )
                else:
                    data[name] = value
        merged.append(replace(first, data=data, problems=tuple(found)))
    return merged


def build_record(
    mapping: TrustMapping, rt: RecordType, row: StoredRow, data: dict[str, Any]
) -> tuple[BaseModel | None, list[Problem]]:
    """The model of one record, or the problems that stop it (attributed to columns)."""
    payload = dict(data)
    payload["origin"] = {"file": row.file, "line": row.line}
    try:
        return rt.model.model_validate_json(orjson.dumps(payload)), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            problems.append(_attribute(mapping, rt, row, payload, error))
        return None, problems


def _attribute(mapping: TrustMapping, rt: RecordType, row: StoredRow, payload: dict[str, Any], error: Any) -> Problem:
    field, reason = describe_error(error)
    loc = error["loc"]
    file, line, column = row.file, row.line, _column(mapping, rt, field, row.file)
    if loc and loc[0] == "ratings" and len(loc) >= 2 and isinstance(loc[1], int):
        rating = payload["ratings"][loc[1]]
        sub = str(loc[2]) if len(loc) > 2 else "rating"
        if error["type"] == "record_rule":
            sub = str(error["ctx"]["field"])
        item = rating.get("item")
        if "origin" in rating:  # a row of its own (long form)
            file, line = rating["origin"]["file"], rating["origin"]["line"]
            column = _column(mapping, RECORD_TYPES["dialog_rating"], sub, file)
        else:
            column = _column(mapping, rt, f"{sub}.{item}", file)
        field = f"{sub}.{item}"
    return Problem(file, line, column, reason, target=field, record_type=rt.name, service_user_id=row.su)


class Assembler:
    def __init__(
        self,
        mapping: TrustMapping,
        store: RowStore,
        directory: Directory,
        causes: Mapping[str, str] | None = None,
    ) -> None:
        self.mapping = mapping
        self.store = store
        self.directory = directory
        #: record type → why it has no records (a missing file or column): a reference to
        #: one of its records follows from that
        self.causes = causes or {}

    def assemble(self, su: str) -> ReadResult:
        rows = [complete_row(self.mapping.sources[row.rtype][row.source], row) for row in self.store.rows_for(su)]
        problems: list[Problem] = []
        for blocked in self.store.blocked_for(su):
            note = "" if blocked.caused_by else " (a row of this service user's may be on this line)"
            problems.append(replace(blocked, reason=blocked.reason + note, service_user_id=su))
        rows = merge_parts(self.mapping, rows)
        for row in rows:
            problems.extend(row.problems)
        by_type: dict[str, list[StoredRow]] = defaultdict(list)
        for row in rows:
            by_type[row.rtype].append(row)
        if not by_type.get("service_user"):
            for row in rows:
                field = self._su_column(row)
                problems.append(self._problem(row, field, f"refers to unknown service user {su!r}"))
            return Rejected(su, _sorted(problems))
        keys: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            if row.key is not None:
                keys[row.rtype].add(row.key)
        usable = []
        for row in rows:
            rt = RECORD_TYPES[row.rtype]
            if row.duplicate_places is not None:
                what = "rating of item" if rt.name == "dialog_rating" else "id"
                problems.append(
                    self._problem(
                        row,
                        _column(self.mapping, rt, rt.key[-1], row.file),
                        f"duplicate {rt.name} {what} {_shown_key(rt, row.key)} (rows at {row.duplicate_places})",
                    )
                )
            elif row.parent_su is not None and row.own_su is not None and row.parent_su != row.own_su:
                parent_type = rt.parent[0] if rt.parent else "parent"
                problems.append(
                    self._problem(
                        row,
                        _column(self.mapping, rt, "service_user_id", row.file),
                        f"names service user {row.own_su!r} but its {parent_type} belongs to {row.parent_su!r}",
                    )
                )
            elif row.data is not None:
                usable.append(row)
        records = self._build(usable, problems)
        for rt, model in records:
            for target, value, field in refs_of(rt, model):
                cause = self.causes.get(target)
                if RECORD_TYPES[target].directory:
                    where = self.directory.bad.get((target, value))
                    if where is not None:
                        # the entry's own problem: `map` prints it as a cause, with the
                        # rejections that follow from it (a crisis line with no number)
                        cause = self.directory.cause.get((target, value), cause)
                        reason = f"refers to {target} {value!r}, whose record has problems (see {where})"
                    elif (target, value) not in self.directory.entries:
                        reason = f"refers to unknown {target} {value!r}"
                    else:
                        continue
                elif value in keys[target]:
                    continue
                else:
                    reason = f"refers to unknown {target} {value!r}"
                origin = getattr(model, "origin", None)
                file = origin.file if origin else ""
                problems.append(
                    Problem(
                        file,
                        origin.line if origin else None,
                        _column(self.mapping, rt, field, file),
                        reason,
                        target=field,
                        record_type=rt.name,
                        service_user_id=su,
                        caused_by=cause,
                    )
                )
        if problems:
            return Rejected(su, _sorted(problems))
        return Accepted(self._bundle(records))

    def _build(self, rows: list[StoredRow], problems: list[Problem]) -> list[tuple[RecordType, BaseModel]]:
        ratings: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            if row.rtype == "dialog_rating" and row.data is not None and not row.problems:
                rating = {k: v for k, v in row.data.items() if k != "dialog_assessment_id"}
                rating["origin"] = {"file": row.file, "line": row.line}
                ratings[str(row.data["dialog_assessment_id"])].append(rating)
        out = []
        for row in rows:
            rt = RECORD_TYPES[row.rtype]
            if rt.collection is None:
                continue
            data: dict[str, Any] = dict(row.data or {})
            if rt.name == "dialog_assessment" and row.key in ratings:
                data["ratings"] = [*data.get("ratings", []), *ratings[row.key]]
            model, found = build_record(self.mapping, rt, row, data)
            if row.problems:
                # the row's own conversion problems are known: add only what else is wrong
                # (not "missing value" for the fields that could not be converted)
                reported = {p.target for p in row.problems}
                problems.extend(p for p in found if p.target not in reported)
                continue
            problems.extend(found)
            if model is not None:
                out.append((rt, model))
        return out

    def _bundle(self, records: list[tuple[RecordType, BaseModel]]) -> ServiceUserRecord:
        entries = directory_closure(directory_refs(records), self.directory.entries)
        return make_bundle([model for _, model in records] + entries)

    def _su_column(self, row: StoredRow) -> str | None:
        rt = RECORD_TYPES[row.rtype]
        column = _column(self.mapping, rt, "service_user_id", row.file)
        if column is None and rt.parent is not None:
            column = _column(self.mapping, rt, rt.parent[1], row.file)
        return column

    def _problem(self, row: StoredRow, field: str | None, reason: str) -> Problem:
        return Problem(row.file, row.line, field, reason, record_type=row.rtype, service_user_id=row.su)


def make_bundle(models: Iterable[BaseModel]) -> ServiceUserRecord:
    """A bundle of records of one service user (directory entries included), each
    collection sorted by record id so that equal data gives an equal bundle."""
    collections: dict[str, list[tuple[tuple[str, ...], BaseModel]]] = defaultdict(list)
    for model in models:
        rt = record_type_of(model)
        assert rt.collection is not None
        collections[rt.collection].append((tuple(str(getattr(model, k)) for k in rt.key), model))
    fields: dict[str, Any] = {}
    for name, items in collections.items():
        ordered = tuple(model for _, model in sorted(items, key=lambda pair: pair[0]))
        fields[name] = ordered[0] if name == "service_user" else ordered
    return ServiceUserRecord(**fields)


def _sorted(problems: list[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(set(problems), key=Problem.sort_key))


def _shown_key(rt: RecordType, key: str | None) -> str:
    """A record's key in a message: a key of several parts (a DIALOG rating's assessment
    and item) names each, never the separator that joins them ('DG1\\x1fdialog-meetings'
    was shown: fourth layout trial)."""
    parts = (key or "").split(KEY_SEPARATOR)
    if key is None or len(parts) == 1:
        return repr(key)
    of = ", ".join(f"{name} {part!r}" for name, part in zip(rt.key[:-1], parts[:-1], strict=True))
    return f"{parts[-1]!r} of {of}"
