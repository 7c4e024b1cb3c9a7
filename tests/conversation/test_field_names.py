"""Messages name fields in the user's language, never by their ids (issue 9, defect 7)."""

from __future__ import annotations

from tests.conversation.conftest import new_project

PDF = "application/pdf"


async def test_a_completion_date_before_the_start_is_named_in_chinese(member):
    await member.send("/submit")
    await member.press("➕ 新建项目")
    await member.send("社区法律服务站")
    await member.press("法律服务")
    await member.send("2024-03-01")
    await member.send("2024-01-01")
    assert "⚠️ 完成日期：完成日期不能早于开始日期" in member.last_text
    assert "completed_on" not in member.last_text


async def test_a_refused_file_is_named_in_chinese(member):
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"MZ\x90\x00", "setup.exe", "application/x-msdownload")
    assert "⚠️ 文件：不支持 .exe 类型的文件" in member.last_text
    assert "file" not in member.last_text


async def test_english_users_read_english_field_names(bot):
    english = bot.chat(2002, "Jane", lang="en")
    await english.send(f"/start {bot.invite}")
    await english.send("/submit")
    await english.press("➕ New project")
    await english.send("Legal aid desk")
    await english.press("法律服务")  # service areas are the official (Chinese) names
    await english.send("2024-03-01")
    await english.send("2024-01-01")
    assert "⚠️ completion date:" in english.last_text
