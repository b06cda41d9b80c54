"""Rules of particular datatypes that no invariant states (the HL7 validator checks them too)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.primitives import as_read


def check_attachment(value: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """A stated ``size`` must be the size of the base64 ``data`` it describes, and a stated
    ``hash`` its SHA-1 (base64): a letter or plan whose content was changed after it was
    hashed, or whose hash belongs to another document, says so."""
    data, size, stated_hash = value.get("data"), value.get("size"), value.get("hash")
    checks_size = isinstance(size, int) and not isinstance(size, bool)
    if not isinstance(data, str) or not (checks_size or isinstance(stated_hash, str)):
        return
    content = _base64(data)
    if content is None:
        return  # the base64 check on data reports this
    if checks_size and len(content) != size:
        sink.error("value", loc, f"Stated Attachment Size {size} does not match actual attachment size {len(content)}")
    if isinstance(stated_hash, str):
        digest = hashlib.sha1(content).digest()  # SHA-1: what R4 says Attachment.hash is
        if _base64(stated_hash) != digest:
            sink.error(
                "structure",
                loc,
                f"The hash of the data did not match the data (stated: '{stated_hash}', "
                f"actual: '{base64.b64encode(digest).decode()}')",
            )


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


_RFC_4122 = ("https://tools.ietf.org/html/rfc4122",)  # the HL7 validator checks https only
#: the start of an absolute URI: a scheme, then ':'
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
#: RFC 3986 named as a system: its values (identifiers, codes) are URIs
RFC_3986 = "urn:ietf:rfc:3986"
_COMMON_SCHEMES = ("http:", "https:", "urn:")
_UUID = re.compile(r"(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def check_code_system(value: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """The system of a Coding's or a Quantity's code is an absolute URI: a local name
    ('snomed', 'units') says nothing about which code system is meant. Checked where the
    HL7 validator checks it: a Coding of its own and a Quantity, each with a code (the
    codings of a CodeableConcept are not: the caller leaves them out)."""
    system = value.get("system")
    if type(system) is str:
        if system.startswith(_COMMON_SCHEMES):
            return  # the common case, settled without the pattern
    elif (system := as_read(system)) is None:
        return  # a number is read as its text (reported as a JSON error where it is)
    if system and as_read(value.get("code")) is not None and not URI_SCHEME.match(system):
        sink.error("code-invalid", loc, "Coding.system must be an absolute reference, not a local reference")


UCUM = "http://unitsofmeasure.org"
_ANNOTATION_ADVICE = (
    "UCUM Codes that contain human readable annotations like {0} can be misleading (e.g. they are ignored when "
    "comparing units). Best Practice is not to depend on annotations in the UCUM code, so this usage should be "
    "checked"
)


def check_ucum_annotation(quantity: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """A UCUM code with an annotation ('{score}', 'mg{total}'): UCUM ignores annotations when
    comparing units, so '{score}' is the unit 1 and '{beats}/min' is '/min'. Best practice,
    warned of as the HL7 validator does, with what the unit should say."""
    code = quantity.get("code")
    if quantity.get("system") != UCUM or type(code) is not str:
        return
    start, end = code.find("{"), code.find("}")
    if start < 0 or end <= 0 or start >= end:
        return
    annotation = code[start : end + 1]
    advice = _ANNOTATION_ADVICE.format(annotation)
    unit = quantity.get("unit")
    if type(unit) is not str:
        advice += ", and the Quantity.unit SHOULD contain the annotation"
    elif annotation[1:-1].lower() not in unit.lower():
        advice += f", and the Quantity.unit '{unit}' SHOULD contain the annotation (it does not)"
    sink.warning("business-rule", loc, advice)


def check_identifier(value: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """An identifier's system names a namespace: an absolute URI, never a local one; and the
    two IETF systems say what the value is (a URI; a UUID), as the HL7 validator checks."""
    # a number is read as its text, as the HL7 validator reads it (and reports it where it is)
    system = as_read(value.get("system"))
    if system is None:
        return  # ('' is no absolute reference either: the HL7 validator says so too)
    if ":" not in system:
        sink.error("invalid", loc, "Identifier.system must be an absolute reference, not a local reference")
        return
    identifier = as_read(value.get("value"))
    if identifier is None:
        return
    if system == RFC_3986 and not URI_SCHEME.match(identifier):
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
