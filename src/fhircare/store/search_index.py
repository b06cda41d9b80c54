"""The search index of the record store: which values each search parameter takes in each
current resource, kept in step with every resource write (same transaction).

The registry below is the one declaration of the search parameters the partner API
serves: per resource type, each parameter's kind and the simple paths its values come
from. Values are extracted in Python from the stored JSON (no FHIRPath: the paths are
plain element names, a choice element listed once per type it may take), so indexing a
load costs little and searching is a plain indexed lookup.

Rows (``schema.search_index``): a token is ``system`` + ``value`` (a code, an
identifier, a boolean); a reference is ``value`` = ``Type/id``; a date is the instant range
``low``..``high`` it covers (UTC, its precision widened: ``2025-03`` is the whole month),
written as fixed-width text so that string order is time order and open ends are the
earliest and latest instants. ``_id`` and ``_lastUpdated`` come from ``resources`` itself.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, and_, delete, insert, select, text

from fhircare.store.schema import resources, search_index, store_meta

Kind = Literal["token", "reference", "date"]

#: the earliest and latest instants (an open end of a period)
EARLIEST = "0001-01-01T00:00:00.000000"
LATEST = "9999-12-31T23:59:59.999999"
#: index text after the year (written apart: see _text)
_AFTER_YEAR = "-%m-%dT%H:%M:%S.%f"
_INDEX_VERSION_KEY = "search_index_version"


@dataclass(frozen=True)
class SearchParam:
    """One search parameter of one resource type."""

    name: str
    kind: Kind
    #: dotted element paths (``activity.detail.performer``); every value found is indexed
    paths: tuple[str, ...]
    description: str
    #: the resource types a reference parameter points to
    targets: tuple[str, ...] = ()


def _p(name: str, kind: Kind, paths: str, description: str, targets: str = "") -> SearchParam:
    return SearchParam(name, kind, tuple(paths.split()), description, tuple(targets.split()))


_IDENTIFIER = _p("identifier", "token", "identifier", "A business identifier (system|value), e.g. the NHS number")


def _subject(paths: str = "subject") -> tuple[SearchParam, SearchParam]:
    return (
        _p("patient", "reference", paths, "The service user (Patient) the resource is about", "Patient"),
        _p("subject", "reference", paths, "Who the resource is about", "Patient"),
    )


#: the search parameters of every resource type the API serves (besides _id and _lastUpdated)
REGISTRY: dict[str, tuple[SearchParam, ...]] = {
    "Patient": (
        _IDENTIFIER,
        _p("active", "token", "active", "Whether the record is in active use"),
        _p("general-practitioner", "reference", "generalPractitioner", "The registered GP practice", "Organization"),
    ),
    "CarePlan": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "draft | active | on-hold | revoked | completed | entered-in-error"),
        _p("category", "token", "category", "The kind of plan (care plan, crisis plan, ...)"),
        _p("date", "date", "period", "When the plan is in force"),
        _p("care-team", "reference", "careTeam", "The care team of the plan", "CareTeam"),
        _p("part-of", "reference", "partOf", "The plan this plan is part of", "CarePlan"),
        _p("goal", "reference", "goal", "The goals of the plan", "Goal"),
        _p(
            "performer",
            "reference",
            "activity.detail.performer",
            "Who performs an action of the plan",
            "Patient Practitioner PractitionerRole Organization RelatedPerson CareTeam HealthcareService",
        ),
    ),
    "CareTeam": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "proposed | active | suspended | inactive | entered-in-error"),
        _p("category", "token", "category", "The kind of team"),
        _p("date", "date", "period", "When the team is in force"),
        _p(
            "participant",
            "reference",
            "participant.member",
            "A member of the team",
            "Practitioner PractitionerRole Organization RelatedPerson Patient CareTeam",
        ),
    ),
    "QuestionnaireResponse": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "in-progress | completed | amended | entered-in-error | stopped"),
        _p("authored", "date", "authored", "When the answers were given"),
        _p("based-on", "reference", "basedOn", "The plan the response belongs to", "CarePlan"),
    ),
    "Observation": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "registered | preliminary | final | amended | ..."),
        _p("category", "token", "category", "The kind of observation"),
        _p("code", "token", "code", "What was observed"),
        _p("date", "date", "effectiveDateTime effectivePeriod effectiveInstant", "When it was observed"),
        _p("derived-from", "reference", "derivedFrom", "What the value was derived from", "QuestionnaireResponse"),
    ),
    "RelatedPerson": (
        _IDENTIFIER,
        _p("patient", "reference", "patient", "The service user the person is related to", "Patient"),
        _p("active", "token", "active", "Whether the person is an active contact"),
        _p("relationship", "token", "relationship", "How the person is related (carer, sister, ...)"),
    ),
    "Goal": (
        _IDENTIFIER,
        *_subject(),
        _p("lifecycle-status", "token", "lifecycleStatus", "proposed | active | completed | ..."),
        _p("category", "token", "category", "The life area of the goal"),
        _p("start-date", "date", "startDate", "When work on the goal starts"),
    ),
    "Consent": (
        _IDENTIFIER,
        _p("patient", "reference", "patient", "The service user the decision is about", "Patient"),
        _p("status", "token", "status", "draft | proposed | active | rejected | inactive | entered-in-error"),
        _p("category", "token", "category", "The kind of decision"),
        _p("date", "date", "dateTime", "When the decision was recorded"),
        _p("period", "date", "provision.period", "When the decision is in force"),
        _p("actor", "reference", "provision.actor.reference", "To whom", "Organization RelatedPerson"),
    ),
    "EpisodeOfCare": (
        _IDENTIFIER,
        _p("patient", "reference", "patient", "The service user", "Patient"),
        _p("status", "token", "status", "planned | waitlist | active | onhold | finished | cancelled"),
        _p("type", "token", "type", "The service line of the episode"),
        _p("date", "date", "period", "When the episode is open"),
        _p("care-manager", "reference", "careManager", "The named lead", "Practitioner PractitionerRole"),
        _p("organization", "reference", "managingOrganization", "The team responsible", "Organization"),
    ),
    "Encounter": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "planned | arrived | in-progress | finished | ..."),
        _p("class", "token", "class", "Inpatient, community, ..."),
        _p("date", "date", "period", "When the encounter took place"),
        _p("episode-of-care", "reference", "episodeOfCare", "The episode of care", "EpisodeOfCare"),
        _p("service-provider", "reference", "serviceProvider", "The organisation providing it", "Organization"),
    ),
    "Condition": (
        _IDENTIFIER,
        *_subject(),
        _p("clinical-status", "token", "clinicalStatus", "active | recurrence | relapse | inactive | ..."),
        _p("category", "token", "category", "The kind of condition"),
        _p("code", "token", "code", "The condition"),
        _p("onset-date", "date", "onsetDateTime onsetPeriod", "When it began"),
    ),
    "Flag": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "active | inactive | entered-in-error"),
        _p("category", "token", "category", "The kind of flag"),
        _p("code", "token", "code", "What the flag says (do not involve, ...)"),
        _p("date", "date", "period", "When the flag applies"),
    ),
    "Communication": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "preparation | in-progress | completed | ..."),
        _p("category", "token", "category", "The kind of communication (carer-information)"),
        _p("sent", "date", "sent", "When it was sent"),
        _p("sender", "reference", "sender", "Who sent it (a carer)", "RelatedPerson Practitioner PractitionerRole"),
    ),
    "HealthcareService": (
        _IDENTIFIER,
        _p("active", "token", "active", "Whether the service is in use"),
        _p("organization", "reference", "providedBy", "The organisation providing it", "Organization"),
    ),
    "DocumentReference": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "current | superseded | entered-in-error"),
        _p("category", "token", "category", "The kind of document"),
        _p("type", "token", "type", "The type of document"),
        _p("date", "date", "date", "When the document reference was created"),
    ),
    "RiskAssessment": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "registered | preliminary | final | amended | ..."),
        _p("date", "date", "occurrenceDateTime occurrencePeriod", "When the risks were assessed"),
        _p("performer", "reference", "performer", "Who assessed them", "Practitioner PractitionerRole"),
    ),
    "MedicationStatement": (
        _IDENTIFIER,
        *_subject(),
        _p("status", "token", "status", "active | completed | stopped | on-hold | intended | ..."),
        _p("code", "token", "medicationCodeableConcept", "The medication (dm+d)"),
        _p("effective", "date", "effectiveDateTime effectivePeriod", "When it is taken"),
    ),
    "Task": (
        _IDENTIFIER,
        _p("patient", "reference", "for", "The service user the task is for", "Patient"),
        _p("subject", "reference", "for", "Who the task is for", "Patient"),
        _p("status", "token", "status", "requested | ... | completed | cancelled | rejected | ..."),
        _p("code", "token", "code", "What the task is (offer DIALOG, ...)"),
        _p("authored-on", "date", "authoredOn", "When it was created"),
        _p("based-on", "reference", "basedOn", "The plan it belongs to", "CarePlan"),
    ),
    "Practitioner": (_IDENTIFIER, _p("active", "token", "active", "Whether the record is in use")),
    "PractitionerRole": (
        _IDENTIFIER,
        _p("active", "token", "active", "Whether the role is in use"),
        _p("practitioner", "reference", "practitioner", "The practitioner", "Practitioner"),
        _p("organization", "reference", "organization", "The team or organisation", "Organization"),
        _p("role", "token", "code", "The role (job, care team role)"),
    ),
    "Organization": (
        _IDENTIFIER,
        _p("active", "token", "active", "Whether the organisation is in use"),
        _p("type", "token", "type", "The kind of organisation (team, GP practice, VCSE, ...)"),
        _p("partof", "reference", "partOf", "The organisation it is part of", "Organization"),
    ),
}


def params_of(resource_type: str) -> dict[str, SearchParam]:
    return {p.name: p for p in REGISTRY.get(resource_type, ())}


def index_version() -> str:
    """A digest of the registry (and of how values are extracted): an index built by a
    different one is rebuilt (:func:`ensure_current`)."""
    body = repr(sorted((t, [(p.name, p.kind, p.paths) for p in ps]) for t, ps in REGISTRY.items()))
    return hashlib.sha256(f"extraction-1:{body}".encode()).hexdigest()[:16]


# --- dates ------------------------------------------------------------------------------

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?(?P<tz>Z|[+-](?:0\d|1[0-3]):[0-5]\d|[+-]14:00)?)?)?)?$"
)


def date_range(value: str) -> tuple[str, str] | None:
    """The instant range (UTC, as index text) a FHIR date, dateTime or instant covers, or
    None when ``value`` is not one. A value without a time zone is taken as UTC."""
    found = _DATE.match(value)
    if found is None:
        return None
    g = found.groupdict()
    try:
        year = int(g["y"])
        if g["m"] is None:
            low = datetime(year, 1, 1, tzinfo=UTC)
            span = datetime(year + 1, 1, 1, tzinfo=UTC) - low if year < 9999 else None
        elif g["d"] is None:
            month = int(g["m"])
            low = datetime(year, month, 1, tzinfo=UTC)
            span = timedelta(days=calendar.monthrange(year, month)[1])
        elif g["H"] is None:
            low = datetime(year, int(g["m"]), int(g["d"]), tzinfo=UTC)
            span = timedelta(days=1)
        else:
            fraction = (g["f"] or "0")[:6].ljust(6, "0")
            local = datetime(year, int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"] or 0), int(fraction))
            zone = g["tz"]
            if zone and zone != "Z":
                sign = 1 if zone[0] == "+" else -1
                local -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            low = local.replace(tzinfo=UTC)
            span = (
                timedelta(microseconds=1)
                if g["f"]
                else timedelta(seconds=1)
                if g["S"] is not None
                else timedelta(minutes=1)
            )
    except (ValueError, OverflowError):
        return None
    try:
        last = None if span is None else _text(low + span - timedelta(microseconds=1))
    except OverflowError:  # the last day of 9999: its range runs to the end of time
        last = None
    return _text(low), LATEST if last is None else last


def instant_text(moment: datetime) -> str:
    """A timezone-aware instant as index text (UTC)."""
    return _text(moment.astimezone(UTC))


def _text(moment: datetime) -> str:
    """Index text, which compares as the instants do: the year always four digits
    (strftime writes the year 1 as '1', which would sort after '0999')."""
    return f"{moment.year:04d}{moment.strftime(_AFTER_YEAR)}"


# --- extraction ---------------------------------------------------------------------------


def _walk(node: Any, parts: list[str]) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, parts)
        return
    if not parts:
        yield node
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _walk(node[parts[0]], parts[1:])


def _tokens(value: Any) -> Iterator[tuple[str | None, str]]:
    if isinstance(value, bool):
        yield None, "true" if value else "false"
    elif isinstance(value, str):
        yield None, value
    elif isinstance(value, dict):
        if "coding" in value:
            for coding in value["coding"]:
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    yield coding.get("system"), coding["code"]
        elif isinstance(value.get("code"), str):  # a Coding
            yield value.get("system"), value["code"]
        elif isinstance(value.get("value"), str):  # an Identifier
            yield value.get("system"), value["value"]


def _dates(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        found = date_range(value)
        if found is not None:
            yield found
    elif isinstance(value, dict) and ("start" in value or "end" in value):  # a Period
        start = date_range(value["start"]) if isinstance(value.get("start"), str) else None
        end = date_range(value["end"]) if isinstance(value.get("end"), str) else None
        yield (start[0] if start else EARLIEST), (end[1] if end else LATEST)


def local_reference(value: Any) -> str | None:
    """``Type/id`` of a Reference to a resource of this store, else None."""
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str) and ref.count("/") == 1 and not ref.startswith(("urn:", "#")):
            return ref
    return None


def index_rows(resource_type: str, resource_id: str, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The index rows of one resource."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None, str | None, str | None, str | None]] = set()

    def add(param: str, system: str | None, value: str | None, low: str | None = None, high: str | None = None) -> None:
        key = (param, system, value, low, high)
        if key not in seen:
            seen.add(key)
            rows.append(
                {
                    "resource_type": resource_type,
                    "resource_id": resource_id,
                    "param": param,
                    "system": system,
                    "value": value,
                    "low": low,
                    "high": high,
                }
            )

    for param in REGISTRY.get(resource_type, ()):
        for path in param.paths:
            for value in _walk(resource, path.split(".")):
                if param.kind == "token":
                    for system, code in _tokens(value):
                        add(param.name, system, code)
                elif param.kind == "reference":
                    ref = local_reference(value)
                    if ref is not None and ref.split("/", 1)[0] in param.targets:
                        add(param.name, None, ref)
                else:
                    for low, high in _dates(value):
                        add(param.name, None, None, low, high)
    return rows


# --- keeping it in step -------------------------------------------------------------------


def reindex(
    conn: Connection, written: Iterable[tuple[str, str, bytes]], *, fresh: Iterable[tuple[str, str]] = ()
) -> int:
    """Index resources just written (``(type, id, stored content)``), replacing their old
    rows; ``fresh`` names those written for the first time (nothing to replace). Runs in
    the caller's transaction, so the index changes with the resources or not at all."""
    new_keys = set(fresh)
    stale: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    for rtype, rid, content in written:
        if rtype not in REGISTRY:
            continue
        if (rtype, rid) not in new_keys:
            stale.setdefault(rtype, []).append(rid)
        rows.extend(index_rows(rtype, rid, orjson.loads(content)))
    for rtype, ids in stale.items():
        for start in range(0, len(ids), 500):
            conn.execute(
                delete(search_index).where(
                    and_(
                        search_index.c.resource_type == rtype, search_index.c.resource_id.in_(ids[start : start + 500])
                    )
                )
            )
    if rows:
        conn.execute(insert(search_index), rows)
    return len(rows)


