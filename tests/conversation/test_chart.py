"""The /score chart: user text in its title, and a picture that follows the score."""

from __future__ import annotations

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
