"""An AuditEvent for every request the API answers, and for every token request.

Each names who asked (the partner's client id and organisation, or who a refused token
claimed to be), what was asked (the interaction, the resource type, the query), which
patients' data it disclosed (and, for a read of one resource, whose it was, even when
refused: see ``service``), what was returned (every resource, by reference) or that it
was refused, the outcome and the purpose of use. They are stored in the record store and
read with an administrator scope (``AuditEvent`` search); they are never logged.

Writes are group-committed: each response waits until its AuditEvent is committed, and a
writer thread commits the events of every request waiting at that moment in one
transaction. A response is never sent without its AuditEvent stored; if storing fails,
the request fails (500) and nothing is disclosed.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, Engine

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
    #: (name, identifier system, value): its ODS code, or the identifier it was registered with
    organisation: tuple[str, str, str] | None = None
    purpose: str | None = None
    query: str | None = None
    patients: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    #: for each resource returned, the grounds on which the access policy disclosed it
    #: (``policy.decide_why``): which Consent, legal duty or direct-care relationship
    grounds: dict[str, list[str]] = field(default_factory=dict)
    #: what the caller asked for by reference (a read of a resource it was not given)
    requested: str | None = None
    #: why it was refused, for the administrator (never sent to the caller)
    refusal: str | None = None
    address: str | None = None


_PROCESS = secrets.token_hex(4)
_SEQUENCE = itertools.count()


def new_id() -> str:
    """Ids in time order (so that paging through AuditEvents follows time), unique across
    processes (a random part per process) without asking the OS for randomness per event."""
    return f"{time.time_ns() // 1000:014x}-{_PROCESS}-{next(_SEQUENCE) % 0x100000000:08x}"


def _outcome(status: int) -> str:
    if status < 400:
        return "0"
    return "4" if status < 500 else "8"


#: the fields of AuditInfo a stored AuditEvent keeps (compact: the FHIR form is rendered
#: when an administrator reads it, not on every request)
_KEPT = (
    "request_id",
    "method",
    "path",
    "interaction",
    "resource_type",
    "client_id",
    "client_verified",
    "organisation",
    "purpose",
    "query",
    "patients",
    "returned",
    "requested",
    "refusal",
    "address",
    "grounds",
)


def compact(info: AuditInfo, status: int) -> bytes:
    """What is stored of one request's AuditEvent."""
    return orjson.dumps([status, *(getattr(info, k) for k in _KEPT)])


def from_compact(content: bytes, recorded: datetime, event_id: str) -> dict[str, Any]:
    """The FHIR AuditEvent of a stored one."""
    status, *values = orjson.loads(content)
    # an event stored before a field was added has fewer values: it keeps that field's default
    fields = dict(zip(_KEPT, values, strict=False))
    if fields["organisation"] is not None:
        organisation = tuple(fields["organisation"])
        if len(organisation) == 2:  # stored before partners without an ODS code: (name, ODS code)
            organisation = (organisation[0], ODS_SYSTEM, organisation[1])
        fields["organisation"] = organisation
    return audit_event(AuditInfo(**fields), int(status), recorded, event_id)


#: the access policy's grounds that are not a Consent, as AuditEvent.agent.policy names them
#: (``…/access-policy/direct-care``; a path, not a fragment, so that a search URL can say it)
ACCESS_POLICY = "https://fhir.fhircare.nhs.uk/access-policy/"


