from __future__ import annotations

import datetime as dt

import pytest

from domain.dates import add_years, parse_typed_date
from domain.errors import InputError
from domain.subsidy import compute_subsidy, subsidy_table_from_dict
from domain.uscc import check_character, check_uscc


@pytest.mark.parametrize(("honours", "paid", "expected"), [
    (["national", "city"], 10000, ("national", 30000, 20000)),
    (["city"], 0, ("city", 10000, 10000)),
    (["provincial"], 0, ("provincial", 20000, 20000)),
    (["city", "provincial"], 10000, ("provincial", 20000, 10000)),   # 差额补齐
    (["provincial", "national"], 20000, ("national", 30000, 10000)),
    (["national"], 30000, ("national", 30000, 0)),
    (["city"], 15000, ("city", 10000, 0)),                          # overpaid: nothing due
    ([], 0, (None, 0, 0)),
])
def test_subsidy_highest_honour_topped_up(subsidy_table, honours, paid, expected):
    result = compute_subsidy(subsidy_table, honours, paid)
    assert (result.highest, result.entitled, result.due) == expected
    assert result.paid == paid


@pytest.mark.parametrize(("honours", "paid", "field"), [
    (["gold"], 0, "honours"), (["city"], -1, "paid"), (["city"], 1.5, "paid"),
])
def test_subsidy_bad_input(subsidy_table, honours, paid, field):
    with pytest.raises(InputError) as err:
        compute_subsidy(subsidy_table, honours, paid)
    assert err.value.field == field


def test_district_matching_is_an_optional_data_addition():
    table = subsidy_table_from_dict({
        "level": [{"id": "city", "amount": 10000, "label": {"zh": "市级"}, "short": {"zh": "市"}}],
        "district": {"崂山区": {"matching": {"city": 3000}}},
    })
    assert compute_subsidy(table, ["city"], 0, "崂山区").district_matching == 3000
    assert compute_subsidy(table, ["city"], 0).district_matching is None
    with pytest.raises(InputError):
        compute_subsidy(table, ["city"], 0, "市南区")


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L",
                                  "12100000400000624D", "  91350100m000100y43 "])
def test_valid_credit_codes(code):
    assert check_uscc(code) == code.strip().upper()


@pytest.mark.parametrize(("code", "problem"), [
    ("91350100M000100Y44", "uscc_check"),
    ("91350100M000100Y4", "uscc_length"),
    ("91350100M00010OY43", "uscc_chars"),   # letter O is not used
    ("9135A100M000100Y43", "uscc_region"),
])
def test_invalid_credit_codes_say_why(code, problem):
    with pytest.raises(InputError) as err:
        check_uscc(code)
    assert err.value.code == problem


def test_check_character_of_every_prefix_round_trips():
    prefix = "91370200MA3C0XYZ1"[:17].replace("Z", "2")
    check_uscc(prefix + check_character(prefix))


@pytest.mark.parametrize(("day", "years", "expected"), [
    (dt.date(2024, 2, 29), 1, dt.date(2025, 2, 28)),
    (dt.date(2024, 2, 29), 4, dt.date(2028, 2, 29)),
    (dt.date(2028, 2, 29), -3, dt.date(2025, 2, 28)),
    (dt.date(2023, 6, 30), 2, dt.date(2025, 6, 30)),
])
def test_calendar_years(day, years, expected):
    assert add_years(day, years) == expected


@pytest.mark.parametrize("text", ["2025-06-30", "2025/6/30", "2025年6月30日", "25.6.30",
                                  "2025.06.30", "2025年6月30号", "20250630",
                                  " ２０２５－６－３０ "])
def test_typed_dates(text):
    assert parse_typed_date(text) == dt.date(2025, 6, 30)


@pytest.mark.parametrize("text", ["2025-02-30", "明天", "6/30", "2025-6"])
def test_typed_dates_refused(text):
    with pytest.raises(ValueError):
        parse_typed_date(text)


@pytest.mark.parametrize(("text", "amount"), [
    ("10000", 10000), ("10,000", 10000), ("1万", 10000), ("1.5万", 15000), ("两万", 20000),
    ("2万元", 20000), ("0", 0), (" 3000 元", 3000), ("一万", 10000),
])
def test_amounts_as_typed(text, amount):
    from domain.amounts import parse_amount

    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["-5", "好几万", "1.5", "", "abc"])
def test_amounts_refused(text):
    from domain.amounts import parse_amount

    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize("text", ["2026-12-15 17:00", "2026-12-15T17:00", "2026年12月15日 17:00",
                                  "2026/12/15 17点", "2026年12月15日17时00分", "26.12.15 17:00"])
def test_typed_datetimes(text):
    from domain.dates import parse_typed_datetime

    assert parse_typed_datetime(text) == dt.datetime(2026, 12, 15, 17, 0)


@pytest.mark.parametrize("text", ["2026-12-15", "17:00", "2026-12-15 25:00", "下周五下午"])
def test_typed_datetimes_refused(text):
    from domain.dates import parse_typed_datetime

    with pytest.raises(ValueError):
        parse_typed_datetime(text)


@pytest.mark.parametrize(("text", "rate"), [("85", 85.0), ("85%", 85.0), ("85.5", 85.5),
                                            ("８５％", 85.0), ("85 %", 85.0), ("90分", 90.0)])
def test_rates_as_typed(text, rate):
    from domain.amounts import parse_rate

    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["八十五", "85%%", "", "about 85"])
def test_rates_refused(text):
    from domain.amounts import parse_rate

    with pytest.raises(ValueError):
        parse_rate(text)
