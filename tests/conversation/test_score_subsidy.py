"""/score and /subsidy as staff use them."""

from __future__ import annotations

import datetime as dt

from services.walk import evidence, projects


async def test_score_asks_guests_to_join_first(chat):
    await chat.send("/score")
    assert "需要先加入组织" in chat.last_text and "/standard" in chat.last_text


async def test_score_without_projects_points_to_submit(member):
    await member.send("/score")
    assert "还没有项目" in member.last_text


async def test_score_shows_each_criterion_total_open_points_and_a_chart(bot, member):
    view = await projects.create_project(bot.svc, 1001, name="职工心理关爱项目", area="心理关怀",
                                    started_on=dt.date(2024, 3, 1),
                                    completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)
    await evidence.add_file(bot.svc, 1001, project_id=view.id, slot_key="study_records",
                            data=b"%PDF x", file_name="学习.pdf", mime_type="application/pdf")
    await member.press("📊 看评分")
    report = next(t for t in member.replies if "职工心理关爱项目" in t)
    assert "✅ 政治建设" not in report and "◐ 政治建设：10/20" in report
    assert "合计：10/100分" in report
    assert "还可以得分的项目" in report and "活动方案" in report
    photos = member.photos_since
    assert len(photos) == 1 and photos[0].file.startswith(b"\x89PNG")


async def test_subsidy_top_up_through_buttons_and_a_typed_amount(chat):
    await chat.send("/subsidy")
    assert "请选择项目获得的荣誉" in chat.last_text
    await chat.press("⬜ 省级")
    await chat.press("⬜ 全国级")
    assert "✅ 全国级" in chat.buttons and "✅ 省级" in chat.buttons
    await chat.press("下一步 ▶")
    assert "已经拨付过多少补助" in chat.last_text
    await chat.send("好几万")
    assert "请输入非负整数金额" in chat.last_text  # not understood: asked again, nothing lost
    await chat.send("2万")
    assert "应补助30000元" in chat.last_text and "还应补齐10000元" in chat.last_text
    assert "差额补齐" in chat.last_text


async def test_subsidy_next_without_a_choice_is_refused(bot, chat):
    await chat.send("/subsidy")
    await chat.press("下一步 ▶")
    assert "还没有选择荣誉级别" in bot.fake.callback_answers[-1]["text"]
    await chat.press("⬜ 市级")
    await chat.press("下一步 ▶")
    await chat.send("0")
    assert "还应补齐10000元" in chat.last_text
