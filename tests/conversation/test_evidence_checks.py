"""Issue 10, "What was seen" 5: evidence that should not count is refused, saying why."""

from __future__ import annotations

from tests.conversation.conftest import new_project

PDF = "application/pdf"


async def test_a_program_renamed_pdf_is_refused_by_its_content(bot, member):
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "学习制度.pdf", PDF)
    assert "文件内容不是 .pdf 文件（识别为：exe）" in member.last_text
    assert not list((bot.settings.evidence_dir).rglob("*.pdf"))  # nothing written
    await member.upload("学习记录：每月一次".encode("gb18030"), "记录.txt", "text/plain")
    assert "已保存。当前得分：10/100分（+10）" in member.last_text  # text has no magic
    await member.send("/score")
    assert "合计：10/100分" in member.replies[0]


async def _report(member, title: str, day: str) -> None:
    await member.press("➕ 登记国家级（3分/条）")
    await member.send(title)
    await member.send(day)
    await member.send("https://www.workercn.cn/1")


async def test_the_same_media_report_scores_once(member):
    await new_project(member)
    await member.press("⬜ 媒体报道")
    await member.press("⬜ 主流媒体正面报道")
    await _report(member, "工人日报：职工心理关爱", "2025年9月10日")
    assert "当前得分：3/100分（+3）" in member.last_text
    await member.press("◀ 返回清单")
    await member.press("◐ 媒体报道")
    await member.press("◐ 主流媒体正面报道")
    await _report(member, " 工人日报 ： 职工心理关爱！", "2025-09-10")  # the same, typed again
    assert "这一条已经登记过了（第1条" in member.last_text
    await member.send("/score")
    assert "合计：3/100分" in member.replies[0]
