"""Every catalog key the code uses exists in data/messages.toml, in Chinese and English;
every field a user can get wrong has a name in both."""

from __future__ import annotations

import pytest

from domain.fields import UNKNOWN, field_key, field_label
from domain.i18n import LANGS
from services.people.accounts import ROLES
from tests.guards.scan import catalog_key_uses, input_error_fields

# Fields only the command line names (SPEC.md: its stderr line names the field as typed).
CLI_ONLY = {"(root)"}


def missing_keys(uses, catalog) -> list[str]:
    keys = catalog.messages
    return [f"{u.where}: {u.key}{'…' if u.prefix else ''}" for u in uses
            if not (any(k.startswith(u.key) for k in keys) if u.prefix else u.key in keys)]


def test_every_key_the_code_uses_exists(catalog):
    uses = catalog_key_uses()
    assert len(uses) > 200  # the scan does see the code
    assert missing_keys(uses, catalog) == []


def test_a_missing_key_is_caught(catalog, tmp_path):
    from tests.guards.scan import KeyUse

    uses = [KeyUse("x.py:1", "bot.welcome"), KeyUse("x.py:2", "bot.no_such_text"),
            KeyUse("x.py:3", "bot.status_", prefix=True),
            KeyUse("x.py:4", "nothing_here.", prefix=True)]
    assert missing_keys(uses, catalog) == ["x.py:2: bot.no_such_text", "x.py:4: nothing_here.…"]


def test_the_scan_reads_keys_codes_and_f_string_prefixes(tmp_path):
    from tests.guards.scan import catalog_key_uses

    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "x.py").write_text(
        'w.t("bot.welcome")\ncatalog.t(f"bot.status_{s}", "zh")\n'
        'raise InputError("name", "text")\nraise InputError("-k", "ask.error.k")\n',
        encoding="utf-8")
    for package in ("bot", "services", "store", "domain"):
        (tmp_path / package).mkdir()
    found = [(u.key, u.prefix) for u in catalog_key_uses(tmp_path)]
    assert found == [("bot.welcome", False), ("bot.status_", True), ("input.text", False),
                     ("ask.error.k", False)]


def test_keys_built_from_values_exist_for_every_value(catalog, rubric):
    from bot.app import COMMANDS
    from handlers.callbacks import QUEUE_STATES
    from handlers.orgs import FIELDS as ORG_FIELDS
    from services.audit import ACTIONS

    keys = [f"cmd.{c}" for c in (*COMMANDS, "neworg", "editorg", "newround", "deadline",
                                 "review", "export", "honour", "extend", "invite", "revoke",
                                 "members")]
    keys += [f"bot.status_{s}" for s in ("draft", "submitted", "closed", "in_review",
                                         "returned", "verified")]
    keys += [f"audit.action_{a}" for a in ACTIONS]
    keys += [f"desk.filter_{s}" for s in QUEUE_STATES]
    keys += [f"bot.role_{r}" for r in (*ROLES, "guest")]
    keys += [f"report.issue_{rule.severity}" for rule in rubric.eligibility]
    keys += [f"field.{f}" for f in ORG_FIELDS]
    keys += [f"admin.editorg_words.{f}" for f in ORG_FIELDS]
    keys += [f"admin.editorg_ask_{f}" for f in ORG_FIELDS]
    assert [k for k in keys if k not in catalog.messages] == []


def test_every_key_has_chinese_and_english(catalog):
    assert [k for k, entry in catalog.messages.items()
            if any(not entry.get(lang) for lang in LANGS)] == []


def test_every_field_a_user_can_get_wrong_has_a_name(catalog):
    fields = input_error_fields(packages=("handlers", "services", "store", "domain"))
    assert len(fields) > 30  # the scan does see the code
    unnamed = [f"{u.where}: {u.key}" for u in fields
               if u.key not in CLI_ONLY and field_key(u.key) not in catalog.messages]
    assert unnamed == []


@pytest.mark.parametrize(("field", "zh", "en"), [
    ("completed_on", "完成日期", "completion date"),
    ("file", "文件", "file"),
    ("organization.certificate_valid_until", "证书有效期", "certificate valid until"),
    ("--valid-until", "证书有效期", "certificate valid until"),
    ("evidence.satisfaction_rate", "职工满意度测评结果", "atisfaction"),
    ("evidence.media_reports.city", "市级", "city"),
    ("colour", "输入内容", "input"),
    ("evidence.no_such_item", "材料", "evidence"),
])
def test_field_labels(catalog, rubric, field, zh, en):
    assert zh in field_label(field, catalog, rubric, "zh")
    assert en in field_label(field, catalog, rubric, "en")
    assert field.split(".")[-1] not in field_label(field, catalog, rubric, "zh")
    assert UNKNOWN not in field_label(field, catalog, rubric, "zh")
