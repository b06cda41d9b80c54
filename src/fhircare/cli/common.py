"""What every fhircare command shares: exit codes, consoles, settings, error reporting."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import structlog
import typer
from rich.console import Console
from rich.text import Text

from fhircare.errors import (
    DefinitionError,
    FhircareError,
    InputError,
    MappingFileError,
    PackageError,
    StoreError,
    TargetError,
    UsageError,
)
from fhircare.settings import Settings
from fhircare.validation.packages import CORE_PACKAGE, PackageCache

if TYPE_CHECKING:
    from fhircare.validation.api import Validator

EXIT_OK = 0
#: the command ran and reports a failure (a package that could not be installed, ...)
EXIT_FAILURE = 1
#: the command could not run: bad arguments or settings, unreadable or missing files
EXIT_USAGE = 2


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


#: the width of output that goes to a file, a pipe or a scheduler's log rather than a
#: terminal (rich would take 80 and cut the tables' file names, fields and reasons short
#: with an ellipsis); COLUMNS, when set, still decides
PIPED_WIDTH = 160


def _console(*, stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    piped = not _is_terminal(stream) and not os.environ.get("COLUMNS")
    return Console(stderr=stderr, highlight=False, emoji=False, soft_wrap=True, width=PIPED_WIDTH if piped else None)


def as_of_day(text: str | None) -> date:
    """The day an --as-of option names (today when not given)."""
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text}: not a date (YYYY-MM-DD)") from None


def _is_terminal(stream: Any) -> bool:
    """A closed stream (``>&-``: None, or a file that refuses) is no terminal, never a traceback."""
    try:
        return stream is not None and bool(stream.isatty())
    except (ValueError, OSError):
        return False


def _stdout() -> Console:
    return _console(stderr=False)


def _stderr() -> Console:
    return _console(stderr=True)


def progress_bar() -> Any:
    """A rich progress bar on stderr (description, bar, done of total, time left) that
    clears itself when done. Callers show it only when stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_stderr(),
        transient=True,
    )


def exit_code_for(error: BaseException) -> int:
    """The exit code a command ends with when ``error`` stops it."""
    if isinstance(error, InputError | OSError | StoreError | TargetError):
        return EXIT_USAGE
    return EXIT_FAILURE


def _fail(message: str, code: int) -> NoReturn:
    _stderr().print(Text.assemble(("error: ", "bold red"), message))
    raise typer.Exit(code)


@contextlib.contextmanager
def _errors_reported() -> Iterator[None]:
    """Report a FhircareError or OSError as one line on stderr (a mapping file's every
    problem, one per line) and exit with its code."""
    try:
        yield
    except MappingFileError as exc:
        console = _stderr()
        for line in exc.lines():
            console.print(Text.assemble(("error: ", "bold red"), line))
        raise typer.Exit(exit_code_for(exc)) from None
    except FhircareError as exc:
        _fail(str(exc), exit_code_for(exc))
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _fail(f"{exc.strerror or type(exc).__name__}{where}", exit_code_for(exc))


@contextlib.contextmanager
def no_traceback(what: str) -> Iterator[None]:
    """An error fhircare did not foresee ends the command with one clear line and exit
    code 2, never a traceback. The debug log names where it happened (file and line of
    fhircare's code), never the exception's message, which could quote personal data."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit, FhircareError, OSError):
        raise  # foreseen: _errors_reported (outside this block) reports them
    except MemoryError:
        _fail(f"{what} ran out of memory", EXIT_USAGE)
    except Exception as exc:
        import traceback

        frames = traceback.extract_tb(exc.__traceback__)
        where = [f"{Path(f.filename).name}:{f.lineno}" for f in frames[-3:]]
        structlog.get_logger("fhircare").debug("internal error", error=type(exc).__name__, at=where)
        _fail(f"{what} stopped on an internal error ({type(exc).__name__}); please report it", EXIT_USAGE)


def build_validator(igs: list[Path], settings: Settings, *, today: date | None = None) -> Validator:
    """The validator over the core package (installed on first use), fhircare's
    profiles and ``igs``, judging invariants as of ``today`` (None: the machine's date); a
    problem building it ends the command with exit code 2."""
    from fhircare.validation.api import Validator

    for ig in igs:
        if not ig.exists():
            _fail(f"--ig {ig}: no such folder or .tgz", EXIT_USAGE)
    cache = PackageCache.from_settings(settings)
    try:
        if not cache.is_installed(CORE_PACKAGE):
            with _stderr().status(Text(f"Installing {CORE_PACKAGE} (first run)")) as status:
                cache.install(CORE_PACKAGE, on_step=lambda step: status.update(Text(step)))
        validator = Validator.create(igs, settings=settings, cache=cache)
        validator.today = today
        return validator
    except (PackageError, DefinitionError) as exc:
        # The validator cannot be built: nothing to validate with (a usage/I-O problem).
        _fail(str(exc), EXIT_USAGE)


#: ``--layout NAME``: a shipped layout, instead of ``--mapping FILE`` (map, load, run, synth)
LayoutOption = Annotated[
    str | None,
    typer.Option(
        "--layout",
        metavar="NAME",
        help="A shipped layout: the mapping file mappings/NAME.yaml (instead of --mapping).",
        show_default=False,
    ),
]


def layout_path(settings: Settings, name: str) -> Path:
    """The mapping file a --layout name refers to (``<mappings_dir>/<name>.yaml``)."""
    from fhircare.source.mapping_file import shipped_layouts

    folder = settings.mappings_dir
    if folder is None:
        raise UsageError("no mappings folder: set FHIRCARE_MAPPINGS_DIR")
    path = folder / f"{name}.yaml"
    if "/" in name or "\\" in name or not path.is_file():
        known = ", ".join(shipped_layouts(folder)) or "none"
        raise UsageError(f"--layout {name}: no such layout in {folder} (layouts: {known})")
    return path


def mapping_path(settings: Settings, layout: str | None, mapping_file: Path | None) -> Path:
    """The mapping file of ``--layout NAME`` or ``--mapping FILE`` (exactly one is given)."""
    if (layout is None) == (mapping_file is None):
        raise UsageError("give either --layout NAME or --mapping FILE")
    return mapping_file if mapping_file is not None else layout_path(settings, str(layout))
