"""Can this server take what the sync sends? Read from its CapabilityStatement, before
anything is sent, and said in one clear message listing everything that is missing.

The sync needs: FHIR R4 (4.0.x; a server of several versions whose default is another is
asked for R4 by name, see sync/client.py); the ``transaction`` interaction; for every resource type
it sends, ``update``, as create too (``updateCreate`` not false: a new resource is PUT under
fhircare's own id, the same on every retry; see sync/plan.py). It sends no conditional
update, so a server need not offer one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fhircare.mapping.fhir import Json


@dataclass(frozen=True)
class CapabilityCheck:
    fhir_version: str | None
    missing: tuple[str, ...]
    #: what the server says it is, for messages (software name and version)
    software: str

    @property
    def usable(self) -> bool:
        return not self.missing


def is_r4(version: object) -> bool:
    """A CapabilityStatement's fhirVersion that is R4's (4.0.0 or 4.0.1)."""
    return isinstance(version, str) and version.startswith("4.0.")


def check_capabilities(statement: Json, resource_types: Iterable[str]) -> CapabilityCheck:
    version = statement.get("fhirVersion")
    software_part = statement.get("software") or {}
    software = " ".join(str(software_part.get(k)) for k in ("name", "version") if software_part.get(k)) or "unnamed"
    missing: list[str] = []
    if not is_r4(version):
        missing.append(f"FHIR R4 (4.0.x): the server says fhirVersion {version!r}")
    servers = [r for r in statement.get("rest") or [] if r.get("mode") == "server"]
    if not servers:
        missing.append("a REST server (rest.mode = server)")
        return CapabilityCheck(version, tuple(missing), software)
    rest = servers[0]
    system = {i.get("code") for i in rest.get("interaction") or []}
    if "transaction" not in system:
        missing.append("the transaction interaction (rest.interaction transaction)")
    by_type = {r.get("type"): r for r in rest.get("resource") or []}
    for rtype in sorted(set(resource_types) | {"Provenance"}):
        resource = by_type.get(rtype)
        if resource is None:
            missing.append(f"{rtype}: not supported")
            continue
        interactions = {i.get("code") for i in resource.get("interaction") or []}
        if "update" not in interactions:
            missing.append(f"{rtype}: update")
        if resource.get("updateCreate") is False:
            missing.append(f"{rtype}: update as create (updateCreate)")
    return CapabilityCheck(version, tuple(missing), software)
