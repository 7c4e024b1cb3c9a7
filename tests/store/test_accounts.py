"""Organisations, invites and roles on a real (SQLite) database."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import InputError
from services.people import accounts


async def test_organization_gets_an_invite_link(svc, org):
    assert org.link == f"https://t.me/unionbot_bot?start={org.invite_code}"
    assert len(org.invite_code) >= 12


def test_invite_codes_are_one_word_wherever_they_are_typed():
    """Letters and digits only: a code starting with "-" was read as an option by
    `python -m bot org revoke CODE` (token_urlsafe makes one in 64)."""
    codes = {accounts.new_invite_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(code.isascii() and code.isalnum() and len(code) >= 12 for code in codes)


async def test_joining_makes_staff_of_that_organization(svc, org):
    account = await accounts.join(svc, 2001, org.invite_code, "张三")
    assert (account.role, account.organization_name) == ("staff", "青岛海都心理健康服务中心")
    again = await accounts.ensure_account(svc, 2001)
    assert again.organization_id == org.id


async def test_unknown_invite_is_refused_and_changes_nothing(svc, org):
    await accounts.join(svc, 2002, org.invite_code)
    with pytest.raises(InputError) as err:
        await accounts.join(svc, 2002, "nonsense")
    assert err.value.code == "invite_unknown"
    assert (await accounts.ensure_account(svc, 2002)).organization_id == org.id


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"uscc": "91350100M000100Y44"}, "uscc_check"),
    ({"district": "火星区"}, "unknown_choice"),
    ({"name": "  "}, "text"),
    ({"name": "青" * 201}, "name_length"),  # PostgreSQL would refuse it with an error
])
async def test_bad_organization_is_refused(svc, kwargs, code):
    base = dict(name="某服务中心", uscc="91110000600037341L", district="市南区",
                established_on=dt.date(2020, 1, 1), valid_until=None)
    with pytest.raises(InputError) as err:
        await accounts.create_organization(svc, **{**base, **kwargs})
    assert err.value.code == code


async def test_a_name_as_long_as_allowed_is_kept_whole(svc):
    org = await accounts.create_organization(
        svc, name="青" * 200, uscc="91110000600037341L", district="市南区",
        established_on=dt.date(2020, 1, 1), valid_until=None)
    assert org.name == "青" * 200


async def test_the_same_credit_code_cannot_register_twice(svc, org):
    with pytest.raises(InputError) as err:
        await accounts.create_organization(
            svc, name="重复", uscc="91350100M000100Y43", district="黄岛区",
            established_on=dt.date(2020, 1, 1), valid_until=None)
    assert err.value.code == "uscc_taken"


async def test_admins_come_from_settings_and_reviewers_from_invites(svc):
    assert (await accounts.ensure_account(svc, 1)).role == "admin"
    code = await accounts.create_reviewer_invite(svc, created_by=1)
    assert (await accounts.join(svc, 3001, code)).role == "reviewer"
