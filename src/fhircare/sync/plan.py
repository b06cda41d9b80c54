"""What one outbox row becomes on the wire: a FHIR transaction Bundle. Pure.

The sync never lets a server guess which resource is meant. Before a resource whose
server id it does not know is sent, the sync asks the server who holds its business
identifier (a batch of searches, :func:`identifier_search`): one match is that resource,
none means it is new, two or more is a conflict fhircare never resolves by guessing (a
dead letter naming the ids). Then every entry of the transaction is a plain update by id
(README "Sync": why not conditional updates):

- the target holds the resource: ``PUT <Type>/<server id>`` with ``ifMatch`` on the version
  recorded, so a change made on the server since is never overwritten unseen (412 →
  re-read and re-plan);
- the target does not: ``PUT <Type>/<fhircare id>`` (update as create), the same
  deterministic id on every server and every retry, so sending it twice leaves one.

References: to a resource in the same transaction by its ``urn:uuid:`` fullUrl, to any
other by the server's id; entries are ordered so that a resource comes after those it
refers to. A resource is only sent with everything it refers to already on the server or
in the same transaction; when a shared resource it needs is not there yet, the row waits
(:attr:`Transaction.waiting_for`).

Every transaction carries a Provenance: the trust as custodian, the extract run as the
entity, every resource of the transaction as a target. Its id and content depend only on
the row and what it sends, so a resend after a crash is the same Provenance again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import orjson

from fhircare.mapping.context import ID_NAMESPACE
from fhircare.mapping.fhir import Json
from fhircare.store.canonical import references, rewrite_references
from fhircare.store.outbox import TargetHeld

_DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
#: identifier system of fhircare extract runs (Provenance.entity)
EXTRACT_RUN_SYSTEM = "https://fhir.fhircare.nhs.uk/Id/extract-run"


@dataclass(frozen=True)
class Outgoing:
    """A stored resource as the sync reads it."""

    resource_type: str
    resource_id: str
    content: bytes
    content_hash: str
    identifier: tuple[str, str] | None
    origin: dict[str, object] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.resource_type, self.resource_id


@dataclass(frozen=True)
class PlannedEntry:
    key: tuple[str, str]
    #: the stored content hash this entry sends ("" for the transaction's own Provenance)
    content_hash: str
    method: str
    url: str
    if_match: str | None
    origin: dict[str, object] | None = None


@dataclass(frozen=True)
class Transaction:
    bundle: bytes
    entries: tuple[PlannedEntry, ...]
    #: resources referred to that are neither on the target nor in the transaction
    waiting_for: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not any(e.content_hash for e in self.entries)


@dataclass(frozen=True)
class RunEvidence:
    """What the transaction's Provenance says about where the data came from."""

    run_id: int | None
    store_id: str
    #: the trust's Organization (type, id) and name
    trust: tuple[str, str] | None
    trust_name: str
    recorded: datetime


def escape_search_value(value: str) -> str:
    r"""A search value with FHIR's own escapes (R4 "Escaping Search Parameters"): ``\``, ``|``,
    ``,`` and ``$`` preceded by ``\``. Without them ``A,B`` would search for A or B."""
    for special in ("\\", "|", ",", "$"):
        value = value.replace(special, "\\" + special)
    return value


def identifier_search(resource_type: str, identifier: tuple[str, str]) -> str:
    """``<Type>?identifier=<system>|<value>``: each part escaped for FHIR search, then every
    character that is not unreserved percent-encoded (values hold ``&``, ``#``, spaces)."""
    system, value = (quote(escape_search_value(part), safe="") for part in identifier)
    return f"{resource_type}?identifier={system}%7C{value}"


def search_batch(resources: Sequence[Outgoing]) -> bytes:
    """A batch of identifier searches, one per resource (each must have an identifier)."""
    entries = [
        orjson.dumps({"request": {"method": "GET", "url": identifier_search(r.resource_type, r.identifier)}})
        for r in resources
        if r.identifier is not None
    ]
    return b'{"resourceType":"Bundle","type":"batch","entry":[' + b",".join(entries) + b"]}"


def dependency_order(outgoing: Sequence[Outgoing]) -> list[Outgoing]:
    """``outgoing`` with each resource after the ones of the group it refers to (stable;
    a cycle keeps the given order for what is in it)."""
    keys = {r.key for r in outgoing}
    needs = {r.key: [ref for ref in references(r.content) if ref in keys and ref != r.key] for r in outgoing}
    by_key = {r.key: r for r in outgoing}
    ordered: list[Outgoing] = []
    state: dict[tuple[str, str], int] = {}

    def visit(key: tuple[str, str]) -> None:
        if state.get(key):
            return  # placed, or on the path (a cycle)
        state[key] = 1
        for ref in needs[key]:
            visit(ref)
        state[key] = 2
        ordered.append(by_key[key])

    for resource in outgoing:
        visit(resource.key)
    return ordered


def _etag(held: TargetHeld) -> str | None:
    if held.etag:
        return held.etag
    return f'W/"{held.server_version}"' if held.server_version else None


def select_outgoing(group: Sequence[Outgoing], held: Mapping[tuple[str, str], TargetHeld]) -> list[Outgoing]:
    """The group's resources the target must be sent: those it does not hold in their
    current form, and any that refer to one it does not hold at all (recreated after a
    deletion on the server, it has a new server id)."""
    stale = [r for r in group if (h := held.get(r.key)) is None or h.synced_hash != r.content_hash]
    absent = {r.key for r in group if r.key not in held}
    chosen = {r.key for r in stale}
    if absent:
        for resource in group:
            if resource.key not in chosen and any(ref in absent for ref in references(resource.content)):
                chosen.add(resource.key)
    return [r for r in group if r.key in chosen]


