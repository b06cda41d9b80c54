"""Reading the AuditEvents (administrator clients only: ``system/AuditEvent.rs`` and
``--type admin``): read by id, and search by ``date``, ``patient``, ``agent`` (the partner's
client id), ``outcome`` and ``subtype`` (the interaction), paged like every search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine

from fhircare.api import bundles
from fhircare.api import search as search_params
from fhircare.api.audit import AuditInfo, from_compact
from fhircare.api.paging import decode_after
from fhircare.api.reads import Stored, utc
from fhircare.api.service import Caller, FhirService
from fhircare.errors import ForbiddenError, NotAcceptableError, NotFoundError, NotSupportedError, UsageError
from fhircare.store import audit as audit_store

Json = dict[str, Any]
_PARAMS = ("_id", "date", "patient", "agent", "outcome", "subtype", "policy")


def _require_admin(service: FhirService, caller: Caller, interaction: str, audit: AuditInfo) -> None:
    if caller.viewer.organisation_type.value != "admin":
        audit.refusal = "AuditEvents are for administrator clients"
        raise ForbiddenError("AuditEvents are for administrator clients only")
    service.require(caller, "AuditEvent", interaction, audit)


def _event(event_id: str, recorded: datetime, content: bytes) -> tuple[Stored, Json]:
    """An AuditEvent as stored, and its FHIR form."""
    moment = utc(recorded)
    return Stored("AuditEvent", event_id, None, 1, moment, content), from_compact(content, moment, event_id)


def read(service: FhirService, engine: Engine, caller: Caller, rid: str, audit: AuditInfo) -> tuple[Stored, Json]:
    audit.interaction, audit.resource_type, audit.requested = "read", "AuditEvent", f"AuditEvent/{rid}"
    _require_admin(service, caller, "read", audit)
    with engine.connect() as conn:
        found = audit_store.search(conn, audit_store.AuditQuery(ids=(rid,)), after=None, limit=1)
    if not found:
        raise NotFoundError(f"AuditEvent/{rid} is not known")
    stored, event = _event(*found[0])
    audit.returned.append(stored.ref)
    audit.grounds[stored.ref] = ["administrator"]
    return stored, event


def _query(params: Sequence[tuple[str, str]], base_url: str) -> tuple[audit_store.AuditQuery, int, bool, str | None]:
    ids: list[str] = []
    outcome: list[str] = []
    subtype: list[str] = []
    after = None
    # for each parameter given, any of its values (every parameter given must be met): the
    # first value alone was searched, so "who read A or B" silently left B's readers out
    patients: list[tuple[str, ...]] = []
    clients: list[tuple[str, ...]] = []
    policies: list[tuple[str, ...]] = []
    low = high = None
    count, summary = 20, False
    for key, raw in params:
        name, _, modifier = key.partition(":")
        if modifier:
            raise NotSupportedError(f"{key}: modifiers are not supported")
        values = search_params.split_values(raw)
        if name == "_id":
            ids += values
        elif name == "date":
            for value in values:
                prefix, (s_low, s_high) = search_params.prefixed_date("date", value)
                start = datetime.strptime(s_low, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
                end = datetime.strptime(s_high, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
                if prefix in ("ge", "gt", "sa"):
                    low = end if prefix != "ge" else start
                elif prefix in ("le", "lt", "eb"):
                    high = start if prefix != "le" else end
                elif prefix == "eq":
                    low, high = start, end
                else:
                    raise NotSupportedError(f"date: the prefix {prefix} is not supported for AuditEvent")
        elif name == "patient":
            refs = (v.removeprefix(base_url + "/") for v in values)
            patients.append(tuple(sorted({r if r.startswith("Patient/") else f"Patient/{r}" for r in refs})))
        elif name == "agent":
            clients.append(tuple(sorted({v.split("|")[-1] for v in values})))
        elif name == "policy":
            # a Consent as the event names it (relative), however the caller spells it; several
            # values are any of them, and each parameter given must be met
            policies.append(tuple(sorted({v.removeprefix(base_url + "/") for v in values})))
        elif name == "outcome":
            outcome += values
        elif name == "subtype":
            subtype += [v.split("|")[-1] for v in values]
        elif name == "_count":
            if not raw.isdigit():
                raise UsageError(f"_count: {raw!r} is not a whole number")
            count = min(int(raw), 1000)
        elif name == "_summary":
            if raw not in ("count", "false"):
                raise NotSupportedError(f"_summary={raw}: only _summary=count is supported")
            summary = raw == "count"
        elif name == "_page":
            after = decode_after(raw)
        elif name == "_format":
            if raw not in ("json", "application/json", "application/fhir+json"):
                raise NotAcceptableError(f"_format={raw}: only FHIR JSON is served")
        elif name != "_pretty":
            raise NotSupportedError(f"{key}: not a search parameter of AuditEvent (supported: {', '.join(_PARAMS)})")
    interactions = tuple("token" if s == "110122" else s for s in subtype)
    query = audit_store.AuditQuery(
        ids=tuple(ids),
        patients=tuple(patients),
        clients=tuple(clients),
        policies=tuple(policies),
        outcome=tuple(outcome),
        interaction=interactions,
        recorded_from=low,
        recorded_to=high,
    )
    return query, count, summary, after


def search(
    service: FhirService,
    engine: Engine,
    caller: Caller,
    params: Sequence[tuple[str, str]],
    audit: AuditInfo,
    *,
    sealed_for: str | None = None,
) -> Json:
    audit.interaction, audit.resource_type = "search-type", "AuditEvent"
    _require_admin(service, caller, "search", audit)
    query, count, summary, after = _query(params, service.base_url)
    self_url = service.pages.page_url(service.base_url, "AuditEvent", params, after, sealed_for=sealed_for)
    with engine.connect() as conn:
        if summary or count == 0:
            total = audit_store.count(conn, query)
            return bundles.searchset(
                service.base_url, "AuditEvent", params, [], [], next_url=None, total=total, self_url=self_url
            )
        rows = audit_store.search(conn, query, after=after, limit=count + 1)
    shown = [(s, orjson.dumps(bundles.served(s, event))) for s, event in (_event(*row) for row in rows[:count])]
    audit.returned.extend(s.ref for s, _ in shown)
    audit.grounds.update((s.ref, ["administrator"]) for s, _ in shown)
    next_url = (
        service.pages.page_url(service.base_url, "AuditEvent", params, shown[-1][0].resource_id, sealed_for=sealed_for)
        if len(rows) > count and shown
        else None
    )
    return bundles.searchset(
        service.base_url, "AuditEvent", params, shown, [], next_url=next_url, total=None, self_url=self_url
    )
