"""``fhircare outbox status | retry | dead-letters``: what is waiting to be sent, what a
target refused and why, and putting refused rows back in the queue once fixed."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from fhircare.cli.common import EXIT_OK, _errors_reported, _settings, _stdout
from fhircare.cli.sync import FormatOption, StoreOption, SummaryFormat, _print_json, open_engine
from fhircare.errors import UsageError

outbox_app = typer.Typer(
    help="What is waiting to be sent to each target, what a target refused, and retrying it.",
    epilog=(
        "Examples:\n\n"
        "  fhircare outbox status --store sqlite:///store.sqlite\n\n"
        "  fhircare outbox dead-letters --target http://localhost:8080/fhir --format json\n\n"
        "  fhircare outbox retry --target http://localhost:8080/fhir\n\n"
        "  fhircare outbox retry --id 3 --id 7\n\n"
        "Exit codes: 0 done (status and dead-letters report, they do not fail on what they find);"
        " 2 the store cannot be used or an unknown target is named."
    ),
    no_args_is_help=True,
)

TargetFilter = Annotated[
    str | None, typer.Option("--target", metavar="URL", help="Only this target.", show_default=False)
]


def _target_id(conn: Any, target: str | None) -> int | None:
    from fhircare.store import outbox

    if target is None:
        return None
    found = outbox.find_target(conn, target)
    if found is None:
        raise UsageError(f"--target {target}: the store has never synced to this target")
    return found


@outbox_app.command("status")
def status_command(
    ctx: typer.Context, store: StoreOption = None, output_format: FormatOption = SummaryFormat.text
) -> None:
    """Outbox rows per target (pending, done, dead-lettered), and what the store holds."""
    from fhircare.store import outbox, records

    settings = _settings(ctx)
    with _errors_reported():
        engine = open_engine(settings, store)
        with engine.connect() as conn:
            targets = outbox.all_targets(conn)
            counts = outbox.status_counts(conn)
            held = records.counts_by_type(conn)
            latest = records.latest_run(conn)
    body = {
        "targets": [
            {
                "target": url,
                "rows": {
                    f"{kind}:{status}": count
                    for (tid, kind, status), count in sorted(counts.items())
                    if tid == target_id
                },
            }
            for target_id, url in targets
        ],
        "resources": {f"{rtype}:{state}": count for (rtype, state), count in sorted(held.items())},
        "latestRun": None
        if latest is None
        else {"id": latest["id"], "status": latest["status"], "asOf": str(latest["as_of"])},
    }
    if output_format is SummaryFormat.json:
        _print_json(body)
        raise typer.Exit(EXIT_OK)
    out = _stdout()
    table = Table(title=Text("Outbox"), title_justify="left")
    table.add_column("target")
    for column in ("kind", "pending", "done", "dead", "retried"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for target_id, url in targets:
        for kind in ("shared", "service-user"):
            row = [counts.get((target_id, kind, s), 0) for s in ("pending", "done", "dead", "retried")]
            table.add_row(Text(url), kind, *(str(v) for v in row))
    if not targets:
        out.print(Text("No target yet: `fhircare sync --target URL` registers one."))
    else:
        out.print(table)
    stored = Table(title=Text("Resources in the store"), title_justify="left")
    stored.add_column("resource type")
    stored.add_column("current", justify="right")
    stored.add_column("ended", justify="right")
    for rtype in sorted({t for t, _ in held}):
        stored.add_row(rtype, str(held.get((rtype, "current"), 0)), str(held.get((rtype, "ended"), 0)))
    out.print(stored)
    if latest is not None:
        out.print(Text(f"Latest extract run: {latest['id']} ({latest['status']}), as of {latest['as_of']}."))


@outbox_app.command("dead-letters")
def dead_letters_command(
    ctx: typer.Context,
    target: TargetFilter = None,
    store: StoreOption = None,
    output_format: FormatOption = SummaryFormat.text,
) -> None:
    """What a target refused: the server's OperationOutcome and the extract rows it came from."""
    from fhircare.store import outbox

    settings = _settings(ctx)
    with _errors_reported():
        engine = open_engine(settings, store)
        with engine.connect() as conn:
            found = outbox.list_dead_letters(conn, _target_id(conn, target))
    if output_format is SummaryFormat.json:
        _print_json(
            {
                "deadLetters": [
                    {
                        "id": row["id"],
                        "target": row["base_url"],
                        "group": row["group_key"],
                        "httpStatus": row["http_status"],
                        "outcome": row["outcome"],
                        "sources": row["sources"],
                        "created": row["created_at"].isoformat(),
                    }
                    for row in found
                ]
            }
        )
        raise typer.Exit(EXIT_OK)
    out = _stdout()
    if not found:
        out.print(Text("No dead letters."))
        raise typer.Exit(EXIT_OK)
    table = Table(title=Text("Dead letters"), title_justify="left")
    for column in ("id", "target", "group", "HTTP", "first issue", "rows"):
        table.add_column(column, overflow="fold")
    for row in found:
        sources = row["sources"] or []
        where = ", ".join(f"{s.get('file')}:{s.get('line')}" for s in sources[:3] if s.get("file"))
        more = f" (+{len(sources) - 3})" if len(sources) > 3 else ""
        table.add_row(
            str(row["id"]),
            Text(row["base_url"]),
            Text(row["group_key"]),
            str(row["http_status"] or ""),
            Text(_first_issue(row["outcome"])),
            Text(where + more),
        )
    out.print(table)
    out.print(Text("After fixing the cause: fhircare outbox retry (all) or --id N."))


def _first_issue(outcome: Any) -> str:
    issues = (outcome or {}).get("issue") or [{}]
    first = issues[0]
    return str(first.get("diagnostics") or (first.get("details") or {}).get("text") or first.get("code") or "")


@outbox_app.command("retry")
def retry_command(
    ctx: typer.Context,
    target: TargetFilter = None,
    ids: Annotated[
        list[int] | None,
        typer.Option("--id", metavar="N", help="Only this dead letter (repeatable).", show_default=False),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Put dead-lettered rows back in the queue (after fixing what the server refused)."""
    from datetime import UTC, datetime

    from fhircare.store import outbox
    from fhircare.store.db import writer

    settings = _settings(ctx)
    with _errors_reported():
        engine = open_engine(settings, store)
        with writer(engine).begin() as conn:
            target_id = _target_id(conn, target)
            if ids:
                # a mistyped id requeued nothing and said "Requeued 0" (exit 0)
                known = {row["id"] for row in outbox.list_dead_letters(conn, target_id)}
                unknown = sorted(set(ids) - known)
                if unknown:
                    raise UsageError(
                        f"--id {', '.join(map(str, unknown))}: no such dead letter"
                        + (f" for {target}" if target else "")
                        + " (fhircare outbox dead-letters lists them); nothing was requeued"
                    )
            count = outbox.retry_dead_letters(conn, target_id, ids, datetime.now(UTC))
    _stdout().print(Text(f"Requeued {count} dead-lettered row{'s' if count != 1 else ''}; run fhircare sync to send."))
