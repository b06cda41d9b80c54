"""The usual date-and-time formats are read without strptime (convert._DMY_TIMES): they
must accept and refuse exactly what strptime, held to the format exactly, does."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from fhircare.source import convert

_DIGITS = st.sampled_from("0123456789")
_PARTS = st.text(st.one_of(_DIGITS, st.sampled_from("/: ٠١x")), max_size=3)


def _strict(text: str, fmt: str) -> datetime | str:
    try:
        return convert._strptime(text, fmt)
    except ValueError:
        return "refused"


def _fast(text: str, fmt: str) -> datetime | str:
    try:
        return convert._read_datetime(text, fmt)
    except ValueError:
        return "refused"


@given(
    st.tuples(
        st.text(_DIGITS, min_size=1, max_size=3),
        st.text(_DIGITS, min_size=1, max_size=3),
        st.text(_DIGITS, min_size=3, max_size=5),
        st.text(_DIGITS, min_size=1, max_size=3),
        st.text(_DIGITS, min_size=1, max_size=3),
        st.text(_DIGITS, min_size=1, max_size=3),
        _PARTS,
    ),
    st.sampled_from(sorted(convert._DMY_TIMES)),
)
def test_the_fast_formats_read_as_strptime_does(parts: tuple[str, ...], fmt: str) -> None:
    day, month, year, hour, minute, second, noise = parts
    texts = [
        f"{day}/{month}/{year} {hour}:{minute}",
        f"{day}/{month}/{year} {hour}:{minute}:{second}",
        f"{day}/{month}/{year} {hour}:{minute}{noise}",
    ]
    for text in texts:
        assert _fast(text, fmt) == _strict(text, fmt), text


def test_some_known_answers() -> None:
    fmt = "%d/%m/%Y %H:%M"
    assert convert._read_datetime("29/02/2024 23:59", fmt) == datetime(2024, 2, 29, 23, 59)
    for refused in ("29/02/2023 10:00", "01/01/2024 24:00", "1/01/2024 10:00", "٠١/٠١/٢٠٢٤ 10:00"):
        assert _fast(refused, fmt) == "refused" == _strict(refused, fmt)
