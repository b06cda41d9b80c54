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
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from fhircare.validation.issues import Issue
from fhircare.validation.references import BundleIndex, parse_reference

#: entries whose validation reaches more others than this are not remembered
_MAX_CLOSURE = 6
#: nor entries (or entries they reach) larger than this as JSON
_MAX_BYTES = 4096
#: (severity, code, expression after the entry's location, text, rule)
Remembered = tuple[tuple[str, str, str, str, str | None], ...]


_REFERENCE = re.compile(rb'"reference":"((?:[^"\\]|\\.)*)"')


def _references(data: bytes) -> tuple[str, ...]:
    """Every reference string in a resource's JSON (contained resources included), found
    in the bytes orjson wrote (keys are never escaped; a value with an escape is decoded)."""
    return tuple(
        orjson.loads(b'"' + found + b'"') if b"\\" in found else found.decode() for found in _REFERENCE.findall(data)
    )


class EntryMemo:
    """Issues of entries already walked, by a digest of all they depend on (bounded LRU)."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._results: OrderedDict[bytes, Remembered] = OrderedDict()
        #: per validation: id of a resource → (digest of its JSON, its references)
        self._own: dict[int, tuple[bytes | None, tuple[str, ...]]] = {}

    def start(self) -> None:
        """A new validation begins: resources of the last one are not to be recognised by id."""
        self._own.clear()

    def _own_digest(self, resource: dict[str, Any]) -> tuple[bytes | None, tuple[str, ...]]:
        """(digest of the resource's JSON, its references); no digest for a large one."""
        found = self._own.get(id(resource))
        if found is None:
            data = orjson.dumps(resource)
            if len(data) > _MAX_BYTES:
                found = (None, ())
            else:
                found = (hashlib.blake2b(data, digest_size=16).digest(), _references(data))
            self._own[id(resource)] = found
        return found

    def key(
        self, resource: dict[str, Any], full_url: str | None, bundle: BundleIndex, asked: Sequence[str], today: str
    ) -> bytes | None:
        """The digest of everything validating ``resource`` as an entry of ``bundle`` sees;
        None for an entry that is large or reaches more than a few others (such an entry,
        a care plan, is unlikely to come round again, and not worth the digest)."""
        own, refs = self._own_digest(resource)
        if own is None or len(refs) > _MAX_CLOSURE:
            return None
        h = hashlib.blake2b(digest_size=20)
        h.update(f"{bundle.type}\x1f{'|'.join(asked)}\x1f{today}\x1f".encode())
        seen: set[int] = set()
        stack: list[tuple[dict[str, Any], str | None]] = [(resource, full_url)]
        while stack:
            item, item_url = stack.pop()
            if id(item) in seen:
                h.update(b"\x00seen")
                continue
            seen.add(id(item))
            own, refs = self._own_digest(item)
            if own is None or len(seen) > _MAX_CLOSURE:
                return None
            h.update(f"{item_url}\x1f".encode())
            h.update(own)
            for ref in refs:
                parsed = parse_reference(ref)
                targets = [] if parsed.kind == "contained" else bundle.resolve(parsed, item_url)
                h.update(f"{ref}\x1e{len(targets)}\x1f".encode())
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
