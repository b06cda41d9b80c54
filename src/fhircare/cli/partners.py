"""``fhircare partners add | list | remove | activity`` (the partners the API serves, kept in
the record store, and what each asked of it), and two helpers for a partner's developer:
``keygen`` (a key pair and its JWKS) and ``assertion`` (a signed client assertion for the
token endpoint)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import orjson
import typer
from rich.table import Table

from fhircare.cli.common import EXIT_FAILURE, EXIT_OK, _errors_reported, _settings, _stdout
from fhircare.cli.sync import FormatOption, StoreOption, SummaryFormat, _print_json, open_engine
from fhircare.errors import UsageError

partners_app = typer.Typer(
    help="Register, list and remove the partner organisations that read over the FHIR API.",
    epilog=(
        "Examples:\n\n"
        "  fhircare partners keygen --out gp-key.pem --jwks gp.jwks.json  (--force to overwrite them)\n\n"
        "  fhircare partners add --name 'Synthetic Lane Surgery' --ods ZZ9001 --type gp"
        " --jwks gp.jwks.json --scopes 'system/*.rs' --format json\n\n"
        "  fhircare partners add --name 'Synthetic Peer Support' --type vcse"
        " --identifier 'https://trust.example.nhs.uk/Id/organisation|VCSE01' --jwks vcse.jwks.json"
        " --scopes 'system/*.rs'\n\n"
        "  fhircare partners list\n\n"
        "  fhircare partners activity --hours 24 --over 100\n\n"
        "  fhircare partners remove 0b0d...\n\n"
        "Types: gp, vcse, local-authority, nhs-trust, urgent-care, service-user-app, and admin (reads"
        " AuditEvents only, with system/AuditEvent.rs).\n\n"
        "Exit codes: 0 done; 2 bad arguments, an unusable key set or store, an unknown client id."
    ),
    no_args_is_help=True,
)


ACTIVITY_EPILOG = (
    "Examples:\n\n"
    "  fhircare partners activity   (the last 24 hours; a partner naming more than 100 service users is flagged)\n\n"
    "  fhircare partners activity --hours 168 --over 500 --format json\n\n"
    "Counts only: no service user is named. Who read whom is in the AuditEvents (GET"
    " /AuditEvent?agent=<client_id>, with an admin client).\n\n"
    "Exit codes: 0 no partner flagged; 1 a partner named more service users than --over; 2 an unusable store."
)


def _organisation_types() -> list[str]:
    from fhircare.api.policy_table import OrganisationType

    return [t.value for t in OrganisationType]


def _load_jwks(source: str) -> tuple[dict[str, object] | None, str | None]:
    """A key set from a file, or a URL (fetched once now, to refuse one that cannot work)."""
    from fhircare.api.keys import check_jwks, read_jwks_file

    if source.startswith(("https://", "http://")):
        try:
            response = httpx.get(source, timeout=10.0)
            response.raise_for_status()
            check_jwks(response.json(), source)
        except (httpx.HTTPError, ValueError) as exc:
            raise UsageError(f"--jwks {source}: cannot fetch a key set ({type(exc).__name__})") from None
        return None, source
    return read_jwks_file(Path(source)), None


@partners_app.command("add")
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="The organisation's name.", show_default=False)],
    organisation_type: Annotated[
        str,
        typer.Option(
            "--type",
            metavar="TYPE",
            help="gp, vcse, local-authority, nhs-trust, urgent-care, service-user-app or admin.",
            show_default=False,
        ),
    ],
    jwks: Annotated[
        str,
        typer.Option(
            "--jwks", metavar="FILE_OR_URL", help="Its public key set (JWKS file or https URL).", show_default=False
        ),
    ],
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            help="SMART system scopes it may be granted, space-separated (system/*.rs, system/CarePlan.read, ...).",
            show_default=False,
        ),
    ],
    identifier: Annotated[
        str | None,
        typer.Option(
            "--identifier",
            metavar="SYSTEM|VALUE",
            help="How the trust's extract identifies the organisation when not by ODS code (a VCSE partner"
            " without one); --ods or --identifier is required, or both.",
            show_default=False,
        ),
    ] = None,
    ods: Annotated[
        str | None,
        typer.Option("--ods", metavar="CODE", help="Its ODS code (or --identifier).", show_default=False),
    ] = None,
    store: StoreOption = None,
    output_format: FormatOption = SummaryFormat.text,
) -> None:
    """Register a partner; prints the client_id it is given."""
    from fhircare.api.policy_table import OrganisationType
    from fhircare.api.scopes import check_registration
    from fhircare.store import partners
    from fhircare.store.db import writer
    from fhircare.store.search_index import REGISTRY

    settings = _settings(ctx)
    with _errors_reported():
        if organisation_type not in _organisation_types():
            raise UsageError(f"--type {organisation_type}: use one of {', '.join(_organisation_types())}")
        if ods is None and identifier is None:
            raise UsageError("give the partner's --ods CODE, or --identifier SYSTEM|VALUE when it has no ODS code")
        if identifier is not None:
            system, _, value = identifier.partition("|")
            if not system or not value:
                raise UsageError("--identifier: give it as SYSTEM|VALUE")
        granted = check_registration(scopes.split(), REGISTRY, admin=organisation_type == OrganisationType.ADMIN.value)
        key_set, key_url = _load_jwks(jwks)
        engine = open_engine(settings, store)
        with writer(engine).begin() as conn:
            client_id = partners.add(
                conn,
                name=name,
                ods_code=ods,
                organisation_type=organisation_type,
                scopes=granted,
                jwks=key_set,
                jwks_url=key_url,
                organization_identifier=identifier,
                now=datetime.now(UTC),
            )
    if output_format is SummaryFormat.json:
        _print_json({"client_id": client_id, "name": name, "type": organisation_type, "scopes": " ".join(granted)})
    else:
        _stdout().print(client_id)


@partners_app.command("list")
def list_command(
    ctx: typer.Context,
    removed: Annotated[bool, typer.Option("--removed", help="Include removed partners.")] = False,
    store: StoreOption = None,
    output_format: FormatOption = SummaryFormat.text,
) -> None:
    """The registered partners."""
    from fhircare.store import partners

    settings = _settings(ctx)
    with _errors_reported():
        engine = open_engine(settings, store)
        with engine.connect() as conn:
            found = [p.summary() for p in partners.listed(conn, include_removed=removed)]
    if output_format is SummaryFormat.json:
        _print_json({"partners": found})
        raise typer.Exit(EXIT_OK)
    # the client id is what `partners remove` takes: shown whole however narrow the terminal
    # (or a pipe's 80 columns); the other columns fold rather than lose text
    table = Table()
    table.add_column("client_id", no_wrap=True, min_width=max((len(p["client_id"]) for p in found), default=9))
    for column in ("name", "ODS (or identifier)", "type", "scopes", "removed"):
        table.add_column(column, overflow="fold")
    for p in found:
        table.add_row(
            p["client_id"],
            p["name"],
            p["ods_code"] or p["organization_identifier"],
            p["type"],
            p["scopes"],
            p["removed_at"] or "",
        )
    _stdout().print(table)


@partners_app.command("activity", epilog=ACTIVITY_EPILOG)
def activity_command(
    ctx: typer.Context,
    hours: Annotated[
        float, typer.Option("--hours", min=0.01, help="The period to report: the last HOURS hours.")
    ] = 24.0,
    over: Annotated[
        int,
        typer.Option(
            "--over",
            min=1,
            help="Flag a partner that named more than this many distinct service users in the period (exit 1).",
        ),
    ] = 100,
    store: StoreOption = None,
    output_format: FormatOption = SummaryFormat.text,
) -> None:
    """What each partner asked of the API in the last --hours, from its AuditEvents: requests,
    refusals, and how many distinct service users they named. Urgent care may read anyone it
    names, one at a time, and ids can be worked out from the trust's local ids: a partner
    reading far more people than its work explains is what this shows, for a daily check."""
    from fhircare.store import audit, partners

    settings = _settings(ctx)
    since = datetime.now(UTC) - timedelta(hours=hours)
    with _errors_reported():
        engine = open_engine(settings, store)
        with engine.connect() as conn:
            known = {p.client_id: p for p in partners.listed(conn, include_removed=True)}
            found = audit.activity(conn, since)

    def named(a: audit.ClientActivity) -> tuple[str, str]:
        partner = known.get(a.client_id or "")
        return (partner.name, partner.organisation_type) if partner else ("", "")

    flagged = sum(a.patients > over for a in found)
    if output_format is SummaryFormat.json:
        rows = [
            {
                "client_id": a.client_id,
                "name": named(a)[0] or None,
                "type": named(a)[1] or None,
                "requests": a.requests,
                "refused": a.refused,
                "serviceUsers": a.patients,
                "over": a.patients > over,
            }
            for a in found
        ]
        _print_json({"since": since.isoformat(timespec="seconds"), "over": over, "partners": rows})
    else:
        table = Table(title=f"Partner API since {since.isoformat(timespec='minutes')} (flagged: more than {over})")
        table.add_column("client_id", no_wrap=True)
        for column in ("name", "type", "requests", "refused", "service users named", "flagged"):
            table.add_column(column, overflow="fold", justify="right" if column[0] in "rs" else "left")
        for a in found:
            table.add_row(
                a.client_id or "(unidentified callers)",
                *named(a),
                str(a.requests),
                str(a.refused),
                str(a.patients),
                "yes" if a.patients > over else "",
                style="red" if a.patients > over else "",
            )
        _stdout().print(table)
    raise typer.Exit(EXIT_FAILURE if flagged else EXIT_OK)


@partners_app.command("remove")
def remove_command(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="CLIENT_ID", show_default=False)],
    store: StoreOption = None,
) -> None:
    """Remove a partner: it gets no new token, and its tokens stop working within seconds."""
    from fhircare.store import partners
    from fhircare.store.db import writer

    settings = _settings(ctx)
    with _errors_reported():
        engine = open_engine(settings, store)
        with writer(engine).begin() as conn:
            if not partners.remove(conn, client_id, datetime.now(UTC)):
                raise UsageError(f"{client_id}: no registered partner has this client id")
    _stdout().print(f"removed {client_id}")


@partners_app.command("keygen")
def keygen_command(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The private key (PEM) to write.")],
    jwks_out: Annotated[Path, typer.Option("--jwks", metavar="FILE", help="Its public key set (JWKS) to write.")],
    algorithm: Annotated[str, typer.Option("--alg", help="ES384 or RS384.")] = "ES384",
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out and --jwks when they exist.")] = False,
) -> None:
    """Make a partner's key pair: the private key stays with the partner, the JWKS is what
    `partners add --jwks` registers. Existing files are kept unless --force."""
    from fhircare.api.keys import generate

    with _errors_reported():
        if out.resolve() == jwks_out.resolve():
            raise UsageError(f"--out and --jwks name the same file ({out})")
        if not force:
            for option, path in (("--out", out), ("--jwks", jwks_out)):
                if path.exists():
                    raise UsageError(
                        f"{option} {path}: the file exists (a key registered with a partner would be lost);"
                        " choose another name, or give --force to overwrite it"
                    )
        pem, key_set = generate(algorithm)
        _write_private(out, pem, replace=force)
        jwks_out.write_bytes(orjson.dumps(key_set, option=orjson.OPT_INDENT_2) + b"\n")
    _stdout().print(f"wrote {out} (private, keep it) and {jwks_out} (register it)")


def _write_private(path: Path, content: bytes, *, replace: bool) -> None:
    """Write a private key readable by its owner only from the start (never a moment
    world-readable); an existing file is replaced only when ``replace``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, 0o600)  # a replaced file keeps its mode otherwise
        file.write(content)


@partners_app.command("assertion")
def assertion_command(
    client_id: Annotated[str, typer.Option("--client-id", show_default=False)],
    key: Annotated[Path, typer.Option("--key", metavar="FILE", help="The partner's private key (PEM).")],
    token_url: Annotated[str, typer.Option("--token-url", metavar="URL", show_default=False)],
    key_id: Annotated[str | None, typer.Option("--kid", help="The key's kid (from its JWKS).")] = None,
) -> None:
    """Print a signed client assertion (private_key_jwt, five minutes) for the token endpoint."""
    from fhircare.api.keys import client_assertion

    with _errors_reported():
        sys.stdout.write(client_assertion(key.read_bytes(), client_id, token_url, key_id=key_id) + "\n")
