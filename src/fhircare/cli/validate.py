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
    from fhircare.validation.inputs import InputItem, InputProblem, InputResource, ReadLimits
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
    #: resources, each Bundle entry counted too (a Bundle of 30 entries is 31)
    resources: int = 0
    valid: int = 0
    with_errors: int = 0
    warnings: int = 0
    input_problems: int = 0

    @property
    def exit_code(self) -> int:
        if self.input_problems:
            return EXIT_USAGE
        return EXIT_FAILURE if self.with_errors else EXIT_OK


#: the --help epilog of `fhircare validate` (\b keeps the examples' lines as they are)
VALIDATE_EPILOG = (
    "Examples:\n\n\b\n"
    "  fhircare validate patient.json\n"
    "  fhircare validate examples/ extract.ndjson\n"
    "  fhircare validate plan.json -p https://fhir.fhircare.nhs.uk/StructureDefinition/fhircare-care-plan\n"
    "  fhircare validate examples/ --ig ./fhir.r4.ukcore.stu2-2.0.1.tgz --quiet\n"
    "  fhircare validate examples/ --format json > outcomes.json\n\n"
    "JSON output: each OperationOutcome names its input (the file, or file:line"
    " for an NDJSON line) in the extension"
    f" {FILE_EXTENSION_URL} with valueString, as the HL7 validator"
    " does; an input problem's issue carries the operationoutcome-issue-line and"
    " -col extensions.\n\n"
    "Limits (settings, see the README): a .json file's size, an NDJSON line's size, JSON"
    " depth and number size; past one, that input is an input problem naming the limit.\n\n"
    "Exit codes: 0 no errors (warnings allowed); 1 at least one resource has an"
    " error; 2 an input could not be used (missing, unreadable, malformed JSON,"
    " not a FHIR resource, past a limit, nothing found to validate, or an internal"
    " error on it), an --ig or --profile could not be loaded, or the core"
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
    allow_special_files: Annotated[
        bool,
        typer.Option(
            "--allow-special-files",
            help="Read a FIFO or device named on the command line (up to the file-size limit)."
            " Without it such paths are refused; ones found inside folders are never read.",
        ),
    ] = False,
) -> None:
    """Validate FHIR R4 JSON resources against the base specification and profiles.

    Each resource is checked against base R4 (hl7.fhir.r4.core#4.0.1, installed into the package cache on first use), against every profile it claims in meta.profile, and against every --profile. Profiles, extensions and Questionnaires beyond the core ones come from --ig. Runs offline. One unusable file never stops the others: it is reported and the rest are validated.
    """  # noqa: E501 (one line per paragraph: the help reflows it to the terminal)
    from fhircare.validation.inputs import ReadLimits

    settings = _settings(ctx)
    wanted = list(profiles or [])
    limits = ReadLimits.from_settings(settings, allow_special_files=allow_special_files)
    with _errors_reported():
        validator = build_validator(list(igs or []), settings)
        _check_profiles(validator, wanted)
        if output_format is OutputFormat.json:
            tally = _validate_to_json(validator, paths, wanted, limits)
        else:
            tally = _validate_to_text(validator, paths, wanted, limits, quiet=quiet)
    if tally.checked == 0 and tally.input_problems == 0:
        _stderr().print(
            Text(
                "Nothing to validate: no *.json, *.ndjson or *.jsonl file in "
                + ", ".join(str(p) for p in paths)
                + " (folders are searched recursively; hidden files are skipped)."
            )
        )
        raise typer.Exit(EXIT_USAGE)
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
    validator: Validator, paths: list[Path], profiles: list[str], limits: ReadLimits, *, progress: bool
) -> Iterator[tuple[InputItem, ValidationResult | None]]:
    """Each input with its validation result (None for an input problem)."""
    from fhircare.validation.inputs import InputProblem, count_inputs, iter_inputs

    with _progress(count_inputs(paths) if progress else 0) as advance:
        for item in iter_inputs(paths, limits):
            advance(item.path)
            if isinstance(item, InputProblem):
                yield item, None
                continue
            try:
                yield item, _validate_one(validator, item.resource, profiles, item.label)
            except Exception as exc:  # never a traceback: this input is reported, the rest go on
                yield _internal_error(item, exc), None


