"""Search requests: the parameters a search gives, checked against the registry
(``store/search_index.py``) and turned into conditions on the index. Anything the API
does not support — an unknown parameter, a modifier, a chain, a prefix — is refused with
an OperationOutcome naming it, never ignored.

Supported: every registered parameter (token ``[system]|code``, reference ``[Type/]id``,
date with the prefixes eq, ne, gt, lt, ge, le, sa, eb), ``_id``, ``_lastUpdated``,
``_include`` / ``_revinclude`` (``Type:param[:Target]``), ``_count``, ``_summary=count``,
``_format`` (JSON only), ``_pretty`` and the API's own paging cursor ``_page``. Values
separated by commas are alternatives; a parameter given twice must hold both times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fhircare.api.paging import decode_after
from fhircare.errors import NotAcceptableError, NotSupportedError, UsageError
from fhircare.store.search_index import EARLIEST, LATEST, REGISTRY, SearchParam, date_range, params_of

#: a piece of SQL with ``?`` placeholders, and its values
Sql = tuple[str, tuple[object, ...]]
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})
#: parameters that say how to answer, not what to find
CONTROL = frozenset({"_count", "_summary", "_include", "_revinclude", "_format", "_pretty", "_page"})
#: parameters that name the service user(s) a search is about
NAMING = frozenset({"patient", "subject", "identifier", "_id"})
#: values a search may give in all (each is a condition the database must bind)
MAX_VALUES = 200


@dataclass(frozen=True)
class Include:
    source_type: str
    param: SearchParam
    target: str | None

    def text(self) -> str:
        return f"{self.source_type}:{self.param.name}" + (f":{self.target}" if self.target else "")


@dataclass
class SearchRequest:
    resource_type: str
    #: SQL conditions on ``resources`` (``?`` placeholders) with their values, all to hold
    conditions: list[Sql] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    revincludes: list[Include] = field(default_factory=list)
    count: int = 20
    summary_count: bool = False
    pretty: bool = False
    after: str | None = None
    #: the parameters as given (every one kept in paging links), in order
    given: list[tuple[str, str]] = field(default_factory=list)
    #: the search names its service user(s)
    names_patient: bool = False
    #: the most values one naming parameter gives (``identifier=A,B,C``: 3)
    naming_values: int = 0

    def names_one(self) -> bool:
        """Names a service user, one value each: a client that must name the patient looks
        one up at a time (a list of guessable local ids is a list of everyone)."""
        return self.names_patient and self.naming_values == 1

    def judged_by_content(self) -> list[tuple[str, str]]:
        """The parameters whose match depends on the resource's content (not its id or
        last change): those a narrowed view may no longer meet."""
        return [(k, v) for k, v in self.given if k not in CONTROL and k not in ("_id", "_lastUpdated")]


def split_values(raw: str) -> list[str]:
    """Alternatives separated by unescaped commas (``\\,`` is a comma in a value)."""
    parts, current, escaped = [], [], False
    for char in raw:
        if escaped:
            current.append(char if char in ",$|\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _split_token(value: str) -> tuple[str | None, str | None]:
    """``system|code`` → (system, code); ``|code`` → ("", code); ``code`` → (None, code)."""
    found = re.match(r"^((?:[^|\\]|\\.)*)\|(.*)$", value)
    if found is None:
        return None, value
    return found.group(1), found.group(2) or None


def _in_index(resource_type: str, param: str, match: Sql) -> Sql:
    text, params = match
    return (
        f"resource_id IN (SELECT resource_id FROM search_index WHERE resource_type = ? AND param = ? AND ({text}))",
        (resource_type, param, *params),
    )


def _any(parts: list[Sql]) -> Sql:
    if not parts:
        return "1 = 0", ()
    return " OR ".join(f"({t})" for t, _ in parts), tuple(p for _, ps in parts for p in ps)


def _token(param: SearchParam, value: str) -> Sql:
    system, code = _split_token(value)
    if system is None:
        return "value = ?", (code,)
    if code is None:
        return "system = ?", (system,)
    if system == "":
        return "system IS NULL AND value = ?", (code,)
    return "system = ? AND value = ?", (system, code)


def _reference(param: SearchParam, value: str, base_url: str) -> Sql:
    return _any([("value = ?", (target,)) for target in _reference_targets(param, value, base_url)])


def _reference_targets(param: SearchParam, value: str, base_url: str) -> list[str]:
    """The ``Type/id`` values a reference search value matches: itself, or a bare id as an
    id of any type the parameter refers to."""
    if value.startswith(base_url + "/"):
        value = value[len(base_url) + 1 :]
    if "/" in value:
        rtype, _, rid = value.partition("/")
        if rtype not in param.targets or not rid or "/" in rid:
            raise UsageError(f"{param.name}: {value!r} is not a reference to {' or '.join(param.targets)}")
        return [value]
    if not value:
        raise UsageError(f"{param.name}: empty reference")
    return [f"{t}/{value}" for t in param.targets]


def prefixed_date(name: str, value: str) -> tuple[str, tuple[str, str]]:
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    text = value[2:] if value[:2] in _PREFIXES else value
    if re.match(r"^[a-z]{2}\d", value) and value[:2] not in _PREFIXES:
        raise NotSupportedError(f"{name}: the prefix {value[:2]!r} is not supported (use {', '.join(_PREFIXES)})")
    found = date_range(text)
    if found is None:
        raise UsageError(f"{name}: {text!r} is not a FHIR date or dateTime")
    return prefix, found


def _range_match(prefix: str, low: str, high: str, values: tuple[object, object]) -> Sql:
    """FHIR date search semantics between the searched range (``values``: its low and high)
    and the target's range (the columns ``low`` and ``high``)."""
    s_low, s_high = values
    contained = f"{low} >= ? AND {high} <= ?"
    return {
        "eq": (contained, (s_low, s_high)),
        "ne": (f"NOT ({contained})", (s_low, s_high)),
        "gt": (f"{high} > ?", (s_high,)),
        "lt": (f"{low} < ?", (s_low,)),
        "ge": (f"{high} > ? OR ({contained})", (s_high, s_low, s_high)),
        "le": (f"{low} < ? OR ({contained})", (s_low, s_low, s_high)),
        "sa": (f"{low} > ?", (s_high,)),
        "eb": (f"{high} < ?", (s_low,)),
    }[prefix]


