"""Property tests: any valid record survives a trip through either layout; readers never
raise, whatever the bytes."""

from __future__ import annotations

import string
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.source.codes import Gender, NhsNumberStatus
from fhircare.source.common import nhs_check_digit
from fhircare.source.local_codes import CommunicationNeed, EthnicCategory
from fhircare.source.mapping_file import TrustMapping
from fhircare.source.results import Accepted, Rejected
from fhircare.source.service_user import ServiceUser
from fhircare.synth import synthesise
from fhircare.synth.writer import LayoutError, LayoutWriter
from tests.unit.source.conftest import read_all

#: layouts that can carry any valid record (the Welsh PAS layout cannot: cp1252, split forenames)
LOSSLESS = ("rio-like", "systmone-like")
#: what a name or free text may hold: letters of any script, digits, punctuation, spaces
_CHARACTERS = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
#: composed (NFC), as the reader gives text back (``convert.clean_text``: a decomposed name
#: is read composed, which tests/unit/source/test_readers.py proves on its own)
labels = (
    st.text(_CHARACTERS, min_size=1, max_size=40)
    .map(lambda text: unicodedata.normalize("NFC", text).strip())
    .filter(bool)
)
ids = st.text(string.ascii_letters + string.digits + "-._/", min_size=1, max_size=20)
nhs_numbers = (
    st.text("0123456789", min_size=9, max_size=9)
    .map(lambda nine: (nine, nhs_check_digit(nine)))
    .filter(lambda pair: pair[1] is not None)
    .map(lambda pair: f"{pair[0]}{pair[1]}")
    .filter(lambda number: len(set(number)) > 1)  # every digit the same: a placeholder, refused
)
service_users = st.builds(
    ServiceUser,
    service_user_id=ids,
    nhs_number=nhs_numbers,
    nhs_number_status=st.sampled_from(NhsNumberStatus),
    family_name=labels,
    given_name=labels,
    other_given_names=st.none() | labels,
    title=st.none() | labels,
    birth_date=st.dates(date(1900, 1, 1), date(2025, 6, 30)),
    gender=st.sampled_from(Gender),
    ethnic_category=st.none() | st.sampled_from(EthnicCategory),
    religion=st.none() | labels,
    address_line=st.none() | labels,
    preferred_language=st.sampled_from(("en", "cy", "pl", "en-GB")),
    interpreter_required=st.booleans(),
    communication_needs=st.lists(st.sampled_from(CommunicationNeed), unique=True, max_size=3).map(tuple),
    learning_disability=st.none() | st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_valid_row_maps_into_the_model(layouts: dict[str, TrustMapping], data: st.DataObject) -> None:
    """A valid service user, written as a row of each layout (its codes, date formats, key
    paths), reads back equal: names with commas, quotes or any script included."""
    su = data.draw(service_users)
    for mapping in layouts.values():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            writer = LayoutWriter(mapping, folder, "1")
            try:
                writer.write("service_user", su, su.service_user_id)
            except LayoutError:
                # a layout may be unable to carry a value (a space in a given name where
                # forenames are split on spaces, a character cp1252 lacks): refused, never
                # written wrong. The two lossless layouts carry every valid record.
                assert mapping.name not in LOSSLESS
                continue
            writer.close()
            read = read_all(folder, mapping)
            assert read.accepted[su.service_user_id].service_user == su, mapping.name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), patients=st.integers(1, 4))
def test_any_synthetic_record_round_trips_through_both_layouts(
    layouts: dict[str, TrustMapping], seed: int, patients: int
) -> None:
    """Every record type, with realistic variety: written, read back, equal."""
    for mapping in layouts.values():
        with tempfile.TemporaryDirectory() as tmp:
            kept: list[object] = []
            synthesise(mapping, Path(tmp) / "x", patients=patients, seed=seed, keep=kept.append)
            read = read_all(Path(tmp) / "x", mapping)
            assert read.rejected == {} and read.file_problems == []
            assert list(read.accepted.values()) == kept


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(
        (
            "RiO_Clients_1.csv",
            "RiO_CarePlan_Goals_1.csv",
            "ESR_Staff_1.jsonl",
            "patients.jsonl",
            "care_plan_items.jsonl",
            "consents.csv",
        )
    ),
    garbage=st.binary(max_size=600) | st.text(max_size=300).map(str.encode),
    keep_header=st.booleans(),
)
def test_readers_never_raise_on_arbitrary_bytes(
    layouts: dict[str, TrustMapping], target: str, garbage: bytes, keep_header: bool
) -> None:
    mapping = layouts["systmone-like" if target[0].islower() else "rio-like"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        synthesise(mapping, folder / "x", patients=2, seed=1)
        path = next((folder / "x").glob(target.replace("_1.", "_*.")))
        if keep_header and path.suffix == ".csv":
            header = path.read_bytes().splitlines(keepends=True)[0]
            path.write_bytes(header + garbage)
        else:
            path.write_bytes(garbage)
        read = read_all(folder / "x", mapping)
        for result in read.results:
            assert isinstance(result, Accepted | Rejected)
        for problem in [*read.file_problems, *read.unattributed]:
            assert problem.file and problem.reason


@given(
    scores=st.lists(st.integers(1, 7), min_size=1, max_size=11),
    extra=st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=3),
)
def test_a_key_path_reads_arrays_by_position(scores: list[int], extra: dict[str, int]) -> None:
    # a JSON Lines record holding its DIALOG ratings as an array: scores.N.score is the
    # (N+1)th rating, past the end is missing (a reviewer's layout read every one as missing)
    from fhircare.source.rows import lookup

    row = {**extra, "scores": [{"score": s} for s in scores]}
    assert [lookup(row, ("scores", str(n), "score")) for n in range(len(scores))] == scores
    assert lookup(row, ("scores", str(len(scores)), "score")) is None
    assert lookup(row, ("scores", "first", "score")) is None
    assert lookup({"a.b": 1}, ("a", "b")) == 1  # a CSV column named with a dot, read whole