def _policies(info: AuditInfo) -> list[str]:
    """What authorised the disclosures of a request (AuditEvent.agent.policy: "the policy
    or plan that authorized the activity", such as a patient's consent): each Consent
    relied on, by reference, and each other ground of the access policy (direct care,
    Section 117 after-care), by its name under :data:`ACCESS_POLICY` (EC-49: "record which
    policy authorised each share")."""
    found: dict[str, None] = {}
    for grounds in info.grounds.values():
        for ground in grounds:
            for part in ground.split(", "):
                basis, _, consent = part.partition(" Consent/")
                if consent:
                    found[f"Consent/{consent}"] = None
                else:  # "direct-care registered": the policy is direct care, the detail says which
                    found[ACCESS_POLICY + basis.split(" ", 1)[0]] = None
    return sorted(found)


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
    policies = _policies(info)
    if policies:
        agents[0]["policy"] = policies
    if info.organisation is not None:
        agents.append(
            {
                "type": {"coding": [{"system": _DCM, "code": "110150", "display": "Application"}]},
                "who": {"identifier": {"system": info.organisation[1], "value": info.organisation[2]}},
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
    # every resource returned, however many: a disclosure left unnamed would be one no
    # administrator can find (a search page is bounded, service.MAX_PAGE_RESOURCES)
    for ref in info.returned:
        entity: dict[str, Any] = {"what": {"reference": ref}, "type": {"system": _ENTITY_TYPE, "code": "2"}}
        grounds = info.grounds.get(ref)
        if grounds:
            entity["detail"] = [{"type": "disclosed on", "valueString": ground} for ground in grounds]
        entities.append(entity)
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
    # the request id is the one the response's X-Request-Id and the server's log line carry:
    # an administrator matches the three by it
    described = [f"HTTP {status}", f"request {info.request_id}"]
    if not info.client_verified and info.client_id:
        described.append("the client id is what the refused credentials claimed, not verified")
    if info.refusal:
        described.append(info.refusal)
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
    """Group commit of AuditEvents (see the module docstring). Requests leave their events
    in a list and wait; the first schedules a flush for when the event loop has run every
    request that is ready, which writes all the events then waiting in one transaction and
    lets their requests go on. The write runs on the event loop itself: a thread would
    cost more than the write (the hand-over and the GIL), and no response may be sent
    before its AuditEvent is stored anyway."""

    def __init__(self, engine: Engine, *, batch: int = 1000) -> None:
        self._engine = writer(engine)
        self._batch = batch
        self._waiting: list[tuple[audit_store.AuditRow, asyncio.Future[None]]] = []
        self._scheduled = False
        self._checkpoints = _Checkpoints(engine) if engine.dialect.name == "sqlite" else None
        #: SQLite connections (by id) already told not to checkpoint on commit
        self._configured: set[int] = set()

    def start(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.start()

    def stop(self) -> None:
        """Every request waits for its own event, so none is left waiting here."""
        if self._checkpoints is not None:
            self._checkpoints.stop()

    def row(self, info: AuditInfo, status: int) -> audit_store.AuditRow:
        recorded = datetime.now(UTC)
        return audit_store.AuditRow(
            id=new_id(),
            recorded_at=recorded,
            client_id=info.client_id if info.client_verified else None,
            interaction=info.interaction,
            outcome=_outcome(status),
            content=compact(info, status),
            patients=tuple(dict.fromkeys(info.patients)),
            policies=tuple(_policies(info)),
        )

    async def record(self, info: AuditInfo, status: int) -> None:
        """Store the AuditEvent of one request; returns once it is committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((self.row(info, status), done))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        await done

    def _no_autocheckpoint(self, conn: Connection) -> None:
        """This connection's commits must not copy the WAL into the database on the event
        loop (the checkpoint thread does that): set once per SQLite connection."""
        raw = conn.connection.driver_connection
        if id(raw) not in self._configured:
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            self._configured.add(id(raw))

    def _flush(self) -> None:
        self._scheduled = False
        while self._waiting:
            batch, self._waiting = self._waiting[: self._batch], self._waiting[self._batch :]
            error: BaseException | None = None
            try:
                with self._engine.begin() as conn:
                    if self._checkpoints is not None:
                        self._no_autocheckpoint(conn)
                    audit_store.write(conn, [row for row, _ in batch])
            except Exception as exc:  # every waiting request fails with it: nothing unaudited is sent
                _log.error("audit write failed", error=type(exc).__name__, events=len(batch))
                error = exc
            for _row, future in batch:
                _settle(future, error)


class _Checkpoints:
    """SQLite: the WAL copied back into the database file once a second, off the event loop
    (PASSIVE: never waits for readers or writers). Without it the commit that crosses
    SQLite's automatic threshold would copy megabytes while every request waits."""

    def __init__(self, engine: Engine, every_seconds: float = 1.0) -> None:
        self._engine = engine
        self._every = every_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="fhircare-wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            try:
                with self._engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception as exc:  # a busy or failing checkpoint is tried again next time
                _log.warning("WAL checkpoint failed", error=type(exc).__name__)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(RuntimeError("the AuditEvent could not be stored"))
