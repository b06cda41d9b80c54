"""Does the target keep what says a record is restricted? Pure.

Every resource of a service user's record carries security labels (restricted mental health
information; what a carer asked to keep from the service user: NOPAT) and extensions
(do-not-involve, withdrawn from the trust's record). Readers of the shared care record
other than fhircare decide what to show from them. A server that stores only what it
understands, or a proxy in front of it that strips ``meta.security``, accepts a transaction
and answers 200: nothing in the answer says the labels are gone. Only reading a resource
back shows it, so the sync reads back one resource a run (sync/engine.py) and stops when
it lacks any label or extension it was sent with (hazard H15).

What is compared is what a server has no reason to change: the labels (by system and code,
so a server adding its own is no loss) and the extension URLs, anywhere in the resource.
Not the rest: servers may reorder, add ``meta.source``, or rewrite references.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhircare.mapping.fhir import Json


def labels(resource: Json) -> set[tuple[str, str]]:
    """A resource's security labels, as (system, code)."""
    marks = (resource.get("meta") or {}).get("security") or []
    return {(str(m.get("system")), str(m.get("code"))) for m in marks if isinstance(m, dict)}


def extension_urls(node: Any) -> set[str]:
    """The URLs of every extension and modifier extension in a resource, at any depth."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in ("extension", "modifierExtension"):
                for ext in item.get(key) or ():
                    if isinstance(ext, dict) and isinstance(ext.get("url"), str):
                        found.add(ext["url"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def lost_in_keeping(sent: Json, held: Json) -> list[str]:
    """What of a sent resource's labels and extensions the version read back lacks, in
    words for a message (codes and URLs: never a value of the record)."""
    lost = [f"security label {code} ({system})" for system, code in sorted(labels(sent) - labels(held))]
    lost += [f"extension {url}" for url in sorted(extension_urls(sent) - extension_urls(held))]
    return lost


def most_telling(resources: Iterable[tuple[tuple[str, str], Json]]) -> tuple[str, str] | None:
    """Of the resources a transaction sent, the one whose read-back says most: the most
    labels and extensions (a carer's information kept from the service user has four
    labels). None when none carries a label (the trust, teams and staff carry none)."""
    best: tuple[int, tuple[str, str]] | None = None
    for key, resource in resources:
        marks = labels(resource)
        if not marks:
            continue
        score = len(marks) + len(extension_urls(resource))
        if best is None or score > best[0]:
            best = (score, key)
    return best[1] if best else None
