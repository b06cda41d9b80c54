"""References: parsing them, resolving them in a Bundle or among contained resources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fhircare.validation.xhtml import Anchors

#: (reference_checks.plain_reference relies on it: a match with no base holds no whitespace,
#: but for a newline at the very end, where '$' matches too)
_RESTFUL = re.compile(
    r"^(?:(?P<base>.*/))?(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/(?P<version>[A-Za-z0-9\-.]{1,64}))?$"
)


@dataclass(frozen=True, slots=True)
class ParsedReference:
    text: str
    kind: str  # contained | relative | absolute | urn | other
    type: str | None = None
    id: str | None = None
    version: str | None = None
    base: str | None = None


_PARSED: dict[str, ParsedReference] = {}


def parse_reference(text: str) -> ParsedReference:
    """Parse a reference string (memoised: the same references recur across a record)."""
    found = _PARSED.get(text)
    if found is None:
        if len(_PARSED) > 4096:
            _PARSED.clear()
        found = _PARSED[text] = _parse_reference(text)
    return found


def _parse_reference(text: str) -> ParsedReference:
    if text.startswith("#"):
        return ParsedReference(text, "contained", id=text[1:] or None)
    if text.startswith("urn:uuid:") or text.startswith("urn:oid:"):
        return ParsedReference(text, "urn")
    m = _RESTFUL.match(text)
    is_absolute = "://" in text
    if m:
        return ParsedReference(
            text,
            "absolute" if is_absolute else "relative",
            type=m.group("type"),
            id=m.group("id"),
            version=m.group("version"),
            base=m.group("base"),
        )
    return ParsedReference(text, "absolute" if is_absolute else "other")


@dataclass(slots=True)
class BundleIndex:
    """A Bundle's entries by fullUrl and by Type/id, for resolving references."""

    type: str | None
    by_full_url: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_type_id: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: id() of each entry's resource → that entry's fullUrl (the walk reaches the resource, not the entry)
    full_url_of: dict[int, str] = field(default_factory=dict)
    #: the Bundle itself (None for the resources of a Parameters)
    source: dict[str, Any] | None = None
    _anchors: Anchors | None = None

    def anchors(self) -> Anchors | None:
        """What a '#fragment' link in an entry's narrative can point at in the whole Bundle."""
        if self.source is None:
            return None
        if self._anchors is None:
            self._anchors = Anchors.of(self.source)
        return self._anchors

    @classmethod
    def of_parameters(cls, parameters: dict[str, Any]) -> BundleIndex:
        """Resources carried in a Parameters resource, which may refer to one another."""
        index = cls(type="parameters")
        stack = list(parameters.get("parameter", ())) if isinstance(parameters.get("parameter"), list) else []
        while stack:
            p = stack.pop()
            if not isinstance(p, dict):
                continue
            if isinstance(p.get("part"), list):
                stack.extend(p["part"])
            r = p.get("resource")
            if isinstance(r, dict) and isinstance(r.get("resourceType"), str) and isinstance(r.get("id"), str):
                index.by_type_id.setdefault(f"{r['resourceType']}/{r['id']}", []).append(r)
        return index

    @classmethod
    def of(cls, bundle: dict[str, Any]) -> BundleIndex:
        index = cls(type=bundle.get("type") if isinstance(bundle.get("type"), str) else None, source=bundle)
        for entry in bundle.get("entry", ()) if isinstance(bundle.get("entry"), list) else ():
            if not isinstance(entry, dict):
                continue
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str):
                index.by_full_url.setdefault(full_url, []).append(resource)
                index.full_url_of[id(resource)] = full_url
            rt, rid = resource.get("resourceType"), resource.get("id")
            if isinstance(rt, str) and isinstance(rid, str):
                index.by_type_id.setdefault(f"{rt}/{rid}", []).append(resource)
        return index

    def resolve(self, ref: ParsedReference, from_full_url: str | None) -> list[dict[str, Any]]:
        """Entries a reference made from the entry at ``from_full_url`` can mean.

        A versioned reference (``.../_history/2``) means the entry with that
        ``meta.versionId`` when the bundle holds several versions.
        """
        found = self._resolve(ref, from_full_url)
        if ref.version and len(found) > 1:
            found = [r for r in found if isinstance(r.get("meta"), dict) and r["meta"].get("versionId") == ref.version]
        return found

    def _resolve(self, ref: ParsedReference, from_full_url: str | None) -> list[dict[str, Any]]:
        if ref.kind in ("urn", "absolute"):
            found = self.by_full_url.get(ref.text)
            if found:
                return found
            if ref.kind == "absolute" and ref.version:
                return self.by_full_url.get(ref.text.split("/_history/")[0], [])
            return []
        if ref.kind != "relative" or ref.type is None:
            return []
        key = f"{ref.type}/{ref.id}"
        if ref.version:
            found = self.by_full_url.get(ref.text.split("/_history/")[0])
            if found:
                return found
        if from_full_url and "://" in from_full_url:
            m = _RESTFUL.match(from_full_url)
            if m and m.group("base"):
                found = self.by_full_url.get(m.group("base") + key)
                if found:
                    return found
        return self.by_type_id.get(key, [])