def _last_updated(value: str, timestamp: Callable[[datetime], object]) -> Sql:
    prefix, (s_low, s_high) = prefixed_date("_lastUpdated", value)
    low = datetime.strptime(s_low, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    high = datetime.strptime(s_high, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    # the last change is an instant: its range is itself
    return _range_match(prefix, "updated_at", "updated_at", (timestamp(low), timestamp(high)))


def _include(value: str, *, reverse: bool, resource_type: str) -> Include:
    parts = value.split(":")
    if value == "*" or len(parts) not in (2, 3):
        raise NotSupportedError(f"{'_revinclude' if reverse else '_include'}={value}: give Type:param[:TargetType]")
    source, name = parts[0], parts[1]
    target = parts[2] if len(parts) == 3 else None
    param = params_of(source).get(name)
    label = "_revinclude" if reverse else "_include"
    if param is None or param.kind != "reference":
        raise NotSupportedError(f"{label}={value}: {source} has no reference search parameter {name!r}")
    if not reverse and source != resource_type:
        raise UsageError(f"_include={value}: includes must start from {resource_type}")
    if reverse and resource_type not in param.targets:
        raise UsageError(f"_revinclude={value}: {source}.{name} does not refer to {resource_type}")
    if target is not None and target not in param.targets:
        raise UsageError(f"{label}={value}: {name} does not refer to {target}")
    return Include(source, param, target)


def parse(
    resource_type: str,
    params: Sequence[tuple[str, str]],
    *,
    base_url: str,
    default_count: int,
    max_count: int,
    timestamp: Callable[[datetime], object] = lambda moment: moment,
) -> SearchRequest:
    """Check a search's parameters and turn them into conditions (UsageError or
    NotSupportedError for the first that cannot be honoured)."""
    registered = params_of(resource_type)
    request = SearchRequest(resource_type, count=default_count, given=list(params))
    values = sum(len(split_values(raw)) for _, raw in params)
    if values > MAX_VALUES:
        raise UsageError(f"a search takes at most {MAX_VALUES} values in all (this one has {values})")
    for key, raw in params:
        name, _, modifier = key.partition(":")
        if "." in name:
            raise NotSupportedError(f"{key}: chained search parameters are not supported")
        if modifier and name not in ("_include", "_revinclude"):
            raise NotSupportedError(f"{key}: the modifier :{modifier} is not supported")
        if modifier:
            raise NotSupportedError(f"{key}: :{modifier} is not supported (includes are not iterated)")
        if name in NAMING and (name in registered or name == "_id"):
            named = split_values(raw)
            if _names_each(registered.get(name), named):
                request.names_patient = True
                request.naming_values = max(request.naming_values, len(named))
        if name == "_count":
            if not raw.isdigit():
                raise UsageError(f"_count: {raw!r} is not a whole number")
            request.count = min(int(raw), max_count)
        elif name == "_summary":
            if raw not in ("count", "false"):
                raise NotSupportedError(f"_summary={raw}: only _summary=count is supported")
            request.summary_count = raw == "count"
        elif name == "_format":
            if raw not in _JSON_FORMATS:
                raise NotAcceptableError(f"_format={raw}: only FHIR JSON is served")
        elif name == "_pretty":
            if raw not in ("true", "false"):
                raise UsageError("_pretty: true or false")
            request.pretty = raw == "true"
        elif name == "_page":
            request.after = decode_after(raw)
        elif name in ("_include", "_revinclude"):
            for value in split_values(raw):
                include = _include(value, reverse=name == "_revinclude", resource_type=resource_type)
                (request.revincludes if name == "_revinclude" else request.includes).append(include)
        elif name == "_id":
            ids = split_values(raw)
            request.conditions.append((f"resource_id IN ({', '.join('?' * len(ids))})", tuple(ids)))
        elif name == "_lastUpdated":
            request.conditions.append(_any([_last_updated(v, timestamp) for v in split_values(raw)]))
        elif name in registered:
            request.conditions.append(_condition(registered[name], split_values(raw), base_url, resource_type))
        else:
            supported = ", ".join(sorted({*registered, "_id", "_lastUpdated", *CONTROL}))
            raise NotSupportedError(f"{key}: not a search parameter of {resource_type} (supported: {supported})")
    return request


IndexRows = list[dict[str, object]]


def view_meets(
    resource_type: str, params: Sequence[tuple[str, str]], shown: IndexRows, whole: IndexRows, *, base_url: str
) -> bool:
    """Whether what a reader is shown still meets the search's content parameters (every
    one, any of its values), judged on the index rows of the view (``shown``) against those
    of the stored resource (``whole``). A parameter whose rows the view kept as they were
    is met as the database found; one whose rows the view changed is judged again on what
    is shown (token and reference), or not met (a date: never a guess that discloses)."""
    registered = params_of(resource_type)
    for key, raw in params:
        param = registered.get(key)
        if param is None:
            continue
        rows = [r for r in shown if r["param"] == key]
        if rows == [r for r in whole if r["param"] == key]:
            continue
        if param.kind == "token":
            wanted = [_split_token(v) for v in split_values(raw)]
            if not any(_token_meets(system, code, r) for system, code in wanted for r in rows):
                return False
        elif param.kind == "reference":
            targets = {t for v in split_values(raw) for t in _reference_targets(param, v, base_url)}
            if not any(r["value"] in targets for r in rows):
                return False
        else:
            return False
    return True


def _token_meets(system: str | None, code: str | None, row: dict[str, object]) -> bool:
    if system is None:
        return row["value"] == code
    if code is None:
        return row["system"] == system
    if system == "":
        return row["system"] is None and row["value"] == code
    return row["system"] == system and row["value"] == code


def _names_each(param: SearchParam | None, values: list[str]) -> bool:
    """Every value names one thing: ``identifier=system|`` (any identifier of a system)
    names everyone with one, so it does not name the patient."""
    if param is not None and param.kind == "token":
        return all(_split_token(v)[1] for v in values)
    return all(values)


def _condition(param: SearchParam, values: list[str], base_url: str, resource_type: str) -> Sql:
    if any(v == "" for v in values):
        raise UsageError(f"{param.name}: empty value")
    if param.kind == "token":
        return _in_index(resource_type, param.name, _any([_token(param, v) for v in values]))
    if param.kind == "reference":
        return _in_index(resource_type, param.name, _any([_reference(param, v, base_url) for v in values]))
    matches = []
    for value in values:
        prefix, found = prefixed_date(param.name, value)
        if prefix == "ne":
            # "not equal": no value of the parameter equals it (resources without one included)
            inner_text, inner = _in_index(resource_type, param.name, _range_match("eq", "low", "high", found))
            matches.append((f"NOT ({inner_text})", inner))
        else:
            matches.append(_in_index(resource_type, param.name, _range_match(prefix, "low", "high", found)))
    return _any(matches)


__all__ = ["CONTROL", "EARLIEST", "LATEST", "REGISTRY", "Include", "SearchRequest", "parse"]
