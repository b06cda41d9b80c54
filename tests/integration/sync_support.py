"""What the sync integration tests check on a real server: that it holds exactly what the
store holds (per type, and each resource's content, compared in fhircare's own form), that
nothing is duplicated, and which versions it holds (to prove a re-run changes nothing)."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, select

from fhircare.store.canonical import content_hash
from fhircare.store.schema import resources, target_resources, targets
from fhircare.sync.plan import EXTRACT_RUN_SYSTEM

Json = dict[str, Any]
#: meta a server adds of its own; fhircare's meta is profile, security and tag
_OWN_META = ("profile", "security", "tag")


def fetch_all(base_url: str, resource_type: str, *, client: httpx.Client | None = None) -> list[Json]:
    """Every resource of a type on the server, following next links (or, for a server that
    gives a total but no next link, its ``_offset``)."""
    http = client or httpx.Client(timeout=120)
    first = f"{base_url.rstrip('/')}/{resource_type}?_count=500"
    url: str | None = first
    found: list[Json] = []
    while url:
        # no-cache: HAPI answers a search repeated within a minute from its cache of the first
        answer = http.get(url, headers={"Accept": "application/fhir+json", "Cache-Control": "no-cache"})
        answer.raise_for_status()
        bundle = answer.json()
        entries = bundle.get("entry") or []
        found.extend(e["resource"] for e in entries if e.get("search", {}).get("mode", "match") == "match")
        url = next((link["url"] for link in bundle.get("link") or [] if link.get("relation") == "next"), None)
        total = bundle.get("total")
        if url is None and entries and isinstance(total, int) and len(found) < total:
            url = f"{first}&_offset={len(found)}"
    return found


def is_sync_provenance(resource: Json) -> bool:
    return resource.get("resourceType") == "Provenance" and any(
        ((e.get("what") or {}).get("identifier") or {}).get("system") == EXTRACT_RUN_SYSTEM
        for e in resource.get("entity") or []
    )


def _strip_meta(resource: Json) -> Json:
    """Only fhircare's own meta, its labels and tags in a set order (a label list is a set:
    HAPI sorts it)."""
    out = copy.deepcopy(resource)
    meta = {k: v for k, v in (out.get("meta") or {}).items() if k in _OWN_META}
    for key in ("security", "tag"):
        if isinstance(meta.get(key), list):
            meta[key] = sorted(meta[key], key=lambda c: (str(c.get("system")), str(c.get("code"))))
    if meta:
        out["meta"] = meta
    else:
        out.pop("meta", None)
    return out


def _local_form(resource: Json, our_ids: dict[tuple[str, str], str]) -> bytes:
    """A server's resource in fhircare's stored form: fhircare's ids, references between
    fhircare's resources as ``<Type>/<fhircare id>``, only fhircare's own meta."""
    out = _strip_meta(resource)
    out["id"] = our_ids.get((resource["resourceType"], str(resource.get("id"))), resource.get("id"))

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            result = {k: walk(v) for k, v in value.items()}
            ref = result.get("reference")
            if isinstance(ref, str) and "/" in ref:
                parts = ref.split("/")
                rtype, rid = parts[-2], parts[-1]
                if (rtype, rid) in our_ids:
                    result["reference"] = f"{rtype}/{our_ids[(rtype, rid)]}"
            return result
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return orjson.dumps(walk(out), option=orjson.OPT_SORT_KEYS)


@dataclass
class Comparison:
    """How the server's holdings compare with the store's."""

    expected: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    duplicated_identifiers: list[str] = field(default_factory=list)
    duplicated_sync_provenance: int = 0
    sync_provenance: int = 0
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return (
            self.expected == self.found
            and not self.missing
            and not self.unexpected
            and not self.different
            and not self.duplicated_identifiers
            and not self.duplicated_sync_provenance
        )

    def explain(self) -> str:
        return (
            f"expected {dict(self.expected)}, found {dict(self.found)}; missing {self.missing[:5]};"
            f" unexpected {self.unexpected[:5]}; different {self.different[:5]};"
            f" duplicated identifiers {self.duplicated_identifiers[:5]};"
            f" duplicated sync Provenance {self.duplicated_sync_provenance}"
        )


def compare_with_store(
    engine: Engine, base_url: str, *, registered_as: str | None = None, excluding: frozenset[str] = frozenset()
) -> Comparison:
    """Every stored resource must be on the server once, with the stored content; nothing
    else may be there but the sync's own Provenance (one per distinct transaction).
    ``registered_as``: the URL the store knows the target by (a proxy in front of it);
    ``excluding``: service users whose resources must not be there (dead-lettered)."""
    with engine.connect() as conn:
        stored = {
            (r.resource_type, r.resource_id): r
            for r in conn.execute(select(resources))
            if r.service_user_id not in excluding
        }
        target = conn.execute(
            select(targets.c.id).where(targets.c.base_url == (registered_as or base_url))
        ).scalar_one()
        held = {
            (r.resource_type, r.server_id): r.resource_id
            for r in conn.execute(select(target_resources).where(target_resources.c.target_id == target))
        }
    result = Comparison()
    result.expected.update(t for t, _ in stored)
    types = sorted({t for t, _ in stored} | {"Provenance"})
    seen: set[tuple[str, str]] = set()
    http = httpx.Client(timeout=120)
    provenance_keys: Counter[bytes] = Counter()
    for rtype in types:
        identifiers: defaultdict[str, int] = defaultdict(int)
        for resource in fetch_all(base_url, rtype, client=http):
            if is_sync_provenance(resource):
                result.sync_provenance += 1
                key = orjson.dumps(
                    [resource.get("entity"), sorted(t.get("reference", "") for t in resource.get("target") or [])]
                )
                provenance_keys[key] += 1
                continue
            server_id = str(resource.get("id"))
            ours = held.get((rtype, server_id), server_id)
            key = (rtype, ours)
            result.versions[f"{rtype}/{server_id}"] = str((resource.get("meta") or {}).get("versionId"))
            listed = resource.get("identifier") or []
            for identifier in listed if isinstance(listed, list) else [listed]:
                identifiers[f"{identifier.get('system')}|{identifier.get('value')}"] += 1
            if key not in stored:
                result.unexpected.append(f"{rtype}/{server_id}")
                continue
            if key in seen:
                result.unexpected.append(f"{rtype}/{server_id} (a second copy)")
                continue
            seen.add(key)
            result.found[rtype] += 1
            local = _local_form(resource, held)
            # compared as values: a server in JavaScript (Medplum) writes the decimal 5.0 as 5
            if content_hash(local) != stored[key].content_hash and orjson.loads(local) != orjson.loads(
                _local_form(orjson.loads(stored[key].content), {})
            ):
                result.different.append(f"{rtype}/{ours}")
        result.duplicated_identifiers.extend(i for i, n in identifiers.items() if n > 1)
    result.missing = sorted(f"{t}/{i}" for t, i in stored if (t, i) not in seen)
    result.duplicated_sync_provenance = sum(n - 1 for n in provenance_keys.values() if n > 1)
    return result


def first_difference(engine: Engine, base_url: str, what: str) -> str:
    """For a failing comparison: the stored and the server's form of one resource."""
    rtype, _, rid = what.partition("/")
    with engine.connect() as conn:
        row = conn.execute(
            select(resources.c.content).where(resources.c.resource_type == rtype, resources.c.resource_id == rid)
        ).scalar_one()
        target = conn.execute(select(targets.c.id).where(targets.c.base_url == base_url)).scalar_one()
        server_id = conn.execute(
            select(target_resources.c.server_id).where(
                target_resources.c.target_id == target,
                target_resources.c.resource_type == rtype,
                target_resources.c.resource_id == rid,
            )
        ).scalar_one()
        held = {
            (r.resource_type, r.server_id): r.resource_id
            for r in conn.execute(select(target_resources).where(target_resources.c.target_id == target))
        }
    server = httpx.get(f"{base_url}/{rtype}/{server_id}", headers={"Accept": "application/fhir+json"}).json()
    return f"stored: {row.decode()[:1500]}\nserver: {_local_form(server, held).decode()[:1500]}"


def edit_rows(path: Path, column: str, service_users: set[str], new_value: str, id_column: str) -> int:
    """Change one column of the rows of some service users in a CSV extract file."""
    import csv
    import io

    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    assert reader.fieldnames is not None and column in reader.fieldnames, (column, reader.fieldnames)
    changed = 0
    for row in rows:
        if row[id_column] in service_users:
            row[column] = new_value
            changed += 1
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return changed
