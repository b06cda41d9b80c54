"""Remembering the validation of Bundle entries that come round again.

A stream of bundles repeats resources: every bundle ``fhircare map`` writes carries the
trust, its teams, its staff. Validating such an entry again in another bundle gives the
same issues, as long as everything its validation can see is the same: its own content,
its fullUrl, what each of its references resolves to (and, through those, everything
reachable from it), the bundle's type, the profiles asked for, and today's date (which
invariants such as "the current key worker" compare with). The key below is a digest of
exactly that, so a remembered answer is only ever reused where a fresh walk would give it
again; its issues are replayed at the entry's new location.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import orjson

from fhircare.validation.issues import Issue
from fhircare.validation.references import BundleIndex, parse_reference

#: entries whose validation reaches more others than this are not remembered
_MAX_CLOSURE = 6
#: (severity, code, expression after the entry's location, text, rule)
Remembered = tuple[tuple[str, str, str, str, str | None], ...]


def _references(value: Any) -> Iterator[str]:
    """Every reference string in a resource (contained resources included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("reference")
            if isinstance(ref, str):
                yield ref
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))


class EntryMemo:
    """Issues of entries already walked, by a digest of all they depend on (bounded LRU)."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._results: OrderedDict[bytes, Remembered] = OrderedDict()
        #: per validation: id of a resource → (digest of its JSON, its references)
        self._own: dict[int, tuple[bytes, tuple[str, ...]]] = {}

    def start(self) -> None:
        """A new validation begins: resources of the last one are not to be recognised by id."""
        self._own.clear()

    def _own_digest(self, resource: dict[str, Any]) -> tuple[bytes, tuple[str, ...]]:
        found = self._own.get(id(resource))
        if found is None:
            data = orjson.dumps(resource)
            found = self._own[id(resource)] = (
                hashlib.blake2b(data, digest_size=16).digest(),
                tuple(_references(resource)),
            )
        return found

    def key(
        self, resource: dict[str, Any], full_url: str | None, bundle: BundleIndex, asked: Sequence[str]
    ) -> bytes | None:
        """The digest of everything validating ``resource`` as an entry of ``bundle`` sees;
        None when that reaches more than a few other entries (an entry that depends on
        much of its bundle is unlikely to come round again, and not worth the digest)."""
        if len(self._own_digest(resource)[1]) > _MAX_CLOSURE:
            return None  # refers to much of its bundle (a care plan, a care team)
        h = hashlib.blake2b(digest_size=20)
        h.update(orjson.dumps([bundle.type, list(asked), date.today().isoformat()]))
        seen: set[int] = set()
        stack: list[tuple[dict[str, Any], str | None]] = [(resource, full_url)]
        while stack:
            item, item_url = stack.pop()
            if id(item) in seen:
                h.update(b"\x00seen")
                continue
            seen.add(id(item))
            if len(seen) > _MAX_CLOSURE:
                return None
            own, refs = self._own_digest(item)
            h.update(orjson.dumps(item_url))
            h.update(own)
            for ref in refs:
                parsed = parse_reference(ref)
                targets = [] if parsed.kind == "contained" else bundle.resolve(parsed, item_url)
                h.update(orjson.dumps([ref, len(targets)]))
                stack.extend((t, bundle.full_url_of.get(id(t))) for t in targets)
        return h.digest()

    def get(self, key: bytes) -> Remembered | None:
        found = self._results.get(key)
        if found is not None:
            self._results.move_to_end(key)
        return found

    def put(self, key: bytes, loc: str, issues: Sequence[Issue]) -> None:
        """Remember an entry's issues, relative to its location ``loc`` (when they all are)."""
        remembered = []
        for issue in issues:
            if not issue.expression.startswith(loc) or loc in issue.text:
                return  # an issue that is not the entry's own: do not guess
            remembered.append((issue.severity, issue.code, issue.expression[len(loc) :], issue.text, issue.rule))
        self._results[key] = tuple(remembered)
        if len(self._results) > self._size:
            self._results.popitem(last=False)
