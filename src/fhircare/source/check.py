"""What ``fhircare mapping check`` finds before anything is mapped.

:func:`static_notes` looks at a loaded mapping file alone (file patterns that overlap,
record types no source gives); :func:`profile_extract` reads an extract through it and
counts, per column, how many values were mapped, missing, outside every value map or
otherwise unreadable, and per file the rows read, ignored, unreadable or taken by no
record type, and the columns no source reads. Nothing is stored: one pass, row by row.
Values are never shown, except codes that fall outside a value map (codes, not data).
:func:`read_through` then reads the extract as ``fhircare map`` does (every record checked
whole, every reference followed) and counts whom it would reject, and why, so that a file
that checks clean maps without read rejections.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from pathlib import Path

from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.convert import NOT_SHOWN, ConversionProblem, is_missing
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_columns import suggest
from fhircare.source.mapping_schema import ColumnPlan, RecordPlan, TrustMapping
from fhircare.source.records import RECORD_TYPES
from fhircare.source.results import Problem
from fhircare.source.row_loading import matches_rule, takes
from fhircare.source.rows import BrokenRow, Header, RawRow, iter_rows

#: codes outside a value map shown per column
_SHOWN_CODES = 5
_UNKNOWN_CODE = re.compile(r"unknown code (?:(['\"])(.*?)\1|" + re.escape(NOT_SHOWN) + ")")
#: distinct unknown codes counted per column: a column with more holds no codes (mapped by
#: mistake: names, numbers), and its values are not shown
_MAX_DISTINCT_CODES = 20
#: reasons for rejection shown, the commonest first
_SHOWN_REASONS = 10


@dataclass
class ColumnStats:
    record_type: str
    source: int
    field: str
    column: str
    mapped: int = 0
    missing: int = 0
    outside_map: int = 0
    invalid: int = 0
    unknown_codes: Counter[str] = default(default_factory=Counter)
    reasons: Counter[str] = default(default_factory=Counter)
    #: unknown codes are listed only when asked for (``mapping check --show-codes``): a
    #: column mapped by mistake holds names, and a family shares its surname
    show_codes: bool = False

    @property
    def codes_shown(self) -> list[tuple[str, int]]:
        """The commonest unknown codes, as they may be shown: each seen in more than one row
        (a code a value map lacks recurs; a surname in a coded column is one person's), and
        none when the column has more distinct ones than a coded column would (mapped by
        mistake: names, numbers)."""
        if not self.show_codes or len(self.unknown_codes) >= _MAX_DISTINCT_CODES:
            return []
        return [(code, n) for code, n in self.unknown_codes.most_common(_SHOWN_CODES) if n > 1]

    def to_dict(self) -> dict[str, object]:
        return {
            "record_type": self.record_type,
            "source": self.source,
            "field": self.field,
            "column": self.column,
            "mapped": self.mapped,
            "missing": self.missing,
            "outside_value_map": self.outside_map,
            "invalid": self.invalid,
            "unknown_codes": dict(self.codes_shown),
            "reasons": dict(self.reasons.most_common(3)),
        }


@dataclass
class FileStats:
    name: str
    pattern: str
    rows: int = 0
    ignored: int = 0
    unreadable: int = 0
    unclaimed: int = 0
    columns_not_read: list[str] = default(default_factory=list)
    problems: list[str] = default(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class ReadThrough:
    """The extract read as ``fhircare map`` reads it: service users read and rejected, and
    the problems that rejected them, counted by file, column and reason."""

    service_users: int = 0
    rejected: int = 0
    reasons: Counter[tuple[str, str, str]] = default(default_factory=Counter)
    #: rows that repeat an earlier row exactly, read once, per file (as map and load say)
    repeated: dict[str, int] = default(default_factory=dict)
    #: a safeguard's key no row of a JSON Lines file holds (as map and load warn)
    unread_keys: list[str] = default(default_factory=list)

    @property
    def commonest(self) -> list[dict[str, object]]:
        return [
            {"file": f, "column": c, "reason": r, "rows": n}
            for (f, c, r), n in self.reasons.most_common(_SHOWN_REASONS)
        ]

    def to_dict(self) -> dict[str, object]:
        return {
            "service_users": self.service_users,
            "rejected": self.rejected,
            "reasons": self.commonest,
            "repeated_rows": self.repeated,
            "unread_keys": self.unread_keys,
        }


@dataclass
class ExtractProfile:
    files: list[FileStats] = default(default_factory=list)
    columns: list[ColumnStats] = default(default_factory=list)
    missing_files: list[str] = default(default_factory=list)
    absent_optional: list[str] = default(default_factory=list)
    #: None when the extract cannot be read whole (a file missing): the files say why
    read: ReadThrough | None = None
    #: why map would find the extract unusable, where no file's profile says so (files of
    #: two extract days: mapping check said the extract read cleanly, fourth layout trial)
    unusable: list[str] = default(default_factory=list)

    @property
    def has_problems(self) -> bool:
        return bool(
            self.missing_files
            or any(f.unreadable or f.unclaimed or f.problems for f in self.files)
            or any(c.outside_map or c.invalid for c in self.columns)
            or (self.read is not None and (self.read.rejected or self.read.unread_keys))
            or self.unusable
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "files": [f.to_dict() for f in self.files],
            "columns": [c.to_dict() for c in self.columns],
            "missing_files": self.missing_files,
            "absent_optional": self.absent_optional,
            "read": self.read.to_dict() if self.read is not None else None,
            "unusable": self.unusable,
            **(
                {"read_skipped": "the extract cannot be used as it is: a file is missing or unusable (see files)"}
                if self.read is None
                else {}
            ),
        }


def static_notes(mapping: TrustMapping) -> list[str]:
    """Things worth knowing about a mapping file that loads."""
    notes = []
    patterns = list(mapping.files())
    for pattern in patterns:
        sample = pattern.replace("*", "20250630")
        for other in patterns:
            if other != pattern and fnmatch.fnmatchcase(sample, other):
                notes.append(
                    f"the file pattern {other!r} also matches files of {pattern!r} (such as {sample}):"
                    " a file matched by two patterns is refused"
                )
    wide = any("." in c.field.name for plan in mapping.sources.get("dialog_assessment", ()) for c in plan.columns)
    unmapped = [name for name in RECORD_TYPES if name not in mapping.sources and not (wide and name == "dialog_rating")]
    if unmapped:
        notes.append(f"record types this layout gives no records of: {', '.join(unmapped)}")
    return notes


def profile_extract(folder: Path, mapping: TrustMapping, limits: ReadLimits | None = None) -> ExtractProfile:
    profile = ExtractProfile()
    stats: dict[tuple[int, str], ColumnStats] = {}
    for pattern, plans in mapping.files().items():
        paths = sorted(p for p in folder.glob(pattern) if not p.is_dir())
        if not paths:
            for plan in plans:
                target = profile.absent_optional if plan.optional else profile.missing_files
                note = f"{pattern} ({plan.record_type.name})"
                if note not in target:
                    target.append(note)
            continue
        for path in paths:
            name = path.relative_to(folder).as_posix()
            profile.files.append(_profile_file(path, name, pattern, plans, stats, limits))
    profile.columns = list(stats.values())
    return profile


def read_through(
    folder: Path,
    mapping: TrustMapping,
    limits: ReadLimits | None = None,
    judge: Callable[[ServiceUserRecord], Sequence[Problem]] | None = None,
    unusable: list[str] | None = None,
) -> ReadThrough | None:
    """Read the extract as ``fhircare map`` does; None when it cannot be read whole, and
    then the problems of whole files that make it so are added to ``unusable`` (those a
    file's profile does not find). ``judge`` gives the problems ``map`` would find in a
    service user's records read whole (its consistency rules: ``mapping.consistency``,
    which this module, below the mapping, does not import)."""
    from fhircare.source.reader import read_extract
    from fhircare.source.results import Rejected

    found = ReadThrough()
    with read_extract(folder, mapping, limits=limits) as extract:
        if extract.unusable:
            if unusable is not None:
                unusable += [str(p) for p in extract.file_problems if p.line is None and p.record_type is None]
            return None
        found.repeated = dict(extract.repeated)
        found.unread_keys = [str(p) for p in extract.unread_keys]
        for result in extract:
            found.service_users += 1
            problems = result.problems if isinstance(result, Rejected) else judge(result.record) if judge else ()
            if problems:
                found.rejected += 1
                for problem in problems:
                    found.reasons[(problem.file, problem.field or "", _without_values(problem.reason))] += 1
    return found


#: the value a reason quotes (an unknown code, a value a file's rule does not list): each
#: row's own, so the reasons of many rows count together, and a code seen once (perhaps a
#: name in the wrong column) is not shown here; the column counts show those that recur
_QUOTED_VALUE = (
    (_UNKNOWN_CODE, "unknown code"),
    (re.compile(r"^(?:'[^']*'|\"[^\"]*\"|a value \(not shown[^)]*\)) is not a value"), "a value is not a value"),
    (re.compile(r"(not a yes/no value after the value map): .*$"), r"\1"),
)


def _without_values(reason: str) -> str:
    for pattern, replacement in _QUOTED_VALUE:
        reason = pattern.sub(replacement, reason)
    return reason


def _profile_file(
    path: Path,
    name: str,
    pattern: str,
    plans: list[RecordPlan],
    stats: dict[tuple[int, str], ColumnStats],
    limits: ReadLimits | None,
) -> FileStats:
    found = FileStats(name, pattern)
    for item in iter_rows(path, name, plans[0].file_format, limits):
        if isinstance(item, Header):
            read = {column for plan in plans for column in plan.columns_read()}
            found.columns_not_read = [c for c in item.columns if c not in read]
            missing = sorted({c for plan in plans for c in plan.columns_read()} - set(item.columns))
            if missing:
                # a renamed column is the usual cause: name the column the file has instead
                named = ", ".join(m + suggest(m, found.columns_not_read) for m in missing)
                found.problems.append(f"lacks column(s) {named}")
        elif isinstance(item, BrokenRow):
            found.unreadable += 1
        elif isinstance(item, RawRow):
            found.rows += 1
            taken = [plan for plan in plans if takes(plan, item.values)]
            if not taken:
                if any(matches_rule(item.values, rule) for plan in plans for rule in plan.ignore_rows):
                    found.ignored += 1
                else:
                    found.unclaimed += 1
            for plan in taken:
                for column in plan.columns:
                    _count(stats, plan, column, item.values)
        elif isinstance(item, Problem):
            found.problems.append(item.reason)
    return found


def _count(
    stats: dict[tuple[int, str], ColumnStats], plan: RecordPlan, column: ColumnPlan, values: dict[str, object]
) -> None:
    key = (id(plan), column.field.name)
    entry = stats.get(key)
    if entry is None:
        entry = stats[key] = ColumnStats(plan.record_type.name, plan.index, column.field.name, column.source)
    try:
        raw = column.raw(values)
        if is_missing(raw, column.options.missing_values):
            entry.missing += 1
            return
        value = column.convert(raw)
    except ConversionProblem as exc:
        reason = str(exc)
        code = _UNKNOWN_CODE.match(reason)
        if code is not None:
            entry.outside_map += 1
            shown = code[2] if code[1] else NOT_SHOWN
            if shown in entry.unknown_codes or len(entry.unknown_codes) < _MAX_DISTINCT_CODES:
                entry.unknown_codes[shown] += 1
        else:
            entry.invalid += 1
            entry.reasons[reason] += 1
        return
    if value is None:
        entry.missing += 1
    else:
        entry.mapped += 1
