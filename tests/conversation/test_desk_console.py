"""The desk's story in the terminal chat (`python -m bot console`): its one user, an
administrator, plays staff and reviewer in turn (/as staff, /as reviewer), typing words and
the numbers shown beside buttons, as a person at the terminal would."""

from __future__ import annotations

import re

from bot.runtime.console import TerminalChat
from fakegram import FakeUser


class Press(str):
    """A button to press: the person types the number shown beside its label."""


class Person:
    """The terminal's input: each line typed after reading what the bot printed."""

    def __init__(self, out: list[str], steps: list[str]) -> None:
        self.out, self.steps = out, iter(steps)

    def __call__(self, prompt: str) -> str:
        step = next(self.steps, None)
        if step is None:
            raise EOFError
        if not isinstance(step, Press):
            return step
        pattern = re.compile(r"\[(\d+)\] " + re.escape(step))
        for text in reversed(self.out):
            if found := pattern.findall(text):
                return found[-1]
        raise AssertionError(f"no button {step!r} on the screen")


def printed(out: list[str], since: str) -> str:
    """All the terminal printed after the first line that holds `since`."""
    start = next(i for i, text in enumerate(out) if since in text)
    return "\n".join(out[start + 1:])


async def test_the_desk_story_in_the_terminal_chat(bot, tmp_path):
    blurry, sharp = tmp_path / "学习记录.pdf", tmp_path / "学习记录-清晰.pdf"
    blurry.write_bytes(b"%PDF blurry")
    sharp.write_bytes(b"%PDF sharp")
    out: list[str] = []
    person = Person(out, [
        f"/start {bot.invite}", "/submit", Press("➕ 新建项目"), "职工心理关爱项目",
        Press("心理关怀"), "2024/3/1", "25.6.30", Press("是"),
        Press("➡️ 下一项：学习制度、学习记录"), f"/file {blurry}", Press("◀ 返回清单"),
        Press("📤 提交审核"), Press("✅ 确认提交"),
        "/as reviewer", "/assign auto",
        Press("🔍 #1 职工心理关爱项目"), Press("⬜ 学习制度、学习记录"), Press("📎 查看文件"),
        Press("❌ 退回"), Press("材料不清晰"), Press("↩️ 退回申报单位修改"),
        "/as staff", Press("🔧 修改：学习制度、学习记录"), f"/file {sharp}",
        Press("◀ 返回清单"), Press("📤 提交审核"), Press("✅ 确认提交"),
        "/as reviewer", Press("🔍 #1 职工心理关爱项目"), Press("❌ 学习制度、学习记录"),
        Press("✅ 通过"), Press("🏁 审核通过"), "/quit"])
    chat = TerminalChat(prompt="", intro=None, files_dir=tmp_path / "console-files")
    await chat.run(bot.app, bot.fake, FakeUser(1, "管理员"), person, out.append)
    screen = "\n".join(out)
    assert "📤 已提交审核：职工心理关爱项目，10/100分" in screen
    assigned = printed(out, "现在您的身份是：评审人员")
    assert "#1 职工心理关爱项目（崂山区）→ 管理员（1）" in assigned
    assert "🗂 分配给您 1 个评审项目" in assigned
    assert "[文件 学习记录.pdf]" in screen
    returned = printed(out, "❌ 已退回：材料不清晰")
    assert "已退回：职工心理关爱项目（1 项材料），已通知 1 位工作人员" in returned
    assert "已被退回修改" in returned and "❌ 学习制度、学习记录：材料不清晰" in returned
    assert "🆕 学习制度、学习记录：已修改" in screen
    assert "📨 项目 #1“职工心理关爱项目”已修改后重新提交" in screen
    verified = printed(out, "❌ 学习制度、学习记录 🆕已修改")
    assert "🏁 审核通过：职工心理关爱项目" in verified
    assert "🏁 您的项目“职工心理关爱项目”已审核通过。" in verified
