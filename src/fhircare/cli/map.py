"""``fhircare map``: a trust extract, through its mapping file, to FHIR transaction bundles.

Writes two files into the output folder, each complete or not at all:

- ``bundles.ndjson``: one transaction Bundle per line, one per mapped service user;
- ``rejects.jsonl``: one problem per line (file, line, field, reason, ...), for the
  trust to correct at source. It can quote a mis-mapped value: it is a report for the
  trust, never a log.

While it runs, the command holds a lock on the output folder (a second run into it is
refused at once) and keeps every working file — the extract's row store, the outputs
being written — in a private folder inside it (mode 0700), removed when it ends; one a
killed run left behind is removed by the next run. Outputs are fsync'd and renamed into
place (mode 0600: they hold personal data).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer
from rich.table import Table
from rich.text import Text

from fhircare.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    LayoutOption,
    _errors_reported,
    _settings,
    _stderr,
    _stdout,
    as_of_day,
    build_validator,
    mapping_path,
    no_traceback,
    progress_bar,
)
from fhircare.errors import UsageError
from fhircare.workspace import OutputFile, WorkFolder, folder_lock, terminate_cleanly

if TYPE_CHECKING:
    from fhircare.mapping.context import MappingContext
    from fhircare.mapping.run import MapOutcome
    from fhircare.source.mapping_schema import TrustMapping
    from fhircare.source.reader import Extract
    from fhircare.source.results import Problem
    from fhircare.validation.api import Validator

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
    " changes nothing (the files are for reading or for another system to send; `fhircare sync`"
    " sends the store by id, never a conditional update)."
    f" OUT/{REJECTS}: one problem per line, as JSON with file, line, field"
    " (the column or key as the trust wrote it), reason, service_user_id and stage (read,"
    " consistency, validation or internal). A service user with any problem is rejected whole: nothing"
    " of theirs is in the bundles. A problem that follows from another (a missing file or column)"
    " names it as caused_by; the cause is printed on stderr first.\n\n"
    "One run at a time per output folder: a second is refused at once. Working files stay in a"
    " private folder inside OUT and are removed at the end (or by the next run after a crash).\n\n"
    "Exit codes: 0 every service user mapped; 1 some were rejected or some rows have problems (see"
    " the rejects file), or an optional file that would hold refusals to share, people not to be"
    " involved or legal statuses is absent, or a file lacks a column the mapping reads (the service"
    " users with rows in it are rejected); 2 the input is unusable (no such folder, a wrong mapping"
    " file, a file the mapping needs is missing or unreadable, a missing column leaves no one mapped,"
    " a line that names no service user, a limit reached) or the arguments are wrong, or the output"
    " cannot be written (disk full, permission denied, another run holds the output folder)."
)

_log = structlog.get_logger("fhircare.map")


@dataclass
class _Tally:
    read: int = 0
    mapped: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    resources: Counter[str] = field(default_factory=Counter)
    other_problems: int = 0
    #: problems that follow from a root cause, by the cause
    follow_ons: Counter[str] = field(default_factory=Counter)
    ignored: dict[str, int] = field(default_factory=dict)
    repeated: dict[str, int] = field(default_factory=dict)
    absent_optional: list[str] = field(default_factory=list)
    #: of those, the files a reader must not go without (refusals, legal statuses)
    absent_safeguards: list[str] = field(default_factory=list)
    #: a safeguard's key no row of a JSON Lines file holds (also counted in other_problems)
    unread_keys: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    #: the directory's problems (staff, teams, services): a cause when someone refers to it
    directory: list[str] = field(default_factory=list)

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
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", metavar="DIR", help=f"Folder to write {BUNDLES} and {REJECTS} to (created).", show_default=False
        ),
    ],
    mapping_file: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            metavar="FILE",
            help="The mapping file that describes the extract's layout (see mappings/README.md); or --layout NAME.",
            show_default=False,
        ),
    ] = None,
    layout: LayoutOption = None,
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
    Goals, the needs they address and what they point to, DIALOG QuestionnaireResponses
    with item and summary scores and offers not rated, RelatedPersons, Consents, Encounters
    and reviews, Flags for do-not-involve, legal status and Section 117, capacity
    assessments, risk assessments, medication, the crisis plan pointer, carers'
    Communications, Provenance, and the Practitioners, PractitionerRoles, Organizations and
    crisis services they refer to) and validated. Nothing of a service user with any
    problem is written.
    """
    from fhircare.mapping.context import MappingContext
    from fhircare.source.limits import ReadLimits
    from fhircare.source.mapping_file import load_mapping
    from fhircare.source.reader import read_extract

    settings = _settings(ctx)
    limits = ReadLimits.from_settings(settings)
    tally = _Tally()
    with _errors_reported(), no_traceback("fhircare map"), terminate_cleanly():
        day = as_of_day(as_of)
        mapping_file = mapping_path(settings, layout, mapping_file)
        mapping = load_mapping(mapping_file, limits=limits)
        validator = None
        if validate:
            validator = build_validator(list(igs or []), settings, today=day)
        elif igs:
            raise UsageError("--ig needs validation: leave out --no-validate")
        context = MappingContext.from_mapping(mapping, as_of=day)
        out_dir.mkdir(parents=True, exist_ok=True)
        with (
            folder_lock(out_dir),
            WorkFolder(out_dir) as work,
            _long_lived_objects_frozen(),
            OutputFile(out_dir / BUNDLES, work) as bundles,
            OutputFile(out_dir / REJECTS, work) as rejects,
            _progress() as progress,
            read_extract(extract, mapping, workdir=work.path, on_rows=progress.rows, limits=limits) as source,
        ):
            unattributed = [*source.directory_problems, *source.unread_keys, *source.unattributed_problems()]
            for problem in [*source.file_problems, *unattributed]:
                _write_problem(rejects, problem, "read", tally)
                tally.other_problems += 1
            progress.start_mapping(source.service_user_count())
            for outcome in _outcomes(source, mapping, context, validator):
                _record(outcome, tally, bundles, rejects)
                progress.advance()
            unusable = source.unusable
            tally.causes = list(dict.fromkeys(str(p) for p in source.file_problems))
            tally.directory = [str(p) for p in source.directory_problems]
            tally.ignored = dict(source.ignored)
            tally.repeated = dict(source.repeated)
            tally.absent_optional = [str(p) for p in source.absent_optional]
            tally.absent_safeguards = [str(p) for p in source.absent_safeguards]
            tally.unread_keys = [str(p) for p in source.unread_keys]
    _log.info("mapped", read=tally.read, mapped=tally.mapped, rejected=tally.rejected_total)
    stopped = unusable or bool(tally.causes and tally.mapped == 0)
    _print_summary(tally, out_dir, usable=not stopped, validated=validator is not None)
    _print_causes(tally, out_dir)
    if stopped:
        hint = ""
        if tally.read == 0 and tally.causes and all("no file matches" in c for c in tally.causes):
            # none of the mapping's files is there: the wrong folder or the wrong layout
            hint = (
                f"; none of the files the mapping names is in {extract}: is it this mapping's extract?"
                " (fhircare mapping check MAPPING --extract DIR compares the two)"
            )
        _stderr().print(
            Text.assemble(
                ("error: ", "bold red"), f"the extract cannot be used as it is (see {out_dir / REJECTS}){hint}"
            )
        )
        raise typer.Exit(EXIT_USAGE)
    for absent in [*tally.absent_safeguards, *tally.unread_keys]:
        _stderr().print(Text.assemble(("warning: ", "bold yellow"), absent))
    failed = tally.rejected_total or tally.other_problems or tally.absent_safeguards
    raise typer.Exit(EXIT_FAILURE if failed else EXIT_OK)


