"""`python -m bot org list|edit`: once through a real subprocess, the refusals in-process."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from bot.app import build_services
from bot.cli import main
from bot.settings import Settings
from services.people import accounts

ADD = ["org", "add", "--name", "青岛海都心理健康服务中心", "--uscc", "91350100M000100Y43",
       "--district", "崂山区", "--established", "2019-05-10", "--valid-until", "2026-01-31"]


def test_org_edit_corrects_facts_and_org_list_shows_them(cli, cli_process):
    assert cli(*ADD).returncode == 0
    out = cli_process("org", "edit", "1", "--valid-until", "2031-01-31", "--district", "黄岛",
                      "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "id": 1, "name": "青岛海都心理健康服务中心", "uscc": "91350100M000100Y43",
        "district": "西海岸新区", "established_on": "2019-05-10",
        "certificate_valid_until": "2031-01-31"}
    listed = cli("org", "list")
    assert listed.returncode == 0
    first, footer = listed.stdout.strip().splitlines()
    assert first == ("#1 青岛海都心理健康服务中心（西海岸新区）信用代码 "
                     "91350100M000100Y43，成立 2019-05-10，证书有效期至 2031-01-31")
    assert footer.startswith("第 1/1 页，共 1 个社会组织")


@pytest.fixture
def registered(tmp_path, database_url, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    assert main(["org", "list"]) == 0  # migrates the database
    asyncio.run(register(Settings()))
    capsys.readouterr()


async def register(settings) -> None:
    svc = build_services(settings)
    await accounts.create_organization(
        svc, name="青岛海都心理健康服务中心", uscc="91350100M000100Y43", district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=dt.date(2026, 1, 31))
    await svc.close()


def listed(capsys) -> dict:
    assert main(["org", "list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)[0]


@pytest.mark.parametrize(("args", "field"), [
    (["1", "--established", "2030-01-01"], "--established"),
    (["1", "--established", "2019-02-30"], "--established"),
    (["1", "--valid-until", "2019-01-01"], "--valid-until"),
    (["1", "--district", "火星区"], "--district"),
    (["1", "--name", "中" * 201], "--name"),
    (["9", "--name", "某中心"], "ID"),
    (["1"], "--valid-until"),  # nothing to change: the line names the options
])
def test_org_edit_refuses_bad_input_with_one_line_naming_the_field(registered, capsys, args,
                                                                   field):
    assert main(["org", "edit", *args]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert out.out == "" and len(lines) == 1 and field in lines[0], out.err
    after = listed(capsys)
    assert (after["name"], after["district"], after["certificate_valid_until"]) == (
        "青岛海都心理健康服务中心", "崂山区", "2026-01-31")


@pytest.mark.parametrize(("args", "field"), [
    (["--established", "2030-01-01"], "--established"),
    (["--district", "火星区"], "--district"),
    (["--uscc", "91350100M000100Y44"], "--uscc"),
])
def test_org_add_names_the_option_too(registered, capsys, args, field):
    changed = list(ADD)
    for name, value in zip(args[::2], args[1::2], strict=True):
        changed[changed.index(name) + 1] = value
    assert main(changed) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"：{field}：" in err[0], err
