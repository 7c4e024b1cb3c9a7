"""`python -m bot org add` and `python -m bot round …` through a real subprocess."""

from __future__ import annotations

import json


def test_org_add_prints_an_invite_link_and_refuses_a_bad_code(cli):
    out = cli("org", "add", "--name", "青岛海都心理健康服务中心", "--uscc",
              "91350100M000100Y43", "--district", "崂山区", "--established", "2019-05-10",
              "--valid-until", "2029-05-09", "--json")
    assert out.returncode == 0, out.stderr
    org = json.loads(out.stdout)
    assert org["link"] == f"https://t.me/unionbot_bot?start={org['invite_code']}"
    bad = cli("org", "add", "--name", "某中心", "--uscc", "91350100M000100Y44",
              "--district", "崂山区", "--established", "2019-05-10")
    assert bad.returncode == 2 and bad.stdout == ""
    assert "校验位不符" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_round_add_list_and_a_moved_deadline(cli):
    out = cli("round", "add", "--name", "2026年度市级优秀项目", "--level", "city",
              "--year", "2026", "--opens", "2026-11-01", "--deadline", "2026-12-15 17:00",
              "--recommended", "2026-12-20", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["deadline_at"] == "2026-12-15T17:00:00+08:00"
    moved = cli("round", "deadline", "1", "--deadline", "2026-12-22 12:00")
    assert moved.returncode == 0 and "截止 2026-12-22 12:00" in moved.stdout
    listed = json.loads(cli("round", "list", "--json").stdout)
    assert [r["name"] for r in listed] == ["2026年度市级优秀项目"]


def test_round_add_refuses_bad_input_with_one_line(cli):
    for args in (["--name", "x", "--level", "county", "--deadline", "2026-12-15 17:00"],
                 ["--name", "x", "--level", "city", "--deadline", "明天下午"],
                 ["--name", "轮" * 201, "--level", "city", "--deadline", "2026-12-15 17:00"]):
        out = cli("round", "add", "--year", "2026", "--opens",
                  "2026-11-01", "--recommended", "2026-12-20", *args)
        assert out.returncode == 2 and out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1


def test_round_add_refuses_a_recommendation_date_before_the_opening(cli):
    out = cli("round", "add", "--name", "x", "--level", "city", "--year", "2026", "--opens",
              "2026-11-01", "--deadline", "2026-12-15 17:00", "--recommended", "2026-10-20")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "错误：recommended：推荐日期不能早于开始日期（2026-11-01）"], out.stderr


def test_export_writes_the_one_ranking_workbook(cli, tmp_path):
    """`export` and `ranking` write the same workbook (issue 21): by verified total, claimed
    beside it, the reviewers' verdicts."""
    from openpyxl import load_workbook

    out = cli("export", "--out", str(tmp_path / "ranking.xlsx"), "--all")
    assert out.returncode == 0, out.stderr
    assert "已导出 0 个项目" in out.stdout
    header = next(load_workbook(tmp_path / "ranking.xlsx").active.iter_rows(values_only=True))
    assert header[:3] == ("名次", "市级评选线内", "项目编号")
    assert header[7:9] == ("核定分", "申报分") and "审核意见" in header
    assert cli("ranking", "--out", str(tmp_path / "same.xlsx")).returncode == 0
    same = next(load_workbook(tmp_path / "same.xlsx").active.iter_rows(values_only=True))
    assert same == header