def _outcomes(
    source: Extract, mapping: TrustMapping, context: MappingContext, validator: Validator | None
) -> Iterator[MapOutcome]:
    """Every service user's outcome; a fault of fhircare's while mapping one is a
    rejection of that one (stage "internal"), and the others are still mapped."""
    from fhircare.mapping.run import MapOutcome, map_results
    from fhircare.source.results import Problem

    for result in source:
        try:
            yield from map_results([result], mapping, context, validator)
        except Exception as exc:
            reason = f"internal error while mapping this service user ({type(exc).__name__}); please report it"
            problem = Problem("", None, None, reason, service_user_id=result.service_user_id)
            yield MapOutcome(result.service_user_id, None, (problem,), "internal")  # type: ignore[arg-type]


def _print_causes(tally: _Tally, out_dir: Path) -> None:
    """Root causes first, once each, on stderr: a missing file or column, a line that
    names no one; with how many problems follow from each."""
    console = _stderr()
    # a directory entry that cannot be used rejects everyone who refers to it (a crisis line
    # with no number: every service user whose plan names it): a cause too (a layout trial)
    referred = [d for d in tally.directory if tally.follow_ons.get(d)]
    for cause in [*tally.causes, *referred]:
        follow = tally.follow_ons.get(cause, 0)
        more = f" ({follow} problems follow from it, see {out_dir / REJECTS})" if follow else ""
        console.print(Text.assemble(("error: ", "bold red"), cause, more))


