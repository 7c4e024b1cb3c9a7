"""The walk's button data: every button the bot builds parses back to what it carried;
anything else is refused as expired."""

from __future__ import annotations

import pytest

from bot.app import build_services
from handlers import callbacks as cb
from tests.conversation.conftest import make_settings

SAMPLES = {"new": (), "stop": (), "area": (3,), "closed": (1,), "project": (7,),
           "checklist": (7,), "criterion": (7, 2), "slot": (7, 11), "skip": (7, 0),
           "files": (7, 4), "file_delete": (7, 90), "entry_add": (7, 11, "city"),
           "entry": (7, 11, 5), "entry_level": (7, 11, 5, 2, "national"),
           "entry_delete": (7, 11, 5), "entry_fix": (7, 11, 5),
           "submit": (7,), "confirm": (7,), "facts": (7,),
           "fact": (7, "end"), "fact_area": (7, 0), "fact_closed": (7, 0),
           **{f"menu_{m}": () for m in cb.MENU}, "subsidy_honour": ("national",),
           "subsidy_project": (7,), "subsidy_next": (), "reopen": (7,), "ask_more": (3, 1),
           "reopen_confirm": (7,),
           "ask_feedback": (3, 1), "remind": ("off",), "lang": ("en",),
           "org_field": (4, "valid_until"), "org_district": (2,),
           "join_confirm": ("AbC-12_x",), "join_cancel": (), "member_remove": (4, 7_000_000_001),
           "rank_page": (3, 1), "rank_export": (0,), "decide": (7,), "honour_city": (7,),
           "recommend": (7, "provincial"), "outcome": (7, "national", 1),
           "ledger_page": (2,), "ledger_export": (), "dossier": (7,),
           "pay_confirm": (7, 99999), "honour_ok": (7, "city"),
           "recommend_ok": (7, "provincial"), "outcome_ok": (7, "national", 0)}


@pytest.fixture(scope="module")
def svc(tmp_path_factory, databases):
    folder = tmp_path_factory.mktemp("callbacks")
    url = databases.create(folder)
    yield build_services(make_settings(folder, url))
    databases.drop(url)


# the reviewers' desk — a target travels as s<slot index> or e<entry id>
DESK_SAMPLES = {"queue": ("returned", 2, 1), "open": (7,), "item": (7, "s0"),
                "item_files": (7, "e5"), "accept": (7, "s6"), "reject": (7, "e5"),
                "reason": (7, "e5", 3), "reason_other": (7, "s1"), "lower": (7, "e5", "city"),
                "rate": (7, "s9"), "return": (7,), "verify": (7,), "recuse": (7,),
                "resolve": (7, "e5", 1)}


def test_every_action_has_a_sample():
    assert set(SAMPLES) | set(DESK_SAMPLES) == set(cb.ACTIONS)


@pytest.mark.parametrize("action", sorted(DESK_SAMPLES))
def test_desk_data_parses_back_with_its_target(svc, action):
    built = DESK_SAMPLES[action]
    raw = cb.data(action, *built)
    assert raw.startswith("d:") and len(raw.encode()) <= 64
    slots = svc.rubric.evidence_slots

    def target(code: str) -> str:
        if code[0] == "e":
            return f"entry:{code[1:]}"
        item, kind = slots[int(code[1:])]
        return f"{item}.{kind}" if kind else item

    expected = tuple(target(v) if i == 1 and action != "queue" else v
                     for i, v in enumerate(built))
    if action == "resolve":
        expected = (*expected[:2], True)
    assert tuple(cb.parse(raw, action, svc).values.values()) == expected
    if action != "queue" and len(built) > 1:  # and back to what the button carries
        assert cb.target_code(svc, expected[1]) == built[1]


@pytest.mark.parametrize(("action", "raw"), [
    ("item", "d:i:7:s99"), ("item", "d:i:7:x1"), ("reason", "d:rr:7:e5:9"),
    ("lower", "d:lv:7:e5:galactic"), ("queue", "d:q:lost:0:0"), ("queue", "d:q:all:99:0"),
])
def test_forged_desk_data_is_expired(svc, action, raw):
    with pytest.raises(cb.Expired):
        cb.parse(raw, action, svc)


@pytest.mark.parametrize("action", sorted(SAMPLES))
def test_built_data_parses_back(svc, action):
    values = SAMPLES[action]
    raw = cb.data(action, *values)
    assert len(raw.encode()) <= 64  # Telegram's limit for callback data
    press = cb.parse(raw, action, svc)
    flags = {"closed", "fact_closed", "ask_feedback"}
    expected = tuple(bool(v) if action in flags and i == len(values) - 1 else v
                     for i, v in enumerate(values))
    assert tuple(press.values.values()) == expected


@pytest.mark.parametrize(("action", "raw"), [
    ("entry_level", "w:el:7:11:5:2:bogus"),  # not a level of that item
    ("entry_add", "w:lv:7:0:city"),  # slot 0 has no levels
    ("slot", "w:s:abc:1"), ("slot", "w:s:7:13"), ("slot", "w:s:7:1:9"),
    ("criterion", "w:cr:7:99"), ("area", "w:area:99"), ("fact", "w:pe:7:budget"),
    ("closed", "w:closed:2"), ("project", None), ("project", "w:p:-1"), ("project", ""),
    ("subsidy_honour", "sub:h:bogus"), ("subsidy_project", "sub:p:99999999999999999999"),
    ("reopen", "rv:open:99999999999999999999"), ("reopen", "rv:open:"),
    ("ask_more", "a:more:1"), ("ask_feedback", "a:fb:1:2"), ("remind", "rm:maybe"),
    ("lang", "lang:fr"), ("menu_ask", "m:bogus"), ("org_field", "og:f:1:uscc"),
    ("org_field", "og:f:99999999999999999999:name"), ("org_district", "og:d:99"),
    ("join_confirm", "jn:ok:a b"), ("member_remove", "mb:rm:1:x"),
])
def test_forged_or_outdated_data_is_expired(svc, action, raw):
    with pytest.raises(cb.Expired):
        cb.parse(raw, action, svc)
