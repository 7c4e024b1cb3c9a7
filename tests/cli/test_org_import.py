"""`python -m bot org import FILE`: bad rows reported, nothing written while any is bad;
`org list` a page at a time, filtered."""

from __future__ import annotations

import json

from openpyxl import Workbook

from bot.cli import main
from domain.uscc import check_character
from tests.cli.test_org_edit import registered  # noqa: F401  (the fixture)


def code(n: int) -> str:
    first = f"5237020{n:010d}"
    return first + check_character(first)


HEADER = ["名称", "统一社会信用代码", "区市", "成立日期", "证书有效期至"]


def write_csv(path, rows) -> str:
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]), encoding="utf-8-sig")
    return str(path)


def test_bad_rows_are_reported_and_nothing_is_written(registered, capsys, tmp_path):  # noqa: F811
    bad_check = code(1)[:-1] + ("0" if code(1)[-1] != "0" else "1")
    path = write_csv(tmp_path / "orgs.csv", [
        ["阳光社工", code(1), "崂山区", "2019-01-01", ""],
        ["同码社工", code(1), "市南区", "2019-01-01", ""],
        ["火星社工", code(2), "火星区", "2019-01-01", ""],
        ["错码社工", bad_check, "市南区", "2019-01-01", ""],
        ["已有社工", "91350100M000100Y43", "崂山区", "2019-01-01", ""],
        ["日期社工", code(3), "黄岛", "2019-02-30", ""],
        ["好社工", code(4), "黄岛", "2019-02-03", "2030-01-01"],
    ])
    assert main(["org", "import", path]) == 2
    out = capsys.readouterr().out
    assert "共 7 行，5 行有问题。" in out
    assert "第 3 行：统一社会信用代码：统一社会信用代码" in out and "第 2 行已有" in out
    assert "第 4 行：所在区市：未知的取值 火星区" in out
    assert "第 5 行：统一社会信用代码" in out
    assert "第 6 行：统一社会信用代码：统一社会信用代码 91350100M000100Y43 已登记过" in out
    assert "第 7 行：成立日期" in out
    assert "一个也没有登记" in out
    assert main(["org", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1

    assert main(["org", "import", path, "--good-only"]) == 0  # done as asked
    out = capsys.readouterr().out
    assert "已登记 2 个社会组织" in out and "阳光社工：邀请码" in out
    assert main(["org", "list", "--district", "西海岸新区", "--json"]) == 0
    assert [o["name"] for o in json.loads(capsys.readouterr().out)] == ["好社工"]


def test_a_good_spreadsheet_is_registered_and_listed_a_page_at_a_time(registered, capsys,  # noqa: F811
                                                                      tmp_path):
    wb = Workbook()
    wb.active.append(HEADER)
    for n in range(10, 22):
        wb.active.append([f"社工{n}", code(n), "市北区", "2020-05-06", None])
    path = tmp_path / "orgs.xlsx"
    wb.save(path)
    assert main(["org", "import", str(path), "--check"]) == 0
    assert "检查通过，未写入" in capsys.readouterr().out
    assert main(["org", "import", str(path)]) == 0
    assert "已登记 12 个社会组织" in capsys.readouterr().out
    assert main(["org", "list", "--district", "市北区", "--per-page", "5", "--page", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["#12", "#13"]
    assert lines[-1].startswith("第 3/3 页，共 12 个社会组织")
    assert main(["org", "list", "--search", "社工2", "--json"]) == 0
    assert [o["name"] for o in json.loads(capsys.readouterr().out)] == ["社工20", "社工21"]
