"""Excel serial dates: an export re-saved from a spreadsheet writes 1 July 2024 as 45474
(and 14:30 that day as 45474.604166...). No strftime format reads them, so every such row
was refused (a residual of the layout trials, listed under mappings/README "What a mapping
file cannot say"). A date or date-and-time column may now give the format ``excel``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhircare.source.convert import EXCEL_SERIAL, ConversionProblem, format_date, parse_date, parse_datetime
from fhircare.source.mapping_columns import format_problem

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("serial", "day"),
    [
        ("45474", date(2024, 7, 1)),
        ("45474.75", date(2024, 7, 1)),  # the time of day does not move the date
        ("61", date(1900, 3, 1)),  # the first day after Excel's 29 February 1900
        ("36526", date(2000, 1, 1)),
        ("2958465", date(9999, 12, 31)),
    ],
)
def test_a_serial_is_the_day_excel_shows(serial: str, day: date) -> None:
    assert parse_date(serial, [EXCEL_SERIAL]) == day


@pytest.mark.parametrize(
    "refused",
    ["60", "1", "0", "2958466", "-45474", "45474,5", "4.5474E4", "45 474", "1/7/2024", "45474."],
)
def test_what_is_not_a_serial_from_march_1900_is_a_problem(refused: str) -> None:
    """Serials below 61 count Excel's 29 February 1900, which never was: a date there is
    not one a care record holds, and reading it a day out would be wrong silently."""
    with pytest.raises(ConversionProblem, match=r"excel \(a spreadsheet.s serial day number from 61, such as 45998\)"):
        parse_date(refused, [EXCEL_SERIAL])


def test_a_date_and_time_reads_the_fraction_to_the_second_in_the_trusts_zone() -> None:
    assert parse_datetime("45474.604166666664", [EXCEL_SERIAL], LONDON).isoformat() == "2024-07-01T14:30:00+01:00"
    assert parse_datetime("45292.5", [EXCEL_SERIAL], LONDON).isoformat() == "2024-01-01T12:00:00+00:00"
    # a whole day where a time is wanted is a date without a time, never midnight invented
    with pytest.raises(ConversionProblem):
        parse_datetime("45474", [EXCEL_SERIAL], LONDON)


def test_a_serial_written_in_utc_is_the_trusts_day() -> None:
    """23:45 UTC on 1 July is 00:45 on 2 July in London (the column says ``timezone: UTC``)."""
    assert parse_date("45474.989583", [EXCEL_SERIAL], LONDON, ZoneInfo("UTC")) == date(2024, 7, 2)
    assert parse_date("45474.989583", [EXCEL_SERIAL], LONDON) == date(2024, 7, 1)


def test_excel_is_a_format_a_mapping_file_may_give() -> None:
    assert format_problem(EXCEL_SERIAL, "date") is None
    assert format_problem(EXCEL_SERIAL, "datetime") is None
    assert format_problem("exel", "date") is not None


@given(st.dates(min_value=date(1900, 3, 1)))
def test_a_date_written_as_a_serial_reads_back(day: date) -> None:
    assert parse_date(format_date(day, EXCEL_SERIAL), [EXCEL_SERIAL]) == day


@given(st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 30)))
def test_a_date_and_time_written_as_a_serial_reads_back_to_the_second(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    written = format_date(moment, EXCEL_SERIAL)
    if "." not in written:  # midnight: Excel writes the whole day, read as a date only
        assert parse_date(written, [EXCEL_SERIAL]) == moment.date()
        return
    read = parse_datetime(written, [EXCEL_SERIAL], UTC)
    assert abs(read.replace(tzinfo=None) - moment) <= timedelta(seconds=1)


def test_a_mapping_reads_a_column_of_serials(tmp_path: Path) -> None:
    from fhircare.errors import MappingFileError
    from fhircare.source.mapping_file import load_mapping
    from tests.unit.source.conftest import read_all
    from tests.unit.source.test_readers import PLANS, TINY

    mapping_path = tmp_path / "tiny.yaml"
    mapping_path.write_text(
        TINY.replace("      birth_date: DOB\n", "      birth_date: {column: DOB, formats: [excel]}\n")
    )
    folder = tmp_path / "extract"
    folder.mkdir()
    clients = (
        "ID,NHS,SURNAME,FORENAME,DOB,SEX\nP1,9990000018,Sample,Alex,31149,M\nP2,9990000026,Test,Jamie,12/04/1985,U\n"
    )
    (folder / "clients_1.csv").write_text(clients, encoding="utf-8")
    (folder / "plans.csv").write_text(PLANS, encoding="utf-8")
    read = read_all(folder, load_mapping(mapping_path))
    assert read.accepted["P1"].service_user.birth_date == date(1985, 4, 12)
    assert "P2" not in read.accepted  # a date in another format in a column of serials is a problem of its row
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(TINY.replace("      birth_date: DOB\n", "      birth_date: {column: DOB, formats: [exel]}\n"))
    with pytest.raises(MappingFileError, match=r"birth_date\.formats"):
        load_mapping(wrong)
