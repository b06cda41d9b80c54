"""Mapping an extract's service users one by one: the records a reader accepted are
checked for consistency, mapped, and (optionally) validated against the profiles; any
problem at any step rejects the service user whole, with the file, line and field to
blame. No I/O: the caller reads the extract and writes what comes out.

::

    with read_extract(folder, mapping) as extract:
        for outcome in map_results(extract, mapping, context, validator):
            if outcome.mapped is not None:
                write(outcome.mapped.bundle)
            else:
                report(outcome.problems)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from fhircare.mapping.bundle import MappedBundle, map_service_user
from fhircare.mapping.consistency import check_consistency
from fhircare.mapping.context import MappingContext
from fhircare.source.mapping_schema import TrustMapping
from fhircare.source.results import Accepted, Problem, ReadResult
from fhircare.validation.engine import Validator

#: why a service user was rejected: their rows, their records' consistency, or the FHIR
Stage = Literal["read", "consistency", "validation"]

_ENTRY = re.compile(r"^Bundle\.entry\[(\d+)\]")
#: a validator's issues about one bundle, at most this many reported
_MAX_VALIDATION_PROBLEMS = 20


@dataclass(frozen=True)
class MapOutcome:
    """One service user: their bundle, or the problems that rejected them and at which stage."""

    service_user_id: str
    mapped: MappedBundle | None
    problems: tuple[Problem, ...] = ()
    stage: Stage | None = None


def map_results(
    results: Iterable[ReadResult],
    mapping: TrustMapping,
    context: MappingContext,
    validator: Validator | None = None,
) -> Iterator[MapOutcome]:
    """An outcome for every service user the reader gives, in the reader's order."""
    for result in results:
        if not isinstance(result, Accepted):
            yield MapOutcome(result.service_user_id, None, result.problems, "read")
            continue
        su = result.service_user_id
        inconsistencies = check_consistency(result.record, context.as_of)
        if inconsistencies:
            problems = tuple(sorted({i.to_problem(mapping, su) for i in inconsistencies}, key=Problem.sort_key))
            yield MapOutcome(su, None, problems, "consistency")
            continue
        mapped = map_service_user(result.record, context)
        if validator is not None:
            problems = validation_problems(mapped, validator)
            if problems:
                yield MapOutcome(su, None, problems, "validation")
                continue
        yield MapOutcome(su, mapped)


def validation_problems(mapped: MappedBundle, validator: Validator) -> tuple[Problem, ...]:
    """The errors the validator finds in a bundle, each charged to the row of the record
    the failing resource was made from."""
    result = validator.validate(mapped.bundle)
    problems = []
    for issue in result.issues:
        if not issue.is_error:
            continue
        match = _ENTRY.match(issue.expression)
        source = mapped.sources[int(match.group(1))] if match else mapped.sources[0]
        origin = source.origin
        problems.append(
            Problem(
                origin.file if origin else "",
                origin.line if origin else None,
                None,
                f"the FHIR made from this row does not validate: {issue.expression}: {issue.text}",
                target=issue.expression,
                service_user_id=mapped.service_user_id,
            )
        )
        if len(problems) == _MAX_VALIDATION_PROBLEMS:
            break
    return tuple(problems)
