"""``fhircare map``: a trust extract, through its mapping file, to FHIR transaction bundles.

Writes two files into the output folder, each complete or not at all (written beside
and renamed into place at the end, so a crash never leaves a half-written file behind):

- ``bundles.ndjson``: one transaction Bundle per line, one per mapped service user;
- ``rejects.jsonl``: one problem per line (file, line, field, reason, ...), for the
  trust to correct at source. It can quote a mis-mapped value: it is a report for the
  trust, never a log.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import structlog
import typer
from rich.table import Table
from rich.text import Text

from fhircare.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    _errors_reported,
    _settings,
    _stderr,
    _stdout,
    build_validator,
    progress_bar,
)
from fhircare.errors import UsageError

if TYPE_CHECKING:
    from fhircare.mapping.run import MapOutcome
    from fhircare.source.results import Problem

BUNDLES = "bundles.ndjson"
REJECTS = "rejects.jsonl"
#: more service users than this show a progress bar (when stderr is a terminal)
PROGRESS_THRESHOLD = 50

MAP_EPILOG = (
    "Examples:\n\n"
    "  fhircare synth --patients 100 --seed 1 --layout rio-like extract/\n\n"
    "  fhircare map --extract extract/ --mapping mappings/rio-like.yaml --out out/\n\n"
    "  fhircare map --extract extract/ --mapping mappings/rio-like.yaml --out out/ --no-validate\n\n"
    "  fhircare map --extract extract/ --mapping mappings/rio-like.yaml --out out/"
    " --ig ../shared/ukcore/package --ig profiles/ukcore-global\n\n"
    f"OUT/{BUNDLES}: one FHIR R4 transaction Bundle per line, one per service user; every"
    " entry a conditional update on its business identifier, so sending a bundle twice"
    f" changes nothing. OUT/{REJECTS}: one problem per line, as JSON with file, line, field"
    " (the column or key as the trust wrote it), reason, service_user_id and stage (read,"
    " consistency or validation). A service user with any problem is rejected whole: nothing"
    " of theirs is in the bundles.\n\n"
    "Exit codes: 0 every service user mapped; 1 some were rejected (see the rejects file);"
    " 2 the input is unusable (no such folder, a wrong mapping file, a file the mapping needs"
    " is missing or unreadable) or the arguments are wrong."
)

_log = structlog.get_logger("fhircare.map")


@dataclass
class _Tally:
    read: int = 0
    mapped: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    resources: Counter[str] = field(default_factory=Counter)
    other_problems: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def map_command(
    ctx: typer.Context,
    extract: Annotated[
        Path,
        typer.Option(
            "--extract",
            metavar="DIR",
            help="The trust extract: a folder of CSV / JSON Lines files.",
            show_default=False,
        ),
    ],
    mapping_file: Annotated[
        Path,
        typer.Option(
            "--mapping",
            metavar="FILE",
            help="The mapping file that describes the extract's layout (see mappings/README.md).",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", metavar="DIR", help=f"Folder to write {BUNDLES} and {REJECTS} to (created).", show_default=False
        ),
    ],
    validate: Annotated[
        bool,
        typer.Option(
            "--validate/--no-validate",
            help="Validate every bundle against fhircare's profiles before writing it; a bundle"
            " that does not validate is rejected, never written.",
        ),
    ] = True,
    igs: Annotated[
        list[Path] | None,
        typer.Option(
            "--ig",
            metavar="FOLDER_OR_TGZ",
            help="Also validate against an implementation guide (package .tgz or folder), for"
            " example UK Core. Repeatable.",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="The day the extract is mapped as of: which care team members are current,"
            " which consents have ended. Default: today.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Map a trust extract to FHIR R4 transaction bundles, one per service user.

    Every service user's records are read through the mapping file, checked against each
    other, mapped to fhircare's profiles (Patient, CareTeam, EpisodeOfCare, CarePlans with
    Goals, DIALOG QuestionnaireResponses and scores, RelatedPersons, Consents, Encounters,
    do-not-involve Flags, capacity assessment Observations, carers' Communications,
    Provenance, and the Practitioners, PractitionerRoles and Organizations they refer to)
    and validated. Nothing of a service user with any problem is written.
    """
    from fhircare.mapping.context import MappingContext
    from fhircare.mapping.run import map_results
    from fhircare.source.mapping_file import load_mapping
    from fhircare.source.reader import read_extract

    settings = _settings(ctx)
    with _errors_reported():
        day = _as_of(as_of)
        mapping = load_mapping(mapping_file)
        validator = None
        if validate:
            validator = build_validator(list(igs or []), settings)
        elif igs:
            raise UsageError("--ig needs validation: leave out --no-validate")
        context = MappingContext.from_mapping(mapping, as_of=day)
        out_dir.mkdir(parents=True, exist_ok=True)
        tally = _Tally()
        with (
            _long_lived_objects_frozen(),
            _Output(out_dir / BUNDLES) as bundles,
            _Output(out_dir / REJECTS) as rejects,
            _progress() as progress,
            read_extract(extract, mapping, on_rows=progress.rows) as source,
        ):
            for problem in [*source.file_problems, *source.directory_problems, *source.unattributed_problems()]:
                _write_problem(rejects.handle, problem, "read")
                tally.other_problems += 1
            progress.start_mapping(source.service_user_count())
            for outcome in map_results(source, mapping, context, validator):
                _record(outcome, tally, bundles.handle, rejects.handle)
                progress.advance()
            unusable = source.unusable
    _log.info("mapped", read=tally.read, mapped=tally.mapped, rejected=tally.rejected_total)
    _print_summary(tally, out_dir)
    if unusable:
        _stderr().print(
            Text.assemble(("error: ", "bold red"), f"the extract cannot be used as it is (see {out_dir / REJECTS})")
        )
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_FAILURE if tally.rejected_total or tally.other_problems else EXIT_OK)


