"""The NHS number modulus 11 check, as a function and as the validator on the field."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from fhircare.source.codes import Gender, NhsNumberStatus
from fhircare.source.common import nhs_check_digit, nhs_number_problem
from fhircare.source.service_user import ServiceUser
from fhircare.synth.names import NhsNumbers

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def person(nhs_number: str) -> ServiceUser:
    return ServiceUser(
        service_user_id="P1",
        nhs_number=nhs_number,
        nhs_number_status=NhsNumberStatus.VERIFIED,
        family_name="Sample",
        given_name="Alex",
        birth_date=date(1985, 4, 12),
        gender=Gender.OTHER,
    )


@pytest.mark.parametrize("number", ["9990000018", "9990000026", "9434765919", "4010232137"])
def test_published_and_example_numbers_pass(number: str) -> None:
    assert nhs_number_problem(number) is None
    assert person(number).nhs_number == number


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("9990000019", "check digit does not match"),
        ("999000001", "ten digits"),
        ("99900000188", "ten digits"),
        ("999000001X", "ten digits"),
        ("999 000 0018", "ten digits"),
        # fifth layout trial: ten digits as EPRs show them; "has ten digits" alone read as wrong
        ("999 000 0018", "this one holds spaces or dashes"),
        ("999-000-0018", "this one holds spaces or dashes"),
        ("９９９０００００１８", "ten digits"),  # full-width digits are not ASCII digits
        ("0000000060", "no check digit is possible"),  # 6 x 2 = 12, remainder 1: no valid check digit
        # modulus 11 passes every digit repeated ten times; none is issued (an EPR's placeholder)
        ("0000000000", "a placeholder"),
        ("9999999999", "a placeholder"),
    ],
)
def test_invalid_numbers_say_why(number: str, reason: str) -> None:
    problem = nhs_number_problem(number)
    assert problem is not None and reason in problem
    with pytest.raises(ValidationError, match=reason):
        person(number)


@given(nine_digits)
def test_the_computed_check_digit_is_the_only_valid_one(first_nine: str) -> None:
    check = nhs_check_digit(first_nine)
    for digit in range(10):
        number = f"{first_nine}{digit}"
        valid = nhs_number_problem(number) is None
        assert valid == (digit == check and len(set(number)) > 1)


def test_synthetic_numbers_are_valid_distinct_and_in_the_test_range() -> None:
    numbers = NhsNumbers(seed=5)
    taken = [numbers.take() for _ in range(500)]
    assert len(set(taken)) == 500
    assert all(n.startswith("999") and nhs_number_problem(n) is None for n in taken)
    again = NhsNumbers(seed=5)
    assert [again.take() for _ in range(500)] == taken
