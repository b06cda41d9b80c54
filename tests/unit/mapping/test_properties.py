"""Property tests of the mapping: any valid, consistent record maps without crashing, to
a bundle that validates against fhircare's profiles with zero errors, that fhir.resources
parses, and whose ids depend on nothing but the records' identifiers.

Records come from the synthetic generator (any seed, any scenario), then have their
service user and free text replaced by arbitrary values: names and text in any script,
with markup characters, apostrophes and ampersands that the narrative must escape.
"""

from __future__ import annotations

from datetime import date, timedelta

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fhircare.mapping import MappingContext, ResourceKey, as_models, check_consistency, map_service_user
from fhircare.mapping.consistency import care_dates
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.codes import Gender, NhsNumberStatus
from fhircare.source.common import nhs_check_digit
from fhircare.source.local_codes import CommunicationNeed, ReasonableAdjustmentKind
from fhircare.source.mapping_file import TrustMapping
from fhircare.source.service_user import ReasonableAdjustment
from fhircare.synth import DEFAULT_AS_OF, SCENARIOS
from fhircare.synth.directory import build_directory
from fhircare.synth.generate import make_service_user
from fhircare.validation.api import Validator
from tests.unit.mapping.conftest import errors

_CHARACTERS = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
#: what a person may write: any script, with the characters markup cares about
texts = st.text(_CHARACTERS | st.sampled_from("<>&'\"/"), min_size=1, max_size=60).map(str.strip).filter(bool)
nhs_numbers = (
    st.text("0123456789", min_size=9, max_size=9)
    .map(lambda nine: (nine, nhs_check_digit(nine)))
    .filter(lambda pair: pair[1] is not None)
    .map(lambda pair: f"{pair[0]}{pair[1]}")
    .filter(lambda number: len(set(number)) > 1)  # every digit the same: a placeholder, refused
)


@st.composite
def records(draw: st.DrawFn) -> ServiceUserRecord:
    seed = draw(st.integers(0, 10_000))
    index = draw(st.integers(0, len(SCENARIOS) - 1))
    nhs = draw(nhs_numbers)
    record = make_service_user(index, seed, DEFAULT_AS_OF, build_directory(seed, 1), nhs)
    # consistent: born before any date of their care (a date before it is a problem)
    born = draw(st.dates(date(1910, 1, 1), min(date(2010, 12, 31), *(day for _, _, day in care_dates(record)))))
    su = record.service_user.model_copy(
        update={
            "family_name": draw(texts),
            "given_name": draw(texts),
            "other_given_names": draw(st.none() | texts),
            "title": draw(st.none() | texts),
            "gender": draw(st.sampled_from(Gender)),
            "birth_date": born,
            # consistent: not before birth, not after the day of the run
            "date_of_death": draw(st.none() | st.dates(born, DEFAULT_AS_OF)),
            # a deceased flag, with or without the date (never "not died" beside a date)
            "deceased": draw(st.sampled_from((None, True))),
            "nhs_number": draw(st.none() | st.just(nhs)),
            "address_line": draw(st.none() | texts),
            "preferred_language": draw(st.sampled_from((None, "en", "cy", "pl", "en-GB"))),
            "interpreter_required": draw(st.booleans()),
            "communication_needs": tuple(draw(st.lists(st.sampled_from(CommunicationNeed), unique=True, max_size=3))),
        }
    )
    if su.nhs_number is None:
        su = su.model_copy(update={"nhs_number_status": NhsNumberStatus.NOT_PRESENT})
    plans = tuple(
        p.model_copy(update={"title": draw(st.none() | texts), "description": draw(st.none() | texts)})
        for p in record.care_plans
    )
    goals = tuple(g.model_copy(update={"description": draw(texts)}) for g in record.goals)
    actions = tuple(a.model_copy(update={"description": draw(texts)}) for a in record.actions)
    contacts = tuple(
        c if c.is_anonymous else c.model_copy(update={"family_name": draw(texts), "given_name": draw(texts)})
        for c in record.contacts
    )
    # consistent: two named contacts with one person's names (case and spacing aside), one of
    # them not to be involved, are that person under a second id (a consistency problem)
    names = [(_folded(c.family_name), _folded(c.given_name)) for c in contacts if not c.is_anonymous]
    assume(len(names) == len(set(names)))
    # reasonable adjustments in any words (markup too), coded or not, for any condition
    coded = st.sampled_from([k for k in ReasonableAdjustmentKind if k is not ReasonableAdjustmentKind.OTHER])
    adjustments = []
    for n in range(draw(st.integers(0, 2))):
        words = draw(st.none() | texts)
        adjustments.append(
            ReasonableAdjustment(
                reasonable_adjustment_id=f"RA{n}",
                service_user_id=su.service_user_id,
                start_date=draw(st.dates(max(born, date(2000, 1, 1)), DEFAULT_AS_OF)),  # not before birth
                adjustment=words,
                adjustment_code=draw(st.sampled_from(ReasonableAdjustmentKind) | st.none())
                if words is not None
                else draw(coded),
                condition=draw(st.none() | texts),
            )
        )
    return record.model_copy(
        update={
            "service_user": su,
            "care_plans": plans,
            "goals": goals,
            "actions": actions,
            "contacts": contacts,
            "reasonable_adjustments": tuple(adjustments),
        }
    )


def _folded(name: str | None) -> str | None:
    return " ".join(name.casefold().split()) if name else None


def _context(layouts: dict[str, TrustMapping], as_of: date) -> MappingContext:
    return MappingContext.from_mapping(layouts["rio-like"], as_of=as_of)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(record=records())
def test_any_consistent_record_maps_to_a_valid_bundle(
    record: ServiceUserRecord, layouts: dict[str, TrustMapping], profiles_validator: Validator
) -> None:
    assert check_consistency(record, DEFAULT_AS_OF) == []
    mapped = map_service_user(record, _context(layouts, DEFAULT_AS_OF))
    assert errors(profiles_validator.validate(mapped.bundle)) == []
    parsed = as_models(mapped)  # fhir.resources R4B accepts every resource too
    assert len(parsed.entry) == len(mapped.bundle["entry"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=records(), days=st.integers(0, 400))
def test_ids_depend_only_on_identifiers(record: ServiceUserRecord, days: int, layouts: dict[str, TrustMapping]) -> None:
    """Mapping is a pure function, and every id is derived from its business identifier:
    mapping again, or as of another day, gives the same ids; no two resources share one."""
    first = map_service_user(record, _context(layouts, DEFAULT_AS_OF))
    again = map_service_user(record, _context(layouts, DEFAULT_AS_OF))
    assert orjson.dumps(first.bundle) == orjson.dumps(again.bundle)
    later = map_service_user(record, _context(layouts, DEFAULT_AS_OF + timedelta(days=days)))
    ids = [e["resource"]["id"] for e in first.bundle["entry"]]
    assert ids == [e["resource"]["id"] for e in later.bundle["entry"]]
    assert len(set(ids)) == len(ids)
    for entry in first.bundle["entry"]:
        resource, request = entry["resource"], entry["request"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        if resource["resourceType"] == "Provenance":
            assert request == {"method": "PUT", "url": f"Provenance/{resource['id']}"}
            continue
        system, value = request["url"].split("?identifier=", 1)[1].split("|", 1)
        assert ResourceKey(resource["resourceType"], system, value).id == resource["id"]
