"""``fhircare validate``: validate files, folders and NDJSON; report as text or JSON.

The validator, orjson and rich.progress are imported inside the command, so that
``fhircare --help`` and the packages commands do not pay for them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.table import Table
from rich.text import Text

from fhircare.errors import DefinitionError, FhircareError

if TYPE_CHECKING:
    from fhircare.validation.api import Validator
    from fhircare.validation.inputs import InputItem, InputProblem
    from fhircare.validation.issues import ValidationResult

from fhircare.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    _errors_reported,
    _fail,
    _settings,
    _stderr,
    _stdout,
    build_validator,
)

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


#: the --help epilog of `fhircare validate`
VALIDATE_EPILOG = (
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
        validator = build_validator(list(igs or []), settings)
        _check_profiles(validator, wanted)
        if output_format is OutputFormat.json:
            tally = _validate_to_json(validator, paths, wanted)
        else:
            tally = _validate_to_text(validator, paths, wanted, quiet=quiet)
    raise typer.Exit(tally.exit_code)


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
