"""Generated narrative: plain-language sentences about a resource, as XHTML.

Plans must be readable by service users, carers and partners ([000 §3.3.1] "clear and
accessible without the use of jargon, professional terms or abbreviations"), so every
resource says in words what it holds (DESIGN.md "Narrative"). Text from the record is
escaped; nothing here is ever logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from html import escape

from fhircare.mapping.fhir import Json

_XHTML = "http://www.w3.org/1999/xhtml"
#: month names, so dates read the same whatever the machine's locale
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


#: how a narrative relates to its resource's data (Narrative.status): wholly from its core
#: elements; from them and its extensions; or it says more than the data holds (a named
#: contact's number, a team's name the resource only refers to). A reader may rely on the
#: data alone only for the first two, so a builder says "additional" whenever in doubt.
GENERATED = "generated"
EXTENSIONS = "extensions"
ADDITIONAL = "additional"


def narrative(*paragraphs: str | None, items: Iterable[str] = (), status: str) -> Json:
    """``text``: one <p> per paragraph (None skipped), then a list; ``status`` says
    truly where the words come from (GENERATED, EXTENSIONS or ADDITIONAL)."""
    body = "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs if p)
    listed = [f"<li>{escape(i, quote=False)}</li>" for i in items]
    if listed:
        body += f"<ul>{''.join(listed)}</ul>"
    return {"status": status, "div": f'<div xmlns="{_XHTML}">{body or "<p>No details recorded.</p>"}</div>'}


def long_date(value: date | datetime) -> str:
    """``1 February 2025``: dates as people write them, without leading zeros."""
    day = value.date() if isinstance(value, datetime) else value
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def sentence(*parts: str | None) -> str:
    """The parts that are present, joined with spaces, ending with a full stop."""
    text = " ".join(p for p in parts if p)
    return text if text.endswith((".", "?", "!")) else text + "."


def listing(words: Iterable[str]) -> str:
    """``a, b and c``."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def natural_key(local_id: str) -> tuple[tuple[int, str], ...]:
    """Order ids the way people do: ``AC1-2`` before ``AC1-10``."""
    parts = re.split(r"(\d+)", local_id)
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in parts if p)
