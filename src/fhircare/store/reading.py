"""Reading an extract into the record store: the reader (``fhircare.source.reader``) and a
:class:`~fhircare.store.load.Loader` together, under the store's load lock.

Service users whose extract rows hash as at the last load are skipped before they are
read into records (``Loader.unchanged_rows``); the others are read, mapped and stored one
at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from fhircare.source.limits import ReadLimits
from fhircare.source.results import Problem
from fhircare.store.load import Loader, LoadRequest, LoadSummary
from fhircare.validation.engine import Validator


@dataclass
class ExtractReport:
    """What reading the extract found beyond each service user: root causes (a missing file
    or column: the first thing to fix), rows a rule of the mapping file ignored, optional
    files that were absent."""

    usable: bool = False
    causes: list[str] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    absent_optional: list[str] = field(default_factory=list)


def load_extract(
    engine: Engine,
    request: LoadRequest,
    validator: Validator | None,
    *,
    workdir: Path | None = None,
    limits: ReadLimits | None = None,
    on_problem: Callable[[Problem, str], None] = lambda _p, _s: None,
    on_rows: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_service_user: Callable[[], None] | None = None,
) -> tuple[LoadSummary, ExtractReport]:
    """Load one extract (holding the store's load lock). Returns the summary and what
    reading found; an unusable extract (a file the mapping needs is missing or unreadable)
    changes nothing the store holds and ends no one."""
    from fhircare.source.reader import read_extract
    from fhircare.store.locks import LOAD, store_lock

    report = ExtractReport()
    with store_lock(engine, LOAD):
        loader = Loader(engine, request, validator, on_problem=on_problem)
        loader.start()
        complete = False
        try:
            with read_extract(
                request.extract_dir, request.mapping, workdir=workdir, on_rows=on_rows, limits=limits
            ) as source:
                for problem in [*source.file_problems, *source.directory_problems]:
                    on_problem(problem, "read")
                if on_total is not None:
                    on_total(source.service_user_count())
                if not source.unusable:
                    unchanged = loader.unchanged_rows(source.row_digests())
                    if on_service_user is not None:
                        for _ in unchanged:
                            on_service_user()
                    for result in source.results(skip=unchanged):
                        loader.load_one(result)
                        if on_service_user is not None:
                            on_service_user()
                for problem in source.unattributed_problems():
                    on_problem(problem, "read")
                complete = not source.unusable
                report.causes = list(dict.fromkeys(str(p) for p in source.file_problems))
                report.ignored = dict(source.ignored)
                report.absent_optional = [str(p) for p in source.absent_optional]
        finally:
            summary = loader.finish(complete=complete)
    report.usable = complete
    return summary, report
