"""``fhircare load``, ``fhircare sync`` and ``fhircare run``: an extract into the record
store, the store's outbox to a target FHIR server, or both.

Thin: options are parsed here, the work is done by :mod:`fhircare.store.reading` and
:mod:`fhircare.sync.engine`, and their summaries are printed as tables (or, with
``--format json``, as one JSON object on stdout).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
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
from fhircare.settings import Settings
from fhircare.workspace import terminate_cleanly

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from fhircare.source.results import Problem
    from fhircare.store.load import LoadSummary
    from fhircare.store.reading import ExtractReport
    from fhircare.sync.engine import SyncSummary


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


_LOAD_INPUT = (
    "unusable input (a missing folder or file, a wrong mapping file, a store written by a newer fhircare, a"
    " store another load is using)"
)
_SYNC_TARGET = (
    "an unusable target (unreachable, the wrong URL, not FHIR R4, lacking transactions or update as create,"
    " refusing fhircare's credentials, not keeping the security labels it is sent) or a store that does not exist"
)
LOAD_EXIT_CODES = (
    "Exit codes: 0 everything loaded; 1 some service users were rejected or the staff and team directory has"
    " problems (see --rejects), an optional file of refusals or legal statuses is absent, removals were refused,"
    " refusals no longer in the extract were kept in force, or a --confirm-withdrawn name matched none of them"
    f" (see the summary); 2 {_LOAD_INPUT}."
)
SYNC_EXIT_CODES = (
    "Exit codes: 0 everything synced; 1 some rows were dead-lettered (now or before, and not fixed since) or"
    f" could not be sent yet (see the summary); 2 {_SYNC_TARGET}."
)
EXIT_CODES = (
    "Exit codes: 0 everything loaded and synced; 1 some service users were rejected or the directory has"
    " problems, an optional file of refusals or legal statuses is absent, some rows were"
    " dead-lettered (now or before, and not fixed since) or could not be sent yet, removals were refused, or"
    " refusals no longer in the extract were kept in force or a --confirm-withdrawn name matched none of them"
    f" (see the summary); 2 {_LOAD_INPUT}, or {_SYNC_TARGET}."
)

LOAD_EPILOG = (
    "Examples:\n\n"
    "  fhircare load --extract extract/ --mapping mappings/rio-like.yaml --store sqlite:///store.sqlite\n\n"
    "  fhircare load --extract extract/ --mapping mappings/rio-like.yaml --confirm-removals\n\n"
    "Reads and maps the extract as `fhircare map` does, then stores every resource with what changed since"
    " the last load: created, updated, unchanged or ended (a plan, care team member, carer or consent the"
    " extract no longer holds is ended, never deleted). Service users whose records did not change are not"
    " mapped again. A service user missing from the extract is ended only after"
    " FHIRCARE_REMOVAL_RUNS extracts in a row (default 2), and no one is ended while more than"
    " FHIRCARE_REMOVAL_THRESHOLD (default 5%) of the service users the store knows are missing (a truncated"
    " extract); --confirm-removals ends them now. A refusal to share or a do-not-involve flag the extract"
    " no longer holds is kept in force (ending it would disclose what the service user refused) until the"
    " extract says it was withdrawn, or --confirm-withdrawn names it. Problems go to --rejects, one JSON object per"
    " line.\n\n" + LOAD_EXIT_CODES
)

SYNC_EPILOG = (
    "Examples:\n\n"
    "  fhircare sync --target http://localhost:8080/fhir --store sqlite:///store.sqlite\n\n"
    "  FHIRCARE_TARGET_TOKEN=... fhircare sync --target https://scr.example.nhs.uk/fhir --format json\n\n"
    "Reads the target's CapabilityStatement first, then sends every pending outbox row as one FHIR"
    " transaction: shared resources (organisations, staff, roles) once each, then one transaction per"
    " service user holding only what changed, each with a Provenance naming the trust and the extract run."
    " Transient failures are retried with backoff; what the server refuses goes to the dead letters with its"
    " OperationOutcome (fhircare outbox dead-letters). Authentication: FHIRCARE_TARGET_TOKEN (bearer), or"
    " FHIRCARE_TARGET_TOKEN_URL + FHIRCARE_TARGET_CLIENT_ID with FHIRCARE_TARGET_CLIENT_SECRET or"
    " FHIRCARE_TARGET_PRIVATE_KEY (private_key_jwt).\n\n" + SYNC_EXIT_CODES
)

RUN_EPILOG = (
    "Examples:\n\n"
    "  fhircare run --extract extract/ --mapping mappings/rio-like.yaml --target http://localhost:8080/fhir\n\n"
    "fhircare load, then fhircare sync, with the options of both. The sync runs even when some service"
    " users were rejected (their last good records stay as they were); it does not run when the extract is"
    " unusable.\n\n" + EXIT_CODES
)

_STORE_HELP = "The record store URL (default FHIRCARE_STORE_URL, a SQLite file in ~/.local/share/fhircare)."

StoreOption = Annotated[str | None, typer.Option("--store", metavar="URL", help=_STORE_HELP, show_default=False)]
FormatOption = Annotated[
    SummaryFormat,
    typer.Option("--format", help="text: tables; json: one JSON object with the same summary on stdout."),
]
ExtractOption = Annotated[
    Path, typer.Option("--extract", metavar="DIR", help="The trust extract folder.", show_default=False)
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        metavar="FILE",
        help="The extract's mapping file (mappings/README.md); or --layout NAME.",
        show_default=False,
    ),
]
TargetOption = Annotated[
    str, typer.Option("--target", metavar="URL", help="Base URL of the target FHIR R4 server.", show_default=False)
]
IgOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--ig", metavar="FOLDER_OR_TGZ", help="Also validate against this IG. Repeatable.", show_default=False
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="YYYY-MM-DD", help="The day the extract is mapped as of (default today).", show_default=False
    ),
]
ConfirmOption = Annotated[
    bool,
    typer.Option(
        "--confirm-removals",
        help="The extract is whole: end every service user missing from it now, and every refusal to share or"
        " do-not-involve flag it no longer holds (otherwise kept in force).",
    ),
]
WithdrawnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--confirm-withdrawn",
        metavar="Consent/ID|Flag/ID",
        help="A refusal to share or do-not-involve flag kept in force (its row gone) that the trust withdrew on"
        " purpose: end it, and nothing else. Repeatable; the load's warning names each one.",
        show_default=False,
    ),
]
ConfirmRowsOption = Annotated[
    bool,
    typer.Option(
        "--confirm-fewer-rows",
        help="Take a file with far fewer rows than the last load read as it is (it was not cut short): what it"
        " no longer holds is ended.",
    ),
]
RejectsOption = Annotated[
    Path,
    typer.Option("--rejects", metavar="FILE", help="Where to write the problems found, one JSON object per line."),
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        metavar="N",
        min=1,
        max=64,
        help="Transactions in flight (default FHIRCARE_SYNC_CONCURRENCY).",
        show_default=False,
    ),
]


def _print_json(body: dict[str, Any]) -> None:
    """One JSON object on stdout, nothing else (for scripts)."""
    sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def _store_url(settings: Settings, store: str | None) -> str:
    return store or settings.store_url


def open_engine(settings: Settings, store: str | None, *, pool_size: int = 5, create: bool = False) -> Engine:
    """The store's engine. Only the commands that fill a store (load, run) pass ``create``:
    any other refuses a store that does not exist (a mistyped --store would otherwise be
    created empty and read as one with nothing in it)."""
    from fhircare.store.db import open_store_engine

    return open_store_engine(_store_url(settings, store), pool_size=pool_size, create=create)


# --- load ---------------------------------------------------------------------------------


def _load(
    settings: Settings,
    engine: Engine,
    *,
    extract: Path,
    mapping_file: Path,
    igs: list[Path],
    as_of: str | None,
    confirm_removals: bool,
    confirm_rows: bool,
    withdrawn: list[str],
    rejects_path: Path,
    quiet_progress: bool,
) -> tuple[LoadSummary, ExtractReport]:
    from fhircare.mapping.context import MappingContext
    from fhircare.source.limits import ReadLimits
    from fhircare.source.mapping_file import load_mapping
    from fhircare.store.fingerprint import file_sha256, run_fingerprint
    from fhircare.store.load import LoadRequest, RemovalPolicy
    from fhircare.store.reading import load_extract
    from fhircare.workspace import OutputFile, WorkFolder

    if not extract.is_dir():
        raise UsageError(f"--extract {extract}: no such folder")
    withdrawn_names = _withdrawn(withdrawn)  # before reading anything: a malformed name is a usage error
    day = as_of_day(as_of)
    limits = ReadLimits.from_settings(settings)
    mapping = load_mapping(mapping_file, limits=limits)
    validator = build_validator(igs, settings, today=day)
    request = LoadRequest(
        extract_dir=extract,
        mapping_file=mapping_file,
        mapping=mapping,
        context=MappingContext.from_mapping(mapping, as_of=day),
        run_fingerprint=run_fingerprint(
            mapping_sha256=file_sha256(mapping_file),
            as_of=day,
            profiles=settings.profiles_package,
            igs=igs,
            validating=True,
        ),
        removal=RemovalPolicy(
            settings.removal_threshold, settings.removal_runs, confirm_removals, confirm_rows, withdrawn_names
        ),
    )
    rejects_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        WorkFolder(rejects_path.parent) as work,
        OutputFile(rejects_path, work) as rejects,
        _bar(quiet_progress) as bar,
    ):
        task = bar.add_task("Loading service users", total=None) if bar is not None else None

        def problem(found: Problem, stage: str) -> None:
            rejects.write(orjson.dumps({**found.to_dict(), "stage": stage}) + b"\n")

        return load_extract(
            engine,
            request,
            validator,
            workdir=work.path,
            limits=limits,
            on_problem=problem,
            on_total=(lambda total: bar.update(task, total=total)) if bar is not None else None,
            on_service_user=(lambda: bar.advance(task)) if bar is not None else None,
        )


@contextlib.contextmanager
def _bar(quiet: bool) -> Iterator[Any]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with progress_bar() as bar:
        yield bar


def _load_table(summary: LoadSummary, usable: bool = True) -> list[Table]:
    # an unusable extract changes nothing: "Loaded" above the cause read as if it had
    # been loaded (fourth layout trial)
    title = f"Loaded (run {summary.run_id})" if usable else f"Nothing loaded (run {summary.run_id})"
    people = Table(title=Text(title), show_header=False, title_justify="left")
    people.add_column("what")
    people.add_column("count", justify="right")
    for key in ("read", "changed", "unchanged", "missing", "ended"):
        people.add_row(f"service users {key}", str(summary.service_users.get(key, 0)))
    for key, count in sorted(summary.service_users.items()):
        if key.startswith("rejected"):
            people.add_row(Text(f"service users {key.replace('-', ' (')})", style="red"), str(count))
    # service users whose rows are as before are not mapped again (counted unchanged above):
    # their resources are in none of these columns
    resources = Table(title=Text("Resources of the service users mapped in this run"), title_justify="left")
    resources.add_column("resource type")
    changes: tuple[str, ...] = ("created", "updated", "unchanged", "ended")
    if any(c == "held back" for _t, c in summary.resources):
        # a rejected service user's last good resources, marked not current (not mapped)
        changes += ("held back",)
    for change in changes:
        resources.add_column(change, justify="right")
    types = sorted({t for t, _ in summary.resources})
    for rtype in types:
        resources.add_row(rtype, *(str(summary.resources.get((rtype, c), 0)) for c in changes))
    resources.add_row(
        Text("total", style="bold"),
        *(str(sum(v for (_t, c), v in summary.resources.items() if c == change)) for change in changes),
    )
    return [people, resources]


def _print_load(summary: LoadSummary, report: ExtractReport, rejects: Path) -> None:
    out = _stdout()
    for table in _load_table(summary, report.usable):
        out.print(table)
    for name, count in sorted(report.ignored.items()):
        out.print(Text(f"{count} rows of {name} ignored by a rule of the mapping file."))
    for name, count in sorted(report.repeated.items()):
        out.print(Text(f"{count} rows of {name} repeated an earlier row exactly and were read once."))
    for absent in report.absent_optional:
        out.print(Text(f"Optional file absent: {absent}"))
    if report.other_problems:
        out.print(
            Text(
                f"{report.other_problems} {'problem' if report.other_problems == 1 else 'problems'} of no one"
                " service user (the staff, team and organisation directory; lines that name no service user)."
            )
        )
    if summary.rejected or report.other_problems:
        out.print(Text(f"Problems are listed in {rejects}, one per line."))
    for cause in report.causes:  # root causes first-class, on stderr
        _stderr().print(Text.assemble(("cause: ", "bold red"), cause))
    if summary.safeguards_kept:
        kept = summary.safeguards_kept
        listed = ", ".join(f"{su} {ref}" for su, ref in kept[:_KEPT_LISTED])
        more = (
            f" and {len(kept) - _KEPT_LISTED} more (--format json lists them all)" if len(kept) > _KEPT_LISTED else ""
        )
        what = (
            "refusal to share or do-not-involve flag is"
            if len(kept) == 1
            else "refusals to share or do-not-involve flags are"
        )
        _stderr().print(
            Text.assemble(
                ("warning: ", "bold yellow"),
                f"{len(kept)} {what} no longer in the extract and kept in force, since ending one would disclose"
                f" what the service user refused: {listed}{more}. If the trust lifted one, its extract should say so"
                " (the consent withdrawn or ended, the person's row saying they may be involved); if a row was"
                " deleted on purpose, load it again with --confirm-withdrawn naming the resource (--confirm-removals"
                " ends them all, and every missing service user).",
            )
        )
    for absent in [*report.absent_safeguards, *report.unread_keys]:
        _stderr().print(Text.assemble(("warning: ", "bold yellow"), absent))
    if summary.safeguards_ended:
        listed = ", ".join(f"{su} {ref}" for su, ref in summary.safeguards_ended)
        out.print(Text(f"Ended as withdrawn on purpose (--confirm-withdrawn): {listed}."))
    for name, why in summary.withdrawn_unmatched:
        _stderr().print(
            Text.assemble(("warning: ", "bold yellow"), f"--confirm-withdrawn {name}: {why}; nothing was ended for it.")
        )
    if summary.removals_refused:
        _stderr().print(
            Text.assemble(
                ("warning: ", "bold yellow"),
                f"{summary.missing} of the {summary.known} service users the store knows are missing from this"
                " extract, more than FHIRCARE_REMOVAL_THRESHOLD allows: no one was ended. If the extract is whole,"
                " load it again with --confirm-removals.",
            )
        )


def _withdrawn(names: list[str]) -> frozenset[str]:
    """The ``--confirm-withdrawn`` names, each ``Consent/<id>`` or ``Flag/<id>``."""
    for name in names:
        if not _WITHDRAWN_NAME.fullmatch(name):
            raise UsageError(
                f"--confirm-withdrawn {name!r}: expected Consent/<id> or Flag/<id>, as the load's warning names it"
            )
    return frozenset(names)


_WITHDRAWN_NAME = re.compile(r"(Consent|Flag)/[A-Za-z0-9\-.]{1,64}")

#: kept safeguards the warning names (service user id and resource: no personal data)
_KEPT_LISTED = 10


def _load_json(summary: LoadSummary, report: ExtractReport) -> dict[str, Any]:
    return {
        "load": summary.as_json(),
        "usable": report.usable,
        "causes": report.causes,
        "otherProblems": report.other_problems,
        "absentSafeguards": report.absent_safeguards,
    }


def _load_exit(summary: LoadSummary, report: ExtractReport) -> int:
    if not report.usable:
        return EXIT_USAGE
    failed = (
        summary.rejected
        or summary.removals_refused
        or summary.safeguards_kept
        or summary.withdrawn_unmatched
        or report.other_problems
        or report.absent_safeguards
    )
    return EXIT_FAILURE if failed else EXIT_OK


def load_command(
    ctx: typer.Context,
    extract: ExtractOption,
    mapping_file: MappingOption = None,
    layout: LayoutOption = None,
    store: StoreOption = None,
    igs: IgOption = None,
    as_of: AsOfOption = None,
    confirm_removals: ConfirmOption = False,
    confirm_rows: ConfirmRowsOption = False,
    withdrawn: WithdrawnOption = None,
    rejects: RejectsOption = Path("rejects.jsonl"),
    output_format: FormatOption = SummaryFormat.text,
) -> None:
    """Read, map and validate an extract, and store what changed (queued for every target)."""
    settings = _settings(ctx)
    with _errors_reported(), no_traceback("fhircare load"), terminate_cleanly():
        mapping_file = mapping_path(settings, layout, mapping_file)
        engine = open_engine(settings, store, create=True)
        summary, report = _load(
            settings,
            engine,
            extract=extract,
            mapping_file=mapping_file,
            igs=list(igs or []),
            as_of=as_of,
            confirm_removals=confirm_removals,
            confirm_rows=confirm_rows,
            withdrawn=list(withdrawn or []),
            rejects_path=rejects,
            quiet_progress=output_format is SummaryFormat.json,
        )
    if output_format is SummaryFormat.json:
        _print_json(_load_json(summary, report))
    else:
        _print_load(summary, report, rejects)
    if not report.usable:
        _stderr().print(Text.assemble(("error: ", "bold red"), f"the extract cannot be used as it is (see {rejects})"))
    raise typer.Exit(_load_exit(summary, report))


# --- sync ---------------------------------------------------------------------------------


def _sync(
    settings: Settings,
    engine: Engine,
    target: str,
    concurrency: int | None,
    quiet: bool,
    started: list[SyncSummary] | None = None,
) -> SyncSummary:
    """The sync's summary; ``started`` is given the summary as it fills, so that a sync
    that stops (exit 2) can still say what it had done."""
    from fhircare.store.locks import SYNC, store_lock
    from fhircare.sync.auth import auth_from_settings
    from fhircare.sync.client import FhirClient, RetryPolicy
    from fhircare.sync.engine import SyncEngine

    if not target.startswith(("http://", "https://")):
        raise UsageError(f"--target {target}: not an http(s) URL")
    workers = concurrency or settings.sync_concurrency
    retry = RetryPolicy(settings.sync_max_attempts, settings.sync_retry_base_seconds, settings.sync_retry_max_seconds)
    with (
        store_lock(engine, SYNC),
        FhirClient(
            target,
            auth=auth_from_settings(settings),
            timeout=settings.sync_timeout_seconds,
            connect_timeout=settings.sync_connect_timeout_seconds,
            retry=retry,
            max_connections=workers,
        ) as client,
        _bar(quiet) as bar,
    ):
        task = bar.add_task("Sending to the target", total=None) if bar is not None else None

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.update(task, completed=done, total=total)

        sync = SyncEngine(
            engine,
            client,
            concurrency=workers,
            passes=settings.sync_passes,
            retry_seconds=settings.sync_pass_delay_seconds,
            max_entries=settings.sync_max_entries,
            on_progress=progress,
        )
        if started is not None:
            started.append(sync.summary)
        return sync.run()


def _sync_tables(summary: SyncSummary) -> list[Table]:
    rows = Table(title=Text(f"Synced to {summary.target}"), show_header=False, title_justify="left")
    rows.add_column("what")
    rows.add_column("count", justify="right")
    labels = {
        "sent": "outbox rows sent (a service user or shared records each)",
        "up-to-date": "already up to date",
        "replanned": "re-planned after a conflict",
        "dead-lettered": "dead-lettered",
        "failed": "failed (still pending)",
    }
    for key, label in labels.items():
        count = summary.rows.get(key, 0)
        style = "red" if key in ("dead-lettered", "failed") and count else ""
        rows.add_row(Text(label, style=style), str(count))
        if key == "sent":
            rows.add_row("transactions committed", str(summary.transactions))
    style = "red" if summary.open_dead_letters else ""
    rows.add_row(
        Text("open dead letters (not on the target: fhircare outbox dead-letters)", style=style),
        str(summary.open_dead_letters),
    )
    if summary.labels_kept:
        # a target that lost them stops the sync before this table: "no" is never shown here
        rows.add_row("security labels and extensions kept (one resource read back)", summary.labels_kept)
    server = summary.server_seconds
    rows.add_row(
        "seconds (wall / fhircare CPU / server, summed over transactions in flight)",
        f"{summary.wall_seconds:.1f} / {summary.cpu_seconds:.1f} / {server:.1f}",
    )
    resources = Table(title=Text("Resources sent"), title_justify="left")
    resources.add_column("resource type")
    outcomes = ("created", "updated", "ended", "dead-lettered")
    for outcome in outcomes:
        resources.add_column(outcome, justify="right")
    for rtype in sorted({t for t, _ in summary.resources}):
        resources.add_row(rtype, *(str(summary.resources.get((rtype, o), 0)) for o in outcomes))
    resources.add_row(
        Text("total", style="bold"),
        *(str(sum(v for (_t, o), v in summary.resources.items() if o == outcome)) for outcome in outcomes),
    )
    return [rows, resources]


def _sync_exit(summary: SyncSummary) -> int:
    # a refusal left open fails every sync until it is fixed: an overnight job must not
    # report success while a service user's records are missing from the shared record
    return EXIT_FAILURE if summary.dead_lettered or summary.failed or summary.open_dead_letters else EXIT_OK


def sync_command(
    ctx: typer.Context,
    target: TargetOption,
    store: StoreOption = None,
    concurrency: ConcurrencyOption = None,
    output_format: FormatOption = SummaryFormat.text,
) -> None:
    """Send the store's pending changes to a target FHIR R4 server (the shared care record)."""
    settings = _settings(ctx)
    started: list[SyncSummary] = []
    try:
        with _errors_reported(), no_traceback("fhircare sync"), terminate_cleanly():
            engine = open_engine(settings, store, pool_size=(concurrency or settings.sync_concurrency) + 2)
            summary = _sync(settings, engine, target, concurrency, output_format is SummaryFormat.json, started)
    except typer.Exit as stop:
        # stopped (the error is on stderr): a job reading stdout still learns what was sent
        if output_format is SummaryFormat.json and started:
            _print_json({"sync": started[0].as_json(), "stopped": True, "exitCode": stop.exit_code})
        raise
    if output_format is SummaryFormat.json:
        _print_json({"sync": summary.as_json()})
    else:
        for table in _sync_tables(summary):
            _stdout().print(table)
    raise typer.Exit(_sync_exit(summary))