def rebuild(conn: Connection) -> int:
    """Index every stored resource afresh (migration 0002, or a changed registry)."""
    conn.execute(delete(search_index))
    total = 0
    batch: list[tuple[str, str, bytes]] = []
    query = select(resources.c.resource_type, resources.c.resource_id, resources.c.content).where(
        resources.c.resource_type.in_(list(REGISTRY))
    )
    for row in conn.execute(query):
        batch.append((row.resource_type, row.resource_id, row.content))
        if len(batch) >= 1000:
            total += reindex(conn, batch, fresh=[(t, i) for t, i, _ in batch])
            batch = []
    total += reindex(conn, batch, fresh=[(t, i) for t, i, _ in batch])
    _set_version(conn, index_version())
    return total


def _set_version(conn: Connection, version: str) -> None:
    updated = conn.execute(
        text("UPDATE store_meta SET value = :v WHERE key = :k"), {"v": version, "k": _INDEX_VERSION_KEY}
    )
    if updated.rowcount == 0:
        conn.execute(insert(store_meta).values(key=_INDEX_VERSION_KEY, value=version))


def stored_version(conn: Connection) -> str | None:
    found = conn.execute(select(store_meta.c.value).where(store_meta.c.key == _INDEX_VERSION_KEY)).scalar()
    return None if found is None else str(found)


def ensure_current(conn: Connection) -> bool:
    """Rebuild the index if it was built by a different registry; True if it was."""
    if stored_version(conn) == index_version():
        return False
    rebuild(conn)
    return True