def test_bad_typed_values_on_the_command_line_are_one_line(cli, tmp_path):
    """Issue 10, "What was seen" 4: year 0001, an id too large, a missing folder."""
    ok = cli("round", "add", "--name", "r", "--level", "city", "--year", "2026",
             "--opens", "2026-11-01", "--deadline", "2026-12-15 17:00",
             "--recommended", "2026-12-20")
    assert ok.returncode == 0, ok.stderr
    for args in (["round", "add", "--name", "x", "--level", "city", "--year", "2026",
                  "--opens", "0001-01-01", "--deadline", "0001-01-01 05:00",
                  "--recommended", "2026-12-20"],
                 ["round", "extend", "1", "--org", "1", "--until", "0001-01-01 05:00"],
                 ["round", "extend", "99999999999999999999", "--org", "1",
                  "--until", "2026-12-30 05:00"],
                 ["org", "edit", "99999999999999999999", "--name", "x"],
                 ["org", "add", "--name", "x", "--uscc", "91350100M000100Y43",
                  "--district", "崂山区", "--established", "0001-01-01"],
                 ["export", "--out", str(tmp_path / "missing" / "ranking.xlsx")]):
        out = cli(*args)
        assert out.returncode == 2 and out.stdout == "", (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1, (args, out.stderr)
    listed = json.loads(cli("round", "list", "--json").stdout)
    assert [r["name"] for r in listed] == ["r"]


def test_invites_members_and_files_from_the_command_line(cli, tmp_path):
    """Issue 10, "What was seen" 6: invites expire, are single-use or revoked; members are
    listed and removed; orphaned files are collected."""
    out = cli("org", "add", "--name", "青岛海都心理健康服务中心", "--uscc",
              "91350100M000100Y43", "--district", "崂山区", "--established", "2019-05-10",
              "--json")
    assert out.returncode == 0, out.stderr
    invite = cli("org", "invite", "1", "--single-use", "--days", "3", "--json")
    assert invite.returncode == 0, invite.stderr
    made = json.loads(invite.stdout)
    assert made["single_use"] and made["expires_at"]
    revoked = cli("org", "revoke", made["code"])
    assert revoked.returncode == 0 and "已停用" in revoked.stdout
    for args in (["org", "invite", "1", "--days", "0"], ["org", "invite", "9", "--days", "3"],
                 ["org", "revoke", "nope"], ["org", "remove-member", "1", "42"]):
        bad = cli(*args)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    listed = cli("org", "members", "1", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    orphan = tmp_path / "evidence" / "org-1" / "project-1" / "00" / ("0" * 64 + ".pdf")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF left by a crash")
    gc = cli("files", "gc", "--grace-minutes", "0")
    assert gc.returncode == 0 and "已删除 1 个" in gc.stdout, gc.stderr
    assert not orphan.exists()


def test_ask_answers_a_round_question_from_the_open_rounds_and_an_extension(cli):
    """issue 22: `python -m bot ask` knows no user, but the database knows the open round
    (the 2018 paragraph is not the answer), and with --org the organisation's extension."""
    import datetime as dt
    import json

    today = dt.date.today()
    deadline = today + dt.timedelta(days=20)
    assert cli("round", "add", "--name", "本年度市级优秀项目", "--level", "city", "--year",
               str(today.year), "--opens", (today - dt.timedelta(days=5)).isoformat(),
               "--deadline", f"{deadline.isoformat()} 17:00",
               "--recommended", (deadline + dt.timedelta(days=5)).isoformat()).returncode == 0
    out = cli("ask", "本轮截止日期是哪天")
    assert out.returncode == 0, out.stderr
    assert "本年度市级优秀项目" in out.stdout and f"{deadline.isoformat()} 17:00" in out.stdout
    assert "2018" not in out.stdout and "出处" not in out.stdout
    assert cli("org", "add", "--name", "青岛海都心理健康服务中心", "--uscc", "52370200MJD602994T",
               "--district", "市南区", "--established", "2019-03-01").returncode == 0
    later = deadline + dt.timedelta(days=7)
    assert cli("round", "extend", "1", "--org", "1", "--until",
               f"{later.isoformat()} 17:00").returncode == 0
    data = json.loads(cli("ask", "--json", "--org", "1", "截止还有几天").stdout)
    assert data["results"] == [] and data["own"]["intent"] == "deadline"
    assert f"延期至 {later.isoformat()} 17:00" in data["own"]["text"]
    assert f"原为 {deadline.isoformat()} 17:00" in data["own"]["text"]
