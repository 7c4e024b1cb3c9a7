"""/editorg: administrators correct an organisation's facts; staff see the effect at once."""

from __future__ import annotations

import datetime as dt

from services.people import accounts
from services.walk import evidence, projects


async def test_editorg_lists_organizations_and_explains_itself(bot):
    admin = bot.chat(1, "管理员")
    await admin.send("/editorg")
    text = admin.last_text
    assert "#1 青岛海都心理健康服务中心（崂山区）" in text and "证书有效期至 2029-05-09" in text
    assert "用法：/editorg" in text and "有效期" in text
    await admin.send("/editorg 海都")
    assert "#1 青岛海都心理健康服务中心" in admin.last_text
    await admin.send("/editorg 1")
    assert "#1 青岛海都心理健康服务中心" in admin.last_text and "要改哪一项" in admin.last_text
    assert admin.buttons == ["✏️ 名称", "✏️ 所在区市", "✏️ 成立日期", "✏️ 证书有效期"]
    await admin.send("/editorg 7")
    assert "⚠️ 组织：没有编号为 7 的组织" in admin.last_text
    await admin.send("/editorg 阳光")
    assert "没有名称包含“阳光”的组织" in admin.last_text and "#1" not in admin.last_text


async def test_a_renewed_certificate_lifts_the_certificate_issue_at_once(bot, member):
    await accounts.edit_organization(bot.svc, 1, valid_until=dt.date(2026, 1, 31))  # expired
    view = await projects.create_project(bot.svc, 1001, name="职工心理关爱项目", area="心理关怀",
                                    started_on=dt.date(2024, 3, 1),
                                    completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)
    await evidence.add_file(bot.svc, 1001, project_id=view.id, slot_key="registration_certificate",
                            data=b"%PDF cert", file_name="证书.pdf", mime_type="application/pdf")
    await member.send("/score")
    report = next(t for t in member.replies if "职工心理关爱项目" in t)
    assert "登记证书有效期至2026-01-31" in report and "合计：0/100分" in report

    admin = bot.chat(1, "管理员")
    await admin.send("/editorg 1 有效期 2031-01-31")
    assert "✅ 已更新证书有效期" in admin.last_text
    assert "证书有效期至 2031-01-31" in admin.last_text

    await member.send("/score")
    report = next(t for t in member.replies if "职工心理关爱项目" in t)
    assert "登记证书有效期至" not in report and "合计：10/100分" in report


async def test_names_and_districts_are_corrected_and_bad_input_is_named_in_chinese(bot, member):
    admin = bot.chat(1, "管理员")
    await admin.send("/editorg 1 名称 青岛海都 心理服务中心")
    assert "#1 青岛海都 心理服务中心（崂山区）" in admin.last_text
    await admin.send("/editorg 1 区市 黄岛")
    assert "（西海岸新区）" in admin.last_text
    await admin.send("/editorg 1 成立日期 2030-01-01")
    assert "⚠️ 成立日期：2030-01-01 还没到" in admin.last_text
    await admin.send("/editorg 1 有效期 明年")
    assert "⚠️ 证书有效期：明年 不是有效日期" in admin.last_text
    await admin.send("/editorg 1 颜色 红")
    assert "⚠️ 要修改的内容：未知的取值 颜色" in admin.last_text
    assert "可选：名称、所在区市、成立日期、证书有效期" in admin.last_text
    await admin.send("/editorg 9 名称 某中心")
    assert "⚠️ 组织：没有编号为 9 的组织" in admin.last_text
    await member.send("/start")
    assert "青岛海都 心理服务中心" in member.last_text
    await member.send("/editorg 1 名称 我的中心")
    assert "只有管理员" in member.last_text


async def test_english_admins_use_english_field_words(bot):
    admin = bot.chat(1, "Admin", lang="en")
    await admin.send("/editorg 1 valid_until 2026-13-01")
    assert "⚠️ certificate valid until: 2026-13-01 is not a valid date" in admin.last_text
    await admin.send("/editorg 1 district Mars")
    assert "⚠️ district: unknown value Mars" in admin.last_text


async def test_honours_are_named_in_the_users_language(bot, member):
    await projects.create_project(bot.svc, 1001, name="社区法律服务站", area="法律服务",
                             started_on=dt.date(2024, 3, 1), completed_on=dt.date(2025, 6, 30),
                             closed_and_evaluated=True)
    reviewer = bot.chat(1, "管理员")
    for level in ("省级", "city"):
        await reviewer.send(f"/honour 1 {level}")
        assert "请确认" in reviewer.last_text
        await reviewer.press("✅ 确认")
    assert "荣誉：省级、市级" in reviewer.last_text and "city" not in reviewer.last_text
    await reviewer.send("/honour 1 金牌")
    assert "⚠️ 荣誉级别：未知的取值 金牌，可选：全国级、省级、市级" in reviewer.last_text
    english = bot.chat(1, "Admin", lang="en")
    await english.send("/honour 1 national")
    assert "select #1 社区法律服务站 as a national honour?" in english.last_text
    await english.press("✅ Confirm")
    assert "Honours: provincial, city, national" in english.last_text  # appended, not overwritten


async def test_facts_are_corrected_with_buttons_and_a_typed_value(bot, member):
    admin = bot.chat(1, "管理员")
    await admin.send("/editorg 1")
    await admin.press("✏️ 证书有效期")
    assert "请发送新证书的有效期至" in admin.last_text
    await admin.send("明年")
    assert "⚠️ 证书有效期：明年 不是有效日期" in admin.last_text
    assert "请发送新证书的有效期至" in admin.last_text  # asked again; nothing changed
    await admin.send("2031-01-31")
    assert "✅ 已更新证书有效期" in admin.last_text and "证书有效期至 2031-01-31" in admin.last_text
    await admin.send("满意度85分能得几分")  # the correction is over: a question again
    assert "已更新" not in admin.last_text
    await admin.send("/editorg 1")
    await admin.press("✏️ 所在区市")
    assert "请选择所在区市" in admin.last_text and "西海岸新区" in admin.buttons
    await admin.press("西海岸新区")
    assert "（西海岸新区）" in admin.last_text
    [org] = await accounts.organizations(bot.svc)
    assert (org.district, org.certificate_valid_until) == ("西海岸新区", dt.date(2031, 1, 31))


async def test_a_correction_left_waiting_does_not_swallow_later_messages(bot):
    admin = bot.chat(1, "管理员")
    await admin.send("/editorg 1")
    await admin.press("✏️ 名称")
    assert "请发送组织的新名称" in admin.last_text
    await admin.send("/cancel")
    assert "组织信息没有改动" in admin.last_text
    await admin.send("/editorg 1")
    await admin.press("✏️ 名称")
    await admin.send("/score")  # another command: the correction is dropped, /score answers
    assert "需要先加入组织" in admin.last_text
    await admin.send("新名称")
    assert "已更新" not in admin.last_text
    await admin.send("/editorg 1")
    await admin.press("✏️ 名称")
    bot.svc.clock.advance(dt.timedelta(minutes=11))  # left waiting: the text is a question
    await admin.send("满意度85分能得几分")
    assert "已更新" not in admin.last_text
    [org] = await accounts.organizations(bot.svc)
    assert org.name == "青岛海都心理健康服务中心"
