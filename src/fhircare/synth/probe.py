"""Which canonical fields reach FHIR: found by trying, not by a list kept by hand.

Synthetic service users (every scenario) are mapped once; then, for each field of each
record type, the field is changed in a few records (to another value the same field
takes elsewhere in the sample, or flipped, or another code) and the service user is
mapped again. A field whose change never changes a bundle is not carried: a mapping file
that reads it reads something fhircare's FHIR mapping drops (``fhircare mapping check``
lists it, so a learning-disability flag is never dropped unseen). A field no sample gives
a second value for is "not probed", never reported as unused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel

from fhircare.mapping.bundle import map_service_user
from fhircare.mapping.context import MappingContext
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.mapping_schema import TrustMapping
from fhircare.source.records import RECORD_TYPES, record_type_of
from fhircare.synth.directory import build_directory
from fhircare.synth.generate import make_service_user
from fhircare.synth.names import NhsNumbers
from fhircare.synth.scenarios import SCENARIOS

#: how many records of a type are tried per field
_TRIES = 8
_AS_OF = date(2025, 6, 30)


@dataclass(frozen=True)
class FieldUse:
    """The fields whose changes reach the bundles, and those no sample could probe."""

    carried: frozenset[tuple[str, str]]
    not_probed: frozenset[tuple[str, str]]

    def carries(self, record_type: str, field: str) -> bool | None:
        """True or False; None when the field could not be probed (or only finds its
        service user: ``service_user_id``, a parent's id)."""
        rt = RECORD_TYPES[record_type]
        if field == "service_user_id" or (rt.parent is not None and field == rt.parent[1]):
            return None
        if "." in field:  # a DIALOG item's column of the wide form: its rating's field
            record_type, field = "dialog_rating", field.split(".", 1)[0]
        if (record_type, field) in self.not_probed:
            return None
        return (record_type, field) in self.carried


def _sample(count: int) -> list[ServiceUserRecord]:
    directory = build_directory(7, count)
    numbers = NhsNumbers(7)
    return [make_service_user(i, 7, _AS_OF, directory, numbers.take()) for i in range(count)]


def _bundle(record: ServiceUserRecord, context: MappingContext) -> bytes | None:
    try:
        return orjson.dumps(map_service_user(record, context).bundle, option=orjson.OPT_SORT_KEYS)
    except Exception:  # a change the mapping cannot take still shows the field matters
        return None


def _alternatives(value: object, seen: list[object]) -> Iterator[object]:
    """Other values a field could hold: another seen value, a flip, another code."""
    for other in seen:
        if other != value and other is not None:
            yield other
            break
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, StrEnum):
        members = list(type(value))
        yield members[(members.index(value) + 1) % len(members)]
    elif isinstance(value, tuple) and value:
        yield value[:-1] if len(value) > 1 else ()
    elif isinstance(value, date):  # dates and datetimes
        yield value - timedelta(days=3)
    elif isinstance(value, int):
        yield value + 1 if value < 7 else value - 1
    elif isinstance(value, str) and value:
        yield value + " (changed)"


def _replace(record: ServiceUserRecord, old: BaseModel, new: BaseModel) -> ServiceUserRecord:
    rt = record_type_of(old)
    assert rt.collection is not None
    current: Any = getattr(record, rt.collection)
    if rt.collection == "service_user":
        return record.model_copy(update={"service_user": new})
    return record.model_copy(update={rt.collection: tuple(new if item is old else item for item in current)})


_CACHE: dict[tuple[str, int], FieldUse] = {}


def _probe(context: MappingContext, count: int) -> FieldUse:
    sample = _sample(count)
    baselines = [_bundle(record, context) for record in sample]
    carried: set[tuple[str, str]] = set()
    not_probed: set[tuple[str, str]] = set()
    holders: dict[str, list[tuple[int, BaseModel]]] = defaultdict(list)
    for index, record in enumerate(sample):
        for model in record.records():
            holders[record_type_of(model).name].append((index, model))
    _probe_ratings(sample, baselines, context, carried, not_probed)
    for name, rt in RECORD_TYPES.items():
        if rt.collection is None:
            continue
        for field_name, spec in rt.fields.items():
            if not spec.stored or "." in field_name or field_name not in rt.model.model_fields:
                continue
            seen = [getattr(holder, field_name) for _, holder in holders[name]]
            tried = 0
            # records that hold a value first: a field filled only where another field is
            # (an advance statement's summary, a declined DIALOG's reason) shows in those
            filled = sorted(holders[name], key=lambda held: getattr(held[1], field_name) is None)
            for index, holder in filled:
                if tried >= _TRIES or (name, field_name) in carried:
                    break
                value = getattr(holder, field_name)
                for alternative in _alternatives(value, seen):
                    changed = holder.model_copy(update={field_name: alternative})
                    tried += 1
                    if _bundle(_replace(sample[index], holder, changed), context) != baselines[index]:
                        carried.add((name, field_name))
                    break
            if tried == 0:
                not_probed.add((name, field_name))
    return FieldUse(frozenset(carried), frozenset(not_probed))


def _probe_ratings(
    sample: list[ServiceUserRecord],
    baselines: list[bytes | None],
    context: MappingContext,
    carried: set[tuple[str, str]],
    not_probed: set[tuple[str, str]],
) -> None:
    """DIALOG ratings live inside their assessment: each of their fields changed there."""
    found = [(i, a) for i, record in enumerate(sample) for a in record.dialog_assessments if a.ratings]
    for field_name in ("rating", "more_help", "not_rated_reason"):
        seen = [getattr(r, field_name) for _, a in found for r in a.ratings]
        tried = 0
        for index, assessment in found[:_TRIES]:
            rating = next((r for r in assessment.ratings if getattr(r, field_name) is not None), None)
            if rating is None:
                continue
            alternative = next(_alternatives(getattr(rating, field_name), seen), None)
            if alternative is None:
                continue
            tried += 1
            ratings = tuple(
                r.model_copy(update={field_name: alternative}) if r is rating else r for r in assessment.ratings
            )
            changed = assessment.model_copy(update={"ratings": ratings})
            if _bundle(_replace(sample[index], assessment, changed), context) != baselines[index]:
                carried.add(("dialog_rating", field_name))
                break
        if tried == 0:
            not_probed.add(("dialog_rating", field_name))


def field_use(mapping: TrustMapping, *, count: int = 2 * len(SCENARIOS)) -> FieldUse:
    """Which canonical fields fhircare's FHIR mapping carries (cached per trust)."""
    key = (mapping.trust.model_dump_json(), count)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = _probe(MappingContext.from_mapping(mapping, as_of=_AS_OF), count)
    return found
