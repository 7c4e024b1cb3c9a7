"""The reviewers' core loop over the local Bot API emulator: staff submit; a reviewer
(appointed with `python -m bot reviewer add`) opens the project, downloads its file,
rejects it with a reason and returns it; staff fix it and resubmit; the reviewer accepts and
verifies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PDF = b"%PDF-1.4 desk e2e"
pytestmark = pytest.mark.e2e


def _starting(message, prefix: str) -> str:
    return next(b for b in message.buttons if b.startswith(prefix))


def test_submit_review_return_fix_and_verify(world):
    staff = world.chat(2101, "孙丽")
    staff.send(f"/start {world.invite_code}")
    staff.expect("加入成功")
    staff.send("/submit")
    staff.press("➕ 新建项目")
    staff.expect("第1步")
    staff.send("困难职工帮扶项目")
    staff.press("心理关怀")
    staff.send("2024/3/1")
    staff.send("25.6.30")
    staff.press("是")
    staff.expect("项目已创建：困难职工帮扶项目")
    staff.press("➡️ 下一项：学习制度、学习记录（+10分）")
    staff.expect("评估依据")
    staff.upload(PDF, "学习制度.pdf", "application/pdf")
    staff.expect("已保存")
    staff.press("◀ 返回清单")
    staff.press("📤 提交审核")
    staff.press("✅ 确认提交")
    staff.expect("10/100")

    done = subprocess.run([sys.executable, "-m", "bot", "reviewer", "add", "--json"],
                          env=world.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    code = json.loads(done.stdout)["code"]
    reviewer = world.chat(2102, "评审员")
    reviewer.send(f"/start {code}")
    reviewer.expect()
    reviewer.send("/review")
    queue = reviewer.expect("困难职工帮扶项目")
    reviewer.press(_starting(queue, "🔍"))
    project = reviewer.expect("申报 10 / 核定 0")
    reviewer.press(_starting(project, "⬜ 学习制度"))
    reviewer.expect(button="📎 查看文件")
    reviewer.press("📎 查看文件")
    assert reviewer.expect("").kind == "document"
    reviewer.press("❌ 退回")
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
    staff.press("📤 提交审核")
    staff.press("✅ 确认提交")
    staff.expect("已提交")

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