def _internal_error(item: InputResource, exc: BaseException) -> InputProblem:
    """A validation that failed inside fhircare, as an input problem of that input (exit 2)."""
    from fhircare.errors import InputError
    from fhircare.validation.inputs import InputProblem

    kind = "nested too deeply to validate" if isinstance(exc, RecursionError) else "an internal error"
    error = InputError(
        f"could not be validated: {kind} ({type(exc).__name__}); the other inputs are still validated",
        file=item.path,
        line=item.line,
    )
    return InputProblem.of(item.label, item.path, error)


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


def _resource_count(item: InputItem) -> int:
    """1, or for a Bundle 1 plus its entries' resources (nested Bundles counted through)."""
    stack = [getattr(item, "resource", None)]
    count = 0
    while stack:
        resource = stack.pop()
        if not isinstance(resource, dict):
            continue
        count += 1
        entries = resource.get("entry") if resource.get("resourceType") == "Bundle" else None
        if isinstance(entries, list):
            stack.extend(e.get("resource") for e in entries if isinstance(e, dict))
    return count


def _count(tally: _Tally, item: InputItem, result: ValidationResult | None) -> None:
    if result is None:
        tally.input_problems += 1
        return
    tally.checked += 1
    tally.resources += _resource_count(item)
    tally.warnings += result.warning_count
    if result.valid:
        tally.valid += 1
    else:
        tally.with_errors += 1


def _validate_to_text(
    validator: Validator, paths: list[Path], profiles: list[str], limits: ReadLimits, *, quiet: bool
) -> _Tally:
    out = _stdout()
    tally = _Tally()
    for item, result in _results(validator, paths, profiles, limits, progress=not quiet):
        _count(tally, item, result)
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
    table.add_row("inputs checked", str(tally.checked))
    table.add_row("resources checked (Bundle entries included)", str(tally.resources))
    table.add_row(Text("inputs valid", style="green"), str(tally.valid))
    table.add_row(Text("inputs with errors", style="red" if tally.with_errors else ""), str(tally.with_errors))
    table.add_row(Text("warnings", style="yellow" if tally.warnings else ""), str(tally.warnings))
    table.add_row(
        Text("input problems", style="red" if tally.input_problems else ""),
        str(tally.input_problems),
    )
    return table


def _validate_to_json(validator: Validator, paths: list[Path], profiles: list[str], limits: ReadLimits) -> _Tally:
    """One OperationOutcome for one input, else a Bundle of them, written as they come (so
    memory does not grow with the number of inputs)."""
    import orjson

    tally = _Tally()
    out = sys.stdout
    first: bytes | None = None
    count = 0
    for item, result in _results(validator, paths, profiles, limits, progress=True):
        _count(tally, item, result)
        outcome = cast("InputProblem", item).to_operation_outcome() if result is None else result.to_operation_outcome()
        outcome = {
            "resourceType": "OperationOutcome",
            "extension": [{"url": FILE_EXTENSION_URL, "valueString": item.label}],
            **{k: v for k, v in outcome.items() if k != "resourceType"},
        }
        count += 1
        if count == 1:
            first = orjson.dumps(outcome, option=orjson.OPT_INDENT_2)
            continue
        if count == 2:
            out.write('{\n  "resourceType": "Bundle",\n  "type": "collection",\n  "entry": [\n')
            out.write(_entry(first or b"{}", orjson))
        out.write(",\n" + _entry(orjson.dumps(outcome, option=orjson.OPT_INDENT_2), orjson))
    if count == 1:
        out.write((first or b"").decode() + "\n")
    elif count > 1:
        out.write(f'\n  ],\n  "total": {count}\n}}\n')
    else:
        out.write(
            orjson.dumps(
                {"resourceType": "Bundle", "type": "collection", "total": 0}, option=orjson.OPT_INDENT_2
            ).decode()
            + "\n"
        )
    out.flush()
    return tally


def _entry(outcome: bytes, orjson: Any) -> str:
    """One Bundle entry holding an OperationOutcome, indented to sit in the entry list."""
    inner = outcome.decode().replace("\n", "\n      ")
    return f'    {{\n      "resource": {inner}\n    }}'
