"""SMART system scopes, v1 (``system/CarePlan.read``) and v2 (``system/*.rs``).

The API only reads, so a scope grants reading (``r``: read, vread, history) and searching
(``s``) of one resource type or of every type (``*``); v1 ``read`` and ``*`` grant both.
AuditEvents are the administrator's alone: a wildcard never reaches them, only
``system/AuditEvent.read`` (or ``.rs``) does, and only a partner registered as ``admin`` is
given it. Scopes that would write, and v2 scopes narrowed by a query, are refused at
registration: nothing here could honour them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fhircare.errors import UsageError

AUDIT_EVENT = "AuditEvent"
_SCOPE = re.compile(r"^system/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<access>read|write|\*|[cruds]+)(?P<query>\?.*)?$")
_V2_ORDER = "cruds"


@dataclass(frozen=True)
class Scope:
    text: str
    resource_type: str
    read: bool
    search: bool


def parse(text: str) -> Scope:
    """One scope, or UsageError saying why it cannot be granted."""
    found = _SCOPE.match(text)
    if found is None:
        raise UsageError(f"scope {text!r}: not a SMART system scope (system/<Type>.read or system/<Type>.rs)")
    if found["query"]:
        raise UsageError(f"scope {text!r}: scopes narrowed by a query are not supported")
    access = found["access"]
    if access == "write":
        raise UsageError(f"scope {text!r}: the partner API is read-only")
    if access in ("read", "*"):
        read = search = True
    else:
        if "".join(sorted(set(access), key=_V2_ORDER.index)) != access:
            raise UsageError(f"scope {text!r}: v2 permissions must be in the order c, r, u, d, s")
        if set(access) - set("rs"):
            raise UsageError(f"scope {text!r}: the partner API is read-only (only r and s can be granted)")
        read, search = "r" in access, "s" in access
    return Scope(text, found["type"], read, search)


@dataclass(frozen=True)
class Grants:
    """What an access token allows."""

    scopes: tuple[Scope, ...]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Grants:
        return cls(tuple(parse(t) for t in texts))

    def allows(self, resource_type: str, interaction: str) -> bool:
        """``interaction`` is ``read`` (read, vread, history) or ``search``."""
        for scope in self.scopes:
            covered = scope.resource_type == resource_type or (
                scope.resource_type == "*" and resource_type != AUDIT_EVENT
            )
            if covered and (scope.read if interaction == "read" else scope.search):
                return True
        return False

    def any_for(self, resource_type: str) -> bool:
        return self.allows(resource_type, "read") or self.allows(resource_type, "search")

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.scopes)


def check_registration(texts: Iterable[str], served_types: Iterable[str], admin: bool) -> list[str]:
    """The scopes a partner may be registered with, checked; UsageError for the first that
    cannot be granted to it."""
    served = set(served_types)
    out = []
    for text in texts:
        scope = parse(text)
        if scope.resource_type == AUDIT_EVENT:
            if not admin:
                raise UsageError(f"scope {text!r}: AuditEvents are for a partner registered as --type admin only")
        elif admin:
            raise UsageError(f"scope {text!r}: an admin partner reads AuditEvents only (system/AuditEvent.rs)")
        elif scope.resource_type != "*" and scope.resource_type not in served:
            raise UsageError(f"scope {text!r}: the API does not serve {scope.resource_type}")
        out.append(text)
    if not out:
        raise UsageError("--scopes: give at least one scope")
    return list(dict.fromkeys(out))
