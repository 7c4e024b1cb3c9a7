"""The reviewers' core loop over the fake Telegram (HTTP): staff submit; a reviewer
(appointed with `python -m bot reviewer add`) opens the project, downloads its file,
rejects it with a reason and returns it; staff fix it and resubmit; the reviewer accepts and
verifies. Then the desk's story: a project assigned by the administrator, a media report
returned with a reason typed by its reviewer, fixed, resubmitted, verified, and its staff
told."""

from __future__ import annotations

import json

import pytest

PDF = b"%PDF-1.4 desk e2e"
pytestmark = pytest.mark.e2e


def _starting(message, prefix: str) -> str:
    return next(b for b in message.buttons if b.startswith(prefix))


def _new_project(world, staff, name: str) -> None:
    """A member joins and creates a project; its study records uploaded."""
    staff.send(f"/start {world.invite_code}")
    staff.expect("加入成功")
    staff.send("/submit")
    staff.press("➕ 新建项目")
    staff.expect("第1步")
    staff.send(name)
    staff.press("心理关怀")
    staff.send("2024/3/1")
    staff.send("25.6.30")
    staff.press("是")
    staff.expect(f"项目已创建：{name}")
    staff.press("➡️ 下一项：学习制度、学习记录（+10分）")
    staff.expect("评估依据")
    staff.upload(PDF, "学习制度.pdf", "application/pdf")
    staff.expect("已保存")
    staff.press("◀ 返回清单")


def _submitted(staff, score: str) -> int:
    """Submitted from the checklist; the project's number."""
    staff.press("📤 提交审核")
    staff.press("✅ 确认提交")
    return int(staff.expect(score).text.split("项目编号 #")[1].split("，")[0])


def _appointed(world, user_id: int):
    done = world.cli("reviewer", "add", "--json")
    assert done.returncode == 0, done.stderr
    code = json.loads(done.stdout)["code"]
    reviewer = world.chat(user_id, "评审员")
    reviewer.send(f"/start {code}")
    reviewer.expect()
    return reviewer


def test_submit_review_return_fix_and_verify(world):
    staff = world.chat(2101, "孙丽")
    _new_project(world, staff, "困难职工帮扶项目")
    _submitted(staff, "10/100")

    reviewer = _appointed(world, 2102)
    reviewer.send("/review")
    queue = reviewer.expect("困难职工帮扶项目")
    reviewer.press(_starting(queue, "🔍"))
    project = reviewer.expect("申报 10 / 核定 0")
    reviewer.press(_starting(project, "⬜ 学习制度"))
    item = reviewer.expect(button="📎 查看文件")
    reviewer.press("📎 查看文件")
    assert reviewer.expect("").kind == "document"
    reviewer.press("❌ 退回", on=item)  # below the file now
    reviewer.expect("请选择退回理由")
    reviewer.press("材料不清晰")
    reviewer.expect(button="↩️ 退回申报单位修改")
    reviewer.press("↩️ 退回申报单位修改")
    reviewer.expect("已退回")

    returned = staff.expect("已被退回修改")
    assert "材料不清晰" in returned.text
    staff.press("🔧 修改：学习制度、学习记录")
    staff.expect("评估依据")
    staff.upload(PDF + b" sharp", "学习制度-清晰.pdf", "application/pdf")
    staff.expect("已保存")
    staff.press("◀ 返回清单")
    _submitted(staff, "10/100")

    note = reviewer.expect("重新提交")
    assert "学习制度、学习记录" in note.text
    reviewer.press(_starting(note, "🔍"))
    project = reviewer.expect("🆕已修改")
    reviewer.press(_starting(project, "❌ 学习制度"))
    reviewer.expect(button="✅ 通过")
    reviewer.press("✅ 通过")
    reviewer.expect("申报 10 / 核定 10")
    reviewer.press("🏁 审核通过")
    reviewer.expect("🏁 审核通过：困难职工帮扶项目")


def test_an_assigned_media_report_returned_fixed_verified_and_staff_told(world):
    staff = world.chat(2201, "赵敏")
    _new_project(world, staff, "职工法律援助项目")
    staff.press("⬜ 媒体报道")
    staff.press("⬜ 主流媒体正面报道")
    staff.press("➕ 登记国家级（3分/条）")
    staff.expect("媒体（会议）名称和标题")
    staff.send("工人日报：法律援助进工地")
    staff.expect("日期")
    staff.send("2025/5/1")
    staff.expect("请发送链接")
    staff.send("https://example.org/a")
    staff.expect("已保存")
    staff.press("◀ 返回清单")
    number = _submitted(staff, "13/100")

    reviewer = _appointed(world, 2202)
    admin = world.chat(1, "管理员")
    admin.send(f"/assign {number} 2202")
    admin.expect(f"#{number} 职工法律援助项目")
    assigned = reviewer.expect("🗂 分配给您 1 个评审项目")
    reviewer.press(_starting(assigned, "🔍"))
    project = reviewer.expect("申报 13 / 核定 0")
    reviewer.press(_starting(project, "⬜ 学习制度"))
    reviewer.expect(button="✅ 通过")
    reviewer.press("✅ 通过")
    report = reviewer.expect("工人日报：法律援助进工地", button="❌ 退回")  # opens next
    assert "https://example.org/a" in report.text
    reviewer.press("❌ 退回")
    reviewer.press("✍️ 其他理由（输入）")
    reviewer.expect("请输入理由")
    reviewer.send("报道未提及本项目")
    reviewer.expect("❌ 已退回：报道未提及本项目")
    reviewer.press("↩️ 退回申报单位修改")
    reviewer.expect("已退回：职工法律援助项目（1 项材料）")

    returned = staff.expect("已被退回修改")
    assert "工人日报：法律援助进工地：报道未提及本项目" in returned.text
    staff.press(_starting(returned, "🔧 修改：主流媒体正面报道"))
    staff.expect("1. ❌ 国家级")
    staff.press("✏️ 第1条")
    staff.press("📎 发送新的证明文件或链接")
    staff.expect("请发送新的证明")
    staff.send("https://www.workercn.cn/law")
    staff.expect("已保存")
    staff.press("◀ 返回清单")
    staff.expect("被退回的材料都已修改")
    _submitted(staff, "13/100")

    note = reviewer.expect("重新提交")
    reviewer.press(_starting(note, "🔍"))
    project = reviewer.expect("🆕已修改")
    reviewer.press(_starting(project, "❌ 主流媒体正面报道"))
    reviewer.expect("https://www.workercn.cn/law", button="✅ 通过")
    reviewer.press("✅ 通过")
    reviewer.expect("申报 13 / 核定 13")
    reviewer.press("🏁 审核通过")
    reviewer.expect("🏁 审核通过：职工法律援助项目")
    told = staff.expect("🏁 您的项目“职工法律援助项目”已审核通过")
    assert "核定" in told.text