def _as_of(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text}: not a date (YYYY-MM-DD)") from None


def _record(outcome: MapOutcome, tally: _Tally, bundles: IO[bytes], rejects: IO[bytes]) -> None:
    import orjson

    tally.read += 1
    if outcome.mapped is not None:
        tally.mapped += 1
        tally.resources.update(outcome.mapped.counts)
        bundles.write(orjson.dumps(outcome.mapped.bundle) + b"\n")
        return
    tally.rejected[outcome.stage or "read"] += 1
    for problem in outcome.problems:
        _write_problem(rejects, problem, outcome.stage or "read", outcome.service_user_id)


def _write_problem(rejects: IO[bytes], problem: Problem, stage: str, service_user_id: str | None = None) -> None:
    """One line of the rejects report; every problem of a rejected service user names them."""
    import orjson

    line = problem.to_dict()
    if service_user_id is not None:
        line.setdefault("service_user_id", service_user_id)
    rejects.write(orjson.dumps({**line, "stage": stage}) + b"\n")


class _Output:
    """A file written beside its final name and renamed into place only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self._handle: IO[bytes] | None = None

    @property
    def handle(self) -> IO[bytes]:
        assert self._handle is not None
        return self._handle

    def __enter__(self) -> _Output:
        self._handle = self.partial.open("wb")
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        assert self._handle is not None
        self._handle.close()
        if kind is None:
            self.partial.replace(self.path)
        else:
            self.partial.unlink(missing_ok=True)


class _Progress:
    """Rows read, then service users mapped, on stderr (only when it is a terminal)."""

    def __init__(self, bar: Any | None) -> None:
        self._bar = bar
        self._reading = bar.add_task("Reading the extract (rows)", total=None) if bar else None
        self._mapping: Any = None

    def rows(self, count: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._reading, count)

    def start_mapping(self, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._reading, visible=False)
            if total > PROGRESS_THRESHOLD:
                self._mapping = self._bar.add_task("Mapping service users", total=total)

    def advance(self) -> None:
        if self._bar is not None and self._mapping is not None:
            self._bar.advance(self._mapping)


@contextlib.contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep the garbage collector off the definitions the validator holds (tens of
    thousands of objects that live as long as the command): without this every full
    collection walks them all again, a tenth of the time of a long run."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _progress() -> Iterator[_Progress]:
    if not sys.stderr.isatty():
        yield _Progress(None)
        return
    with progress_bar() as bar:
        yield _Progress(bar)


def _print_summary(tally: _Tally, out_dir: Path) -> None:
    out = _stdout()
    table = Table(title=Text(f"Mapped into {out_dir}"), show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("service users read", str(tally.read))
    table.add_row(Text("mapped", style="green"), str(tally.mapped))
    for stage in ("read", "consistency", "validation"):
        count = tally.rejected[stage]
        table.add_row(Text(f"rejected ({stage})", style="red" if count else ""), str(count))
    table.add_row(Text("other problems", style="red" if tally.other_problems else ""), str(tally.other_problems))
    out.print(table)
    resources = Table(title=Text("Resources written"), title_justify="left")
    resources.add_column("resource type")
    resources.add_column("count", justify="right")
    for rtype, count in sorted(tally.resources.items()):
        resources.add_row(rtype, str(count))
    resources.add_row(Text("total", style="bold"), str(sum(tally.resources.values())))
    out.print(resources)
    if tally.rejected_total or tally.other_problems:
        out.print(Text(f"Problems are listed in {out_dir / REJECTS}, one per line."))
