"""The ``fhircare`` command line.

Settings are read once, in the top-level callback, and handed to commands through
``ctx.obj`` (read them with :func:`_settings`). Commands run their work inside
:func:`_errors_reported`, which turns every :class:`~fhircare.errors.FhircareError`
(and I/O error) into one line on stderr and the exit code of :func:`exit_code_for`.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from fhircare.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    _configure_logging,
    _fail,
    exit_code_for,
)
from fhircare.cli.map import MAP_EPILOG, map_command
from fhircare.cli.mapping import mapping_app
from fhircare.cli.outbox import outbox_app
from fhircare.cli.packages import packages_app
from fhircare.cli.partners import partners_app
from fhircare.cli.serve import SERVE_EPILOG, serve_command
from fhircare.cli.sync import LOAD_EPILOG, RUN_EPILOG, SYNC_EPILOG, load_command, run_command, sync_command
from fhircare.cli.synth import SYNTH_EPILOG, synth_command
from fhircare.cli.validate import FILE_EXTENSION_URL, VALIDATE_EPILOG, validate_command
from fhircare.settings import Settings
from fhircare.validation.packages import CORE_PACKAGE

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "FILE_EXTENSION_URL", "app", "exit_code_for", "main"]

app = typer.Typer(
    name="fhircare",
    help=(
        "FHIR R4 interoperability for NHS community mental health care coordination."
        "\n\nSettings come from FHIRCARE_* environment variables, for example"
        " FHIRCARE_PACKAGE_CACHE (default ~/.fhir/packages)."
    ),
    epilog=(
        "Examples:\n\n\b\n"
        f"  fhircare packages install {CORE_PACKAGE}\n"
        "  fhircare packages list\n"
        "  fhircare synth --patients 100 --seed 1 --layout rio-like extract/\n"
        "  fhircare mapping check mappings/rio-like.yaml --extract extract/\n"
        "  fhircare map --extract extract/ --mapping mappings/rio-like.yaml --out out/\n"
        "  fhircare run --extract extract/ --mapping mappings/rio-like.yaml --target http://localhost:8080/fhir\n\n"
        "Exit codes: 0 ok, 1 failure reported, 2 usage or I/O problem."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    # plain help: paragraphs reflowed to the terminal, no <bool>/<list[Path]> placeholders
    rich_markup_mode=None,
)

app.add_typer(packages_app, name="packages")
app.add_typer(mapping_app, name="mapping")


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("fhircare")
        except PackageNotFoundError:
            found = "unknown"
        typer.echo(f"fhircare {found}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    ctx: typer.Context,
    show_version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print fhircare's version and exit."
    ),
) -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"FHIRCARE_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}" for error in exc.errors()
        )
        _fail(f"invalid settings: {problems}", EXIT_USAGE)
    _configure_logging(settings.log_level)
    ctx.obj = settings


app.command("validate", epilog=VALIDATE_EPILOG)(validate_command)
app.command("synth", epilog=SYNTH_EPILOG)(synth_command)
app.command("map", epilog=MAP_EPILOG)(map_command)
app.command("load", epilog=LOAD_EPILOG)(load_command)
app.command("sync", epilog=SYNC_EPILOG)(sync_command)
app.command("run", epilog=RUN_EPILOG)(run_command)
app.add_typer(outbox_app, name="outbox")
app.command("serve", epilog=SERVE_EPILOG)(serve_command)
app.add_typer(partners_app, name="partners")


def main() -> None:
    """Entry point of the ``fhircare`` console script."""
    app()
