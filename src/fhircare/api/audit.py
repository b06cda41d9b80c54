"""An AuditEvent for every request the API answers, and for every token request.

Each names who asked (the partner's client id and organisation, or who a refused token
claimed to be), what was asked (the interaction, the resource type, the query), which
patients it concerned, what was returned (each resource, by reference) or that it was
refused, the outcome and the purpose of use. They are stored in the record store and read
with an administrator scope (``AuditEvent`` search); they are never logged.

Writes are group-committed: each response waits until its AuditEvent is committed, and a
writer thread commits the events of every request waiting at that moment in one
transaction. A response is never sent without its AuditEvent stored; if storing fails,
the request fails (500) and nothing is disclosed.
"""

from __future__ import annotations

import asyncio
import base64
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import Engine

from fhircare.store import audit as audit_store
from fhircare.store.db import writer

_log = structlog.get_logger("fhircare.api.audit")

_DCM = "http://dicom.nema.org/resources/ontology/DCM"
_REST = "http://terminology.hl7.org/CodeSystem/audit-event-type"
_INTERACTION = "http://hl7.org/fhir/restful-interaction"
_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
CLIENT_ID_SYSTEM = "https://fhir.fhircare.nhs.uk/Id/api-client"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
#: at most this many returned resources are named one by one in an AuditEvent
MAX_ENTITIES = 1000


@dataclass
class AuditInfo:
    """What the handling of one request found out, for its AuditEvent."""

    request_id: str
    method: str
    path: str
    interaction: str = "unknown"
    resource_type: str | None = None
    client_id: str | None = None
    #: False when ``client_id`` is only what a refused token or assertion claimed
    client_verified: bool = False
    organisation: tuple[str, str] | None = None  # (name, ODS code)
    purpose: str | None = None
    query: str | None = None
    patients: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    #: what the caller asked for by reference (a read of a resource it was not given)
    requested: str | None = None
    #: why it was refused, for the administrator (never sent to the caller)
    refusal: str | None = None
    address: str | None = None


def new_id() -> str:
    """Ids in time order (so that paging through AuditEvents follows time)."""
    return f"{time.time_ns() // 1000:014x}-{uuid.uuid4().hex[:16]}"


def _outcome(status: int) -> str:
    if status < 400:
        return "0"
    return "4" if status < 500 else "8"


def audit_event(info: AuditInfo, status: int, recorded: datetime, event_id: str) -> dict[str, Any]:
    token = info.interaction == "token"
    agent_who: dict[str, Any] = {"identifier": {"system": CLIENT_ID_SYSTEM, "value": info.client_id or "unknown"}}
    agents: list[dict[str, Any]] = [
        {
            "type": {"coding": [{"system": _DCM, "code": "110153", "display": "Source Role ID"}]},
            "who": agent_who,
            "requestor": True,
            **({"name": info.organisation[0]} if info.organisation else {}),
            **({"network": {"address": info.address, "type": "2"}} if info.address else {}),
            **({"purposeOfUse": [{"coding": [{"system": _ACT_REASON, "code": info.purpose}]}]} if info.purpose else {}),
        }
    ]
    if info.organisation is not None:
        agents.append(
            {
                "type": {"coding": [{"system": _DCM, "code": "110150", "display": "Application"}]},
                "who": {"identifier": {"system": ODS_SYSTEM, "value": info.organisation[1]}},
                "requestor": False,
            }
        )
    entities: list[dict[str, Any]] = []
    for patient in dict.fromkeys(info.patients):
        entities.append(
            {
                "what": {"reference": patient},
                "type": {"system": _ENTITY_TYPE, "code": "1"},
                "role": {"system": _OBJECT_ROLE, "code": "1"},
            }
        )
    for ref in info.returned[:MAX_ENTITIES]:
        entities.append({"what": {"reference": ref}, "type": {"system": _ENTITY_TYPE, "code": "2"}})
    if info.requested and info.requested not in info.returned:
        entities.append(
            {
                "what": {"reference": info.requested},
                "type": {"system": _ENTITY_TYPE, "code": "2"},
                "description": "asked for",
            }
        )
    if info.query:
        entities.append(
            {
                "type": {"system": _ENTITY_TYPE, "code": "2"},
                "role": {"system": _OBJECT_ROLE, "code": "24"},
                "description": f"{info.method} {info.path}",
                "query": base64.b64encode(info.query.encode()).decode(),
            }
        )
    described = [f"HTTP {status}"]
    if not info.client_verified and info.client_id:
        described.append("the client id is what the refused credentials claimed, not verified")
    if info.refusal:
        described.append(info.refusal)
    if len(info.returned) > MAX_ENTITIES:
        described.append(f"{len(info.returned)} resources returned, the first {MAX_ENTITIES} named")
    event = {
        "resourceType": "AuditEvent",
        "id": event_id,
        "type": (
            {"system": _DCM, "code": "110114", "display": "User Authentication"}
            if token
            else {"system": _REST, "code": "rest", "display": "RESTful Operation"}
        ),
        "subtype": [
            {"system": _DCM, "code": "110122", "display": "Login"}
            if token
            else {"system": _INTERACTION, "code": info.interaction}
        ],
        "action": "E" if token or info.interaction == "operation" else "R",
        "recorded": recorded.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "outcome": _outcome(status),
        "outcomeDesc": "; ".join(described),
        "agent": agents,
        "source": {
            "observer": {"display": "fhircare partner API"},
            "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4"}],
        },
    }
    if info.purpose:
        event["purposeOfEvent"] = [{"coding": [{"system": _ACT_REASON, "code": info.purpose}]}]
    if entities:
        event["entity"] = entities
    return event


class AuditWriter:
    """Group commit of AuditEvents (see the module docstring)."""

    def __init__(self, engine: Engine, *, batch: int = 500) -> None:
        self._engine = writer(engine)
        self._batch = batch
        self._queue: queue.Queue[tuple[audit_store.AuditRow, asyncio.Future[None] | None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fhircare-audit", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def row(self, info: AuditInfo, status: int) -> audit_store.AuditRow:
        recorded = datetime.now(UTC)
        event_id = new_id()
        event = audit_event(info, status, recorded, event_id)
        return audit_store.AuditRow(
            id=event_id,
            recorded_at=recorded,
            client_id=info.client_id if info.client_verified else None,
            interaction=info.interaction,
            outcome=event["outcome"],
            content=orjson.dumps(event),
            patients=tuple(dict.fromkeys(info.patients)),
        )

    async def record(self, info: AuditInfo, status: int) -> None:
        """Store the AuditEvent of one request; returns once it is committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((self.row(info, status), done))
        await done

    def record_now(self, info: AuditInfo, status: int) -> None:
        """Store one AuditEvent from a worker thread, synchronously."""
        with self._engine.begin() as conn:
            audit_store.write(conn, [self.row(info, status)])

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            waiting = [first]
            while len(waiting) < self._batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                waiting.append(item)
            error: BaseException | None = None
            try:
                with self._engine.begin() as conn:
                    audit_store.write(conn, [row for row, _ in waiting])
            except Exception as exc:  # every waiting request fails with it: nothing unaudited is sent
                _log.error("audit write failed", error=type(exc).__name__, events=len(waiting))
                error = exc
            for _row, future in waiting:
                if future is not None:
                    future.get_loop().call_soon_threadsafe(_settle, future, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(RuntimeError("the AuditEvent could not be stored"))
