"""Synthetic trust extracts in any shipped layout (``fhircare synth``).

::

    mapping = load_mapping(Path("mappings/rio-like.yaml"))
    summary = synthesise(mapping, Path("extract/"), patients=100, seed=1)

The same arguments give byte-identical files. Service users are made and written one at
a time (streaming); every block of ``len(SCENARIOS)`` consecutive service users covers
every edge case of requirements.md §6 that issue 4 names (see :mod:`.scenarios`). The
same seed gives the same canonical records in every layout: only the files differ.
``with_errors`` adds the bad rows of :mod:`.faults` and lists them in the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from fhircare.errors import UsageError
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.carers import Contact
from fhircare.source.codes import Relationship
from fhircare.source.mapping_file import TrustMapping
from fhircare.source.records import record_type_of
from fhircare.synth.directory import TrustDirectory, build_directory
from fhircare.synth.faults import FAULTS, UNKNOWN_SERVICE_USER, Fault
from fhircare.synth.generate import make_service_user
from fhircare.synth.names import NhsNumbers
from fhircare.synth.scenarios import SCENARIOS, EdgeCase, edge_cases
from fhircare.synth.writer import LayoutWriter

__all__ = ["DEFAULT_AS_OF", "MANIFEST", "SCENARIOS", "EdgeCase", "SynthSummary", "edge_cases", "synthesise"]

#: the extract date: every date in an extract is on or before it (fixed, for determinism)
DEFAULT_AS_OF = date(2025, 6, 30)
#: written beside the extract; no layout's file pattern matches it
MANIFEST = "synth-manifest.json"
#: faults go to service users among the last this many (one fault each)
_FAULT_WINDOW = 12
#: the most service users the 999 test range can number
MAX_PATIENTS = 900_000


@dataclass
class SynthSummary:
    layout: str
    patients: int
    seed: int
    as_of: date
    files: dict[str, int] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    edge_cases: dict[str, list[str]] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "patients": self.patients,
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "files": self.files,
            "faults": self.faults,
            "edge_cases": self.edge_cases,
        }


def synthesise(
    mapping: TrustMapping,
    out_dir: Path,
    *,
    patients: int,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    with_errors: bool = False,
    on_progress: Callable[[int], None] | None = None,
    keep: Callable[[ServiceUserRecord], None] | None = None,
) -> SynthSummary:
    """Write a synthetic extract; ``keep`` (tests) sees each canonical record written."""
    if not 1 <= patients <= MAX_PATIENTS:
        raise UsageError(f"--patients must be between 1 and {MAX_PATIENTS}")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UsageError(f"{out_dir} exists and is not an empty folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = SynthSummary(mapping.name, patients, seed, as_of)
    directory = build_directory(seed, patients)
    numbers = NhsNumbers(seed)
    writer = LayoutWriter(mapping, out_dir, as_of.strftime("%Y%m%d"))
    try:
        for entry in directory.records():
            writer.write(record_type_of(entry).name, entry, None)
        pending: list[Fault] = list(FAULTS) if with_errors else []
        for index in range(patients):
            record = make_service_user(index, seed, as_of, directory, numbers.take())
            fault = None
            if pending and index >= patients - _FAULT_WINDOW:
                fault = next((f for f in pending if f.target(record) is not None), None)
                if fault is not None:
                    pending.remove(fault)
            _write_service_user(writer, record, fault, summary, directory)
            for case in sorted(edge_cases(record, as_of)):
                summary.edge_cases.setdefault(case.value, []).append(record.service_user_id)
            if keep is not None:
                keep(record)
            if on_progress is not None:
                on_progress(1)
        if with_errors:
            _stray_row(writer, summary)
    finally:
        writer.close()
    summary.files = writer.counts()
    (out_dir / MANIFEST).write_bytes(orjson.dumps(summary.manifest(), option=orjson.OPT_INDENT_2) + b"\n")
    return summary


def _write_service_user(
    writer: LayoutWriter,
    record: ServiceUserRecord,
    fault: Fault | None,
    summary: SynthSummary,
    directory: TrustDirectory,
) -> None:
    target = fault.target(record) if fault is not None else None
    edit = None
    if fault is not None:
        edit = partial(fault.edit, directory=directory) if fault.needs_directory else fault.edit
    su = record.service_user_id
    for model in record.records():
        rt = record_type_of(model)
        if rt.directory:
            continue
        if fault is not None and model is target:
            first = writer.write(rt.name, model, su, None if fault.repeat else edit)[0]
            written = writer.write(rt.name, model, su, edit)[0] if fault.repeat else first
            entry: dict[str, Any] = {"kind": fault.kind, "service_user_id": su, "record_type": rt.name}
            entry["found_by"] = fault.found_by
            entry |= {"file": written.file, "line": written.line, "column": written.column}
            if fault.repeat:
                entry["first_line"] = first.line
            summary.faults.append(entry)
        else:
            writer.write(rt.name, model, su)


def _stray_row(writer: LayoutWriter, summary: SynthSummary) -> None:
    """A contact of a service user who is not in the extract."""
    contact = Contact(
        contact_id=f"RP{UNKNOWN_SERVICE_USER[1:]}-1",
        service_user_id=UNKNOWN_SERVICE_USER,
        family_name="Example",
        given_name="Robin",
        relationship=Relationship.FRIEND,
    )
    written = writer.write("contact", contact, UNKNOWN_SERVICE_USER)[0]
    plan = writer.mapping.records["contact"]
    summary.faults.append(
        {
            "kind": "unknown-service-user",
            "found_by": "read",
            "service_user_id": UNKNOWN_SERVICE_USER,
            "record_type": "contact",
            "file": written.file,
            "line": written.line,
            "column": plan.column_for("service_user_id"),
        }
    )