# --- run ----------------------------------------------------------------------------------


def run_command(
    ctx: typer.Context,
    extract: ExtractOption,
    target: TargetOption,
    mapping_file: MappingOption = None,
    layout: LayoutOption = None,
    store: StoreOption = None,
    igs: IgOption = None,
    as_of: AsOfOption = None,
    confirm_removals: ConfirmOption = False,
    confirm_rows: ConfirmRowsOption = False,
    withdrawn: WithdrawnOption = None,
    rejects: RejectsOption = Path("rejects.jsonl"),
    concurrency: ConcurrencyOption = None,
    output_format: FormatOption = SummaryFormat.text,
) -> None:
    """Load an extract into the store, then sync the store to a target FHIR R4 server."""
    from fhircare.store.locks import RUN, store_lock

    settings = _settings(ctx)
    quiet = output_format is SummaryFormat.json
    with _errors_reported(), no_traceback("fhircare run"), terminate_cleanly():
        mapping_file = mapping_path(settings, layout, mapping_file)
        engine = open_engine(settings, store, pool_size=(concurrency or settings.sync_concurrency) + 2, create=True)
        # held across both halves: a second run on this store is refused at once
        with store_lock(engine, RUN):
            summary, report = _load(
                settings,
                engine,
                extract=extract,
                mapping_file=mapping_file,
                igs=list(igs or []),
                as_of=as_of,
                confirm_removals=confirm_removals,
                confirm_rows=confirm_rows,
                withdrawn=list(withdrawn or []),
                rejects_path=rejects,
                quiet_progress=quiet,
            )
            synced = _sync(settings, engine, target, concurrency, quiet) if report.usable else None
    if quiet:
        body: dict[str, Any] = _load_json(summary, report)
        if synced is not None:
            body["sync"] = synced.as_json()
        _print_json(body)
    else:
        _print_load(summary, report, rejects)
        if synced is not None:
            for table in _sync_tables(synced):
                _stdout().print(table)
    if not report.usable:
        _stderr().print(Text.assemble(("error: ", "bold red"), f"the extract cannot be used as it is (see {rejects})"))
        raise typer.Exit(EXIT_USAGE)
    assert synced is not None
    raise typer.Exit(max(_load_exit(summary, report), _sync_exit(synced)))
