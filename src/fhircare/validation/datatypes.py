"""Rules of particular datatypes that no invariant states (the HL7 validator checks them too)."""

from __future__ import annotations

import base64
import binascii
import re
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


_RFC_4122 = ("https://tools.ietf.org/html/rfc4122",)  # the HL7 validator checks https only
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_COMMON_SCHEMES = ("http:", "https:", "urn:")
_UUID = re.compile(r"(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def check_code_system(value: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """The system of a Coding's or a Quantity's code is an absolute URI: a local name
    ('snomed', 'units') says nothing about which code system is meant. Checked where the
    HL7 validator checks it: a Coding of its own and a Quantity, each with a code (the
    codings of a CodeableConcept are not: the caller leaves them out)."""
    system = value.get("system")
    if type(system) is not str or system.startswith(_COMMON_SCHEMES):
        return  # the common case, settled without the pattern
    if system and isinstance(value.get("code"), str) and not _URI_SCHEME.match(system):
        sink.error("code-invalid", loc, "Coding.system must be an absolute reference, not a local reference")


def check_identifier(value: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """An identifier's system names a namespace: an absolute URI, never a local one; and the
    two IETF systems say what the value is (a URI; a UUID), as the HL7 validator checks."""
    system = value.get("system")
    if not isinstance(system, str) or not system:
        return
    if ":" not in system:
        sink.error("invalid", loc, "Identifier.system must be an absolute reference, not a local reference")
        return
    identifier = value.get("value")
    if not isinstance(identifier, str):
        return
    if system == "urn:ietf:rfc:3986" and not _URI_SCHEME.match(identifier):
        sink.error(
            "invalid",
            loc,
            f"if identifier.system is 'urn:ietf:rfc:3986', then the identifier.value must be a full URI "
            f"(e.g. start with a scheme), not '{identifier}'",
        )
    elif system in _RFC_4122:
        if _UUID.fullmatch(identifier):
            sink.warning(
                "invalid",
                loc,
                f"The URL '{system}' should not be used with the UUID '{identifier}': "
                "use the system 'urn:ietf:rfc:3986' and the value 'urn:uuid:' + the UUID",
            )
        else:
            sink.error("invalid", loc, f"The URL '{system}' is not correct for the identifier '{identifier}'")
