"""Correcting an organisation's facts after it was registered (admins; chat and CLI)."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import InputError
from services.people import accounts


async def test_facts_are_corrected_and_the_credit_code_stays(svc, org):
    view = await accounts.edit_organization(
        svc, org.id, name=" 青岛海都心理服务中心 ", district="黄岛",
        established_on=dt.date(2019, 6, 1), valid_until=dt.date(2031, 5, 9))
    assert (view.name, view.district, view.established_on, view.certificate_valid_until) == (
        "青岛海都心理服务中心", "西海岸新区", dt.date(2019, 6, 1), dt.date(2031, 5, 9))
    assert view.uscc == org.uscc
    listed = await accounts.organizations(svc)
    assert listed == [view]


async def test_one_fact_at_a_time_leaves_the_others(svc, org):
    view = await accounts.edit_organization(svc, org.id, valid_until=dt.date(2031, 5, 9))
    assert (view.name, view.district, view.established_on) == (
        "青岛海都心理健康服务中心", "崂山区", dt.date(2019, 5, 10))


@pytest.mark.parametrize(("changes", "field", "code"), [
    ({"name": "  "}, "name", "text"),
    ({"name": "中" * 201}, "name", "name_length"),
    ({"district": "火星区"}, "district", "unknown_choice"),
    ({"established_on": dt.date(2027, 1, 1)}, "established", "future_date"),
    ({"valid_until": dt.date(2019, 1, 1)}, "valid_until", "valid_before_established"),
    ({"established_on": dt.date(2030, 1, 1), "valid_until": dt.date(2031, 1, 1)},
     "established", "future_date"),
])
async def test_bad_corrections_are_refused_and_change_nothing(svc, org, changes, field, code):
    with pytest.raises(InputError) as err:
        await accounts.edit_organization(svc, org.id, **changes)
    assert (err.value.field, err.value.code) == (field, code)
    [view] = await accounts.organizations(svc)
    assert (view.name, view.district, view.established_on, view.certificate_valid_until) == (
        "青岛海都心理健康服务中心", "崂山区", dt.date(2019, 5, 10), dt.date(2029, 5, 9))


async def test_an_unknown_organization_is_named(svc, org):
    with pytest.raises(InputError) as err:
        await accounts.edit_organization(svc, org.id + 1, name="x")
    assert (err.value.field, err.value.code) == ("organization", "organization_unknown")


async def test_registering_refuses_a_founding_date_in_the_future(svc):
    with pytest.raises(InputError) as err:
        await accounts.create_organization(
            svc, name="某服务中心", uscc="91110000600037341L", district="市南区",
            established_on=dt.date(2027, 1, 1), valid_until=None)
    assert (err.value.field, err.value.code) == ("established", "future_date")