def plan_transaction(
    outgoing: Sequence[Outgoing],
    held: Mapping[tuple[str, str], TargetHeld],
    *,
    group_key: str,
    target_url: str,
    evidence: RunEvidence | None,
) -> Transaction:
    """The transaction Bundle that brings the target up to date with ``outgoing``.
    ``held`` holds what the target holds for these resources and everything they refer to."""
    outgoing = dependency_order(outgoing)
    in_transaction = {r.key for r in outgoing}
    replace: dict[tuple[str, str], str] = {}
    waiting: set[tuple[str, str]] = set()
    for resource in outgoing:
        for ref in references(resource.content):
            if ref in in_transaction:
                replace[ref] = f"urn:uuid:{ref[1]}"
            elif (found := held.get(ref)) is not None:
                replace[ref] = f"{ref[0]}/{found.server_id}"
            else:
                waiting.add(ref)
    if waiting:
        return Transaction(b"", (), tuple(sorted(waiting)))
    entries: list[PlannedEntry] = []
    bundle_entries: list[bytes] = []
    targets: list[Json] = []
    for resource in outgoing:
        body = rewrite_references(resource.content, replace)
        found = held.get(resource.key)
        if found is not None:
            if found.server_id != resource.resource_id:  # held under the server's own id
                parsed = orjson.loads(body)
                parsed["id"] = found.server_id
                body = orjson.dumps(parsed)
            url, if_match = f"{resource.resource_type}/{found.server_id}", _etag(found)
            targets.append({"reference": url})
        else:
            url, if_match = f"{resource.resource_type}/{resource.resource_id}", None
            targets.append({"reference": f"urn:uuid:{resource.resource_id}"})
        request: Json = {"method": "PUT", "url": url}
        if if_match:
            request["ifMatch"] = if_match
        entries.append(PlannedEntry(resource.key, resource.content_hash, "PUT", url, if_match, resource.origin))
        # the stored canonical JSON goes in as it is (not parsed and written again)
        bundle_entries.append(
            b'{"fullUrl":'
            + orjson.dumps(f"urn:uuid:{resource.resource_id}")
            + b',"resource":'
            + body
            + b',"request":'
            + orjson.dumps(request)
            + b"}"
        )
    if evidence is not None and outgoing:
        provenance = sync_provenance(
            outgoing, targets, held, group_key=group_key, target_url=target_url, evidence=evidence
        )
        url = f"Provenance/{provenance['id']}"
        entries.append(PlannedEntry(("Provenance", provenance["id"]), "", "PUT", url, None))
        entry = {
            "fullUrl": f"urn:uuid:{provenance['id']}",
            "resource": provenance,
            "request": {"method": "PUT", "url": url},
        }
        bundle_entries.append(orjson.dumps(entry))
    bundle = b'{"resourceType":"Bundle","type":"transaction","entry":[' + b",".join(bundle_entries) + b"]}"
    return Transaction(bundle, tuple(entries))


def sync_provenance(
    outgoing: Iterable[Outgoing],
    targets: list[Json],
    held: Mapping[tuple[str, str], TargetHeld],
    *,
    group_key: str,
    target_url: str,
    evidence: RunEvidence,
) -> Json:
    """The Provenance of one transaction (see the module docstring)."""
    sent = sorted(f"{r.resource_type}/{r.resource_id}@{r.content_hash}" for r in outgoing)
    pid = str(uuid.uuid5(ID_NAMESPACE, "|".join(["sync", evidence.store_id, target_url, group_key, *sent])))
    run = "unknown" if evidence.run_id is None else str(evidence.run_id)
    agent: Json = {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "code": "custodian",
                    "display": "Custodian",
                }
            ]
        },
        "who": {"display": evidence.trust_name},
    }
    if evidence.trust is not None and (trust := held.get(evidence.trust)) is not None:
        agent["who"] = {"reference": f"{evidence.trust[0]}/{trust.server_id}"}
    elif evidence.trust is not None and any(r.key == evidence.trust for r in outgoing):
        agent["who"] = {"reference": f"urn:uuid:{evidence.trust[1]}"}
    return {
        "resourceType": "Provenance",
        "id": pid,
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Sent to the shared care record by fhircare'
            f" from the trust's extract (run {run}).</p></div>",
        },
        "target": targets,
        "recorded": evidence.recorded.isoformat(),
        "activity": {"coding": [{"system": _DATA_OPERATION, "code": "UPDATE", "display": "revise"}]},
        "agent": [agent],
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {"system": EXTRACT_RUN_SYSTEM, "value": f"{evidence.store_id}/{run}"},
                    "display": f"fhircare extract run {run}",
                },
            }
        ],
    }


def shared_levels(shared: Mapping[tuple[str, str], bytes]) -> list[list[tuple[str, str]]]:
    """Shared resources in the order they can be sent: each level refers only to earlier
    levels (a role after its practitioner and team, a team after its trust). A cycle, or
    a reference to something not pending, does not hold a resource back: it goes in the
    last level and waits there if it must."""
    pending = dict(shared)
    needs = {
        key: {ref for ref in references(content) if ref in pending and ref != key} for key, content in pending.items()
    }
    levels: list[list[tuple[str, str]]] = []
    placed: set[tuple[str, str]] = set()
    while len(placed) < len(needs):
        level = sorted(k for k, deps in needs.items() if k not in placed and deps <= placed)
        if not level:
            levels.append(sorted(k for k in needs if k not in placed))
            break
        levels.append(level)
        placed.update(level)
    return levels
