"""Rules of particular datatypes that no invariant states (the HL7 validator checks them too)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fhircare.validation.issues import IssueSink


def check_attachment(value: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """A stated ``size`` must be the size of the base64 ``data`` it describes."""
    data, size = value.get("data"), value.get("size")
    if not isinstance(data, str) or not isinstance(size, int) or isinstance(size, bool):
        return
    try:
        actual = len(base64.b64decode("".join(data.split()), validate=True))
    except (binascii.Error, ValueError):
        return  # the base64 check on data reports this
    if actual != size:
        sink.error(
            "value",
            loc,
            f"Stated Attachment Size {size} does not match actual attachment size {actual}",
        )


def check_identifier(value: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """An identifier's system names a namespace: an absolute URI, never a local one."""
    system = value.get("system")
    if isinstance(system, str) and system and ":" not in system:
        sink.error("invalid", loc, "Identifier.system must be an absolute reference, not a local reference")