def _record(outcome: MapOutcome, tally: _Tally, bundles: OutputFile, rejects: OutputFile) -> None:
    import orjson

    tally.read += 1
    if outcome.mapped is not None:
        tally.mapped += 1
        tally.resources.update(outcome.mapped.counts)
        bundles.write(orjson.dumps(outcome.mapped.bundle) + b"\n")
        return
    tally.rejected[outcome.stage or "read"] += 1
    for problem in outcome.problems:
        _write_problem(rejects, problem, outcome.stage or "read", tally, outcome.service_user_id)


def _write_problem(
    rejects: OutputFile, problem: Problem, stage: str, tally: _Tally, service_user_id: str | None = None
) -> None:
    """One line of the rejects report; every problem of a rejected service user names them."""
    import orjson

    line = problem.to_dict()
    if service_user_id is not None:
        line.setdefault("service_user_id", service_user_id)
    if problem.caused_by is not None:
        tally.follow_ons[problem.caused_by] += 1
    rejects.write(orjson.dumps({**line, "stage": stage}) + b"\n")


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


def _print_summary(tally: _Tally, out_dir: Path, *, usable: bool, validated: bool) -> None:
    out = _stdout()
    title = f"Mapped into {out_dir}" if usable else "Nothing mapped: the extract cannot be used as it is"
    table = Table(title=Text(title), show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("service users read", str(tally.read))
    table.add_row(Text("mapped", style="green"), str(tally.mapped))
    for stage in ("read", "consistency", "validation", "internal"):
        count = tally.rejected[stage]
        if stage == "validation" and not validated:
            table.add_row(Text("validation"), "skipped (--no-validate)")
        elif stage != "internal" or count:
            table.add_row(Text(f"rejected ({stage})", style="red" if count else ""), str(count))
    table.add_row(Text("other problems", style="red" if tally.other_problems else ""), str(tally.other_problems))
    for name, count in sorted(tally.ignored.items()):
        table.add_row(Text(f"rows ignored by ignore_rows ({name})"), str(count))
    for name, count in sorted(tally.repeated.items()):
        table.add_row(Text(f"rows repeating an earlier row exactly, read once ({name})"), str(count))
    out.print(table)
    if not usable:
        # the causes follow on stderr: optional files and an empty table would only bury them
        return
    for note in tally.absent_optional:
        out.print(Text(f"Optional file absent: {note}."))
    resources = Table(title=Text("Resources written"), title_justify="left")
    resources.add_column("resource type")
    resources.add_column("count", justify="right")
    for rtype, count in sorted(tally.resources.items()):
        resources.add_row(rtype, str(count))
    resources.add_row(Text("total", style="bold"), str(sum(tally.resources.values())))
    out.print(resources)
    if tally.rejected_total or tally.other_problems:
        out.print(Text(f"Problems are listed in {out_dir / REJECTS}, one per line."))
