"""``fhircare synth``: write a synthetic trust extract in any layout a mapping file describes."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from fhircare.cli.common import _errors_reported, _settings, _stdout, mapping_path, no_traceback, progress_bar
from fhircare.errors import UsageError

#: more service users than this show a progress bar (when stderr is a terminal)
PROGRESS_THRESHOLD = 200

SYNTH_EPILOG = (
    "Examples:\n\n"
    "  fhircare synth --patients 100 --seed 1 --layout rio-like extract/\n\n"
    "  fhircare synth --patients 100 --seed 1 --layout systmone-like --with-errors extract-bad/\n\n"
    "  fhircare synth --patients 100 --mapping my-trust.yaml extract/\n\n"
    "The same arguments always give byte-identical files. Every 15 consecutive service users"
    " cover each edge case (no key worker yet, key worker change, transfer between teams,"
    " out-of-area placement, young carer, carer refusing consent, service user refusing carer"
    " involvement, DIALOG declined, a Welsh service user, inpatient admission and discharge with"
    " Section 117). OUT_DIR/synth-manifest.json lists the files, which service users show which"
    " edge case, and each bad row --with-errors wrote (file, line, column).\n\n"
    "Any layout a mapping file can read can be written: each record is written only where reading"
    " it back gives the same record, so a layout that cannot carry a value (a code with no local code,"
    " a character its encoding lacks) is an error naming it, never a wrong file.\n\n"
    "Exit codes: 0 written; 2 bad arguments, an unknown layout, a mapping file that cannot be used,"
    " a layout that cannot carry the records, or an output that cannot be written."
)


def synth_command(
    ctx: typer.Context,
    out_dir: Annotated[
        Path,
        typer.Argument(
            metavar="OUT_DIR", help="Folder to write the extract to (created; must be empty).", show_default=False
        ),
    ],
    layout: Annotated[
        str | None,
        typer.Option(
            "--layout",
            metavar="NAME",
            help="A shipped layout: the mapping file mappings/NAME.yaml.",
            show_default=False,
        ),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            metavar="FILE",
            help="Any mapping file (instead of --layout).",
            show_default=False,
        ),
    ] = None,
    patients: Annotated[int, typer.Option("--patients", metavar="N", min=1, help="Number of service users.")] = 100,
    seed: Annotated[int, typer.Option("--seed", metavar="S", help="Random seed: same seed, same extract.")] = 0,
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of", metavar="YYYY-MM-DD", help="Extract date: every date in the extract is on or before it."
        ),
    ] = "2025-06-30",
    with_errors: Annotated[
        bool,
        typer.Option("--with-errors", help="Also write a known set of bad rows (listed in synth-manifest.json)."),
    ] = False,
) -> None:
    """Write a realistic synthetic trust extract in a shipped layout.

    No real personal data: names from small built-in lists, NHS numbers from the 999 test range.
    """
    from fhircare.source.limits import ReadLimits
    from fhircare.source.mapping_file import load_mapping
    from fhircare.synth import synthesise
    from fhircare.synth.writer import LayoutError

    settings = _settings(ctx)
    with _errors_reported(), no_traceback("fhircare synth"):
        try:
            extract_date = date.fromisoformat(as_of)
        except ValueError:
            raise UsageError(f"--as-of {as_of}: not a date (YYYY-MM-DD)") from None
        path = mapping_path(settings, layout, mapping_file)
        mapping = load_mapping(path, limits=ReadLimits.from_settings(settings))
        try:
            with _progress(patients) as advance:
                summary = synthesise(
                    mapping,
                    out_dir,
                    patients=patients,
                    seed=seed,
                    as_of=extract_date,
                    with_errors=with_errors,
                    on_progress=advance,
                )
        except LayoutError as exc:
            raise UsageError(f"{path}: {exc}") from None
    out = _stdout()
    table = Table(title=Text(f"{mapping.name} extract in {out_dir}"), title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in summary.files.items():
        table.add_row(Text(name), str(rows))
    out.print(table)
    cases = ", ".join(f"{case} ({len(ids)})" for case, ids in sorted(summary.edge_cases.items()))
    out.print(Text(f"{patients} service users, seed {seed}, as of {extract_date.isoformat()}."))
    out.print(Text(f"Edge cases: {cases or 'none'}."))
    if with_errors:
        out.print(Text(f"Bad rows written: {len(summary.faults)} (see {out_dir / 'synth-manifest.json'})."))


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    if total <= PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda _n: None
        return
    with progress_bar() as bar:
        task = bar.add_task("Writing service users", total=total)
        yield lambda n: bar.advance(task, n)
