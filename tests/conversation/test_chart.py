"""The /score chart: user text in its title, the score under the picture when it fits, the
menu on the last one."""

from __future__ import annotations

import datetime as dt

from handlers.common import fits_caption
from services.walk import projects
from tests.conversation.conftest import new_project

PDF = "application/pdf"


async def test_a_project_name_with_dollar_signs_and_underscores_gets_its_chart(member):
    await new_project(member, "职工$_$服务项目")
    await member.send("/score")
    assert "职工$_$服务项目" in member.replies[0]
    photos = member.photos_since
    assert len(photos) == 1 and photos[0].file.startswith(b"\x89PNG")
    assert "出错" not in member.last_text


async def test_a_very_long_project_name_still_gets_a_chart(member):
    name = "青岛市崂山区社区职工心理健康关爱与家庭教育指导综合服务项目" * 4
    await new_project(member, name)
    await member.send("/score")
    photos = member.photos_since
    assert len(photos) == 1 and photos[0].file.startswith(b"\x89PNG")


async def test_the_chart_changes_with_the_score_and_only_then(member):
    await new_project(member)
    await member.send("/score")
    before = member.photos_since[0].file
    await member.send("/score")
    assert member.photos_since[0].file == before
    await member.send("/submit")
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"%PDF-1.4 study", "学习制度.pdf", PDF)
    await member.send("/score")
    assert member.photos_since[0].file != before


def photo_sends(member) -> list[object]:
    """What each sendPhoto carried: bytes uploaded (None in the params) or a file_id."""
    return [params.get("photo") for method, params in member.fake.calls
            if method.lower() == "sendphoto"]


async def test_an_unchanged_chart_is_sent_again_by_file_id_not_uploaded(member):
    await new_project(member)
    await member.send("/score")
    first = member.photos_since[0]
    await member.send("/score")
    again = member.photos_since[0]
    assert again.file == first.file  # the same picture in the chat
    assert "合计：0/100分" in again.text and "📊 看评分" in again.buttons  # score, menu kept
    sends = photo_sends(member)
    assert len(sends) == 2 and not isinstance(sends[0], str)
    assert sends[1] == first.file_id  # by Telegram's file_id: no upload


async def test_a_chart_telegram_forgot_is_uploaded_again(member):
    await new_project(member)
    await member.send("/score")
    first = member.photos_since[0]

    async def forgotten(method: str, params: dict) -> None:
        if method.lower() == "sendphoto" and isinstance(params.get("photo"), str):
            params["photo"] = "AgADforgotten"

    member.fake.before_call = forgotten
    await member.send("/score")
    member.fake.before_call = None
    photos = member.photos_since
    assert len(photos) == 1 and photos[0].file == first.file
    assert "出错" not in member.last_text


async def test_each_project_comes_as_one_message_chart_score_and_menu(member):
    await new_project(member, "职工<b>关爱</b>项目")
    await member.send("/score")
    [card] = member.since  # one message, not the score, the chart and a menu one by one
    assert card.kind == "photo" and card.file.startswith(b"\x89PNG")
    assert card.text.startswith("职工<b>关爱</b>项目（填报中）")  # user text shown as typed
    assert "合计：0/100分" in card.text and "还可以得分的项目" in card.text
    assert "📊 看评分" in card.buttons and "📎 提交材料" in card.buttons


async def test_a_score_too_long_for_a_caption_comes_first_then_the_chart_with_the_menu(bot):
    english = bot.chat(1002, "Fang", lang="en")
    await english.send(f"/start {bot.invite}")
    await projects.create_project(bot.svc, 1002, name="Care for workers", area="心理关怀",
                                  started_on=dt.date(2024, 3, 1),
                                  completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)
    await english.send("/score")
    text, chart = english.since  # the English open points are longer than 1,024 characters
    assert text.kind == "text" and "Care for workers" in text.text and len(text.text) > 1024
    assert chart.kind == "photo" and chart.text == ""
    assert "📊 Scores" in chart.buttons


async def test_the_menu_goes_under_the_last_projects_chart_only(bot, member):
    await new_project(member, "第一个项目")
    await projects.create_project(bot.svc, 1001, name="第二个项目", area="心理关怀",
                                  started_on=dt.date(2024, 3, 1),
                                  completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)
    await member.send("/score")
    first, second = member.since
    assert "第一个项目" in first.text and not first.buttons
    assert "第二个项目" in second.text and "📊 看评分" in second.buttons


def test_what_fits_under_a_picture_is_counted_as_the_user_sees_it():
    assert fits_caption("<b>名</b>" + "字" * 1023)  # tags are not shown
    assert not fits_caption("字" * 1025)
    assert fits_caption("&amp;" * 1024)  # each shows as one "&"
    assert not fits_caption("👍" * 513)  # two UTF-16 units each, as Telegram counts


async def test_a_caption_telegram_refuses_comes_as_its_own_message_first(member):
    await new_project(member)

    async def refused(method: str, params: dict) -> None:
        if method.lower() == "sendphoto" and params.get("caption"):
            params["caption"] += "。" * 1024  # counted differently somewhere: too long

    member.fake.before_call = refused
    await member.send("/score")
    member.fake.before_call = None
    text, chart = member.since
    assert "合计：0/100分" in text.text and chart.kind == "photo" and chart.text == ""
    assert "📊 看评分" in chart.buttons and "出错" not in member.last_text
