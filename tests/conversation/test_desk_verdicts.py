"""Verdicts per evidence target and the verified score beside the claimed one (services)."""

from __future__ import annotations

import pytest

from domain.errors import InputError
from services import audit
from services.desk import review
from services.errors import Locked
from services.people import accounts
from services.walk import evidence, projects
from tests.conversation.conftest import new_project


async def _claimed(bot, member):
    await new_project(member)
    svc, pid = bot.svc, 1
    await evidence.add_file(svc, 1001, project_id=pid, slot_key="union_approval", data=b"%PDF a",
                            file_name="批复.pdf", mime_type="application/pdf")
    await evidence.add_file(svc, 1001, project_id=pid, slot_key="satisfaction_rate", data=b"%PDF s",
                            file_name="测评.pdf", mime_type="application/pdf")
    await evidence.set_figure(svc, 1001, pid, "satisfaction_rate", 95, 0)
    entry, _ = await evidence.add_entry(svc, 1001, pid, "media_reports", level="national",
                                        title="工人日报", happened_on=None,
                                        link="https://example.org/a")
    view = await projects.submit(svc, 1001, pid)
    assert view.report.total == 10 + 10 + 3
    return entry


async def test_verified_score_counts_accepted_evidence_and_adjustments(bot, member):
    entry = await _claimed(bot, member)
    svc = bot.svc
    view = await review.open_project(svc, 1, 1)
    assert view.verified.total == 0 and view.targets == ("union_approval",
                                                         "satisfaction_rate",
                                                         f"entry:{entry}")
    view = await review.give_verdict(svc, 1, 1, "union_approval", "accept")
    assert (view.report.total, view.verified.total, view.status) == (23, 10, "in_review")
    with pytest.raises(InputError):
        await review.give_verdict(svc, 1, 1, f"entry:{entry}", "adjust", "级别不符",
                                  level="national")
    view = await review.give_verdict(svc, 1, 1, f"entry:{entry}", "adjust", "实为市级媒体",
                                     level="city")
    view = await review.give_verdict(svc, 1, 1, "satisfaction_rate", "adjust", "抽样不足",
                                     value=82)
    assert view.verified.total == 10 + 8 + 1 and view.report.total == 23
    view = await review.verify(svc, 1, 1)
    assert view.status == "verified"
    actions = [(e.action, e.subject) for e in await audit.log(svc, 1)]
    assert actions == [("submit", ""), ("verdict", "union_approval"),
                       ("adjust", f"entry:{entry}"), ("adjust", "satisfaction_rate"),
                       ("verified", "")]


async def test_only_returned_items_are_editable_and_reviewers_see_what_changed(bot, member):
    entry = await _claimed(bot, member)
    svc = bot.svc
    await review.give_verdict(svc, 1, 1, "union_approval", "reject", "材料不清晰")
    await review.give_verdict(svc, 1, 1, "satisfaction_rate", "accept")
    await review.give_verdict(svc, 1, 1, f"entry:{entry}", "accept")
    returned = await review.return_project(svc, 1, 1)
    assert returned.items == (("union_approval", "材料不清晰"),)
    assert [uid for uid, _ in returned.staff] == [1001]
    with pytest.raises(Locked):
        await evidence.set_figure(svc, 1001, 1, "satisfaction_rate", 99, 1)
    saved = await evidence.add_file(svc, 1001, project_id=1, slot_key="union_approval",
                                    data=b"%PDF clear", file_name="批复-清晰.pdf",
                                    mime_type="application/pdf")
    assert saved.view.changed == frozenset({"union_approval"})
    view = await projects.submit(svc, 1001, 1)
    assert view.status == "submitted" and view.reviewers == frozenset({1})


async def test_a_returned_project_still_locks_at_the_deadline_unless_extended(bot, member):
    import datetime as dt

    from services.schedule import rounds

    round_ = await rounds.create_round(
        bot.svc, name="2026年市级评选", level="city", year=2026, opens_on=dt.date(2026, 11, 1),
        deadline_at=dt.datetime(2026, 11, 30, 17, 0), recommended_on=dt.date(2026, 12, 20))
    await _claimed(bot, member)
    svc = bot.svc
    await review.give_verdict(svc, 1, 1, "union_approval", "reject", "材料不清晰")
    await review.return_project(svc, 1, 1)
    svc.clock.advance(dt.timedelta(days=8))  # past the deadline
    with pytest.raises(Locked) as locked:
        await evidence.add_file(svc, 1001, project_id=1, slot_key="union_approval",
                                data=b"%PDF late", file_name="迟交.pdf",
                                mime_type="application/pdf")
    assert locked.value.reason == "deadline"
    [org] = await accounts.organizations(svc)
    await rounds.extend(svc, 1, round_.id, org.id, dt.datetime(2026, 12, 5, 17, 0))
    saved = await evidence.add_file(svc, 1001, project_id=1, slot_key="union_approval",
                                    data=b"%PDF late", file_name="迟交.pdf",
                                    mime_type="application/pdf")
    assert saved.view.changed == frozenset({"union_approval"})
    actions = [e.action for e in await audit.log(svc)]
    assert actions[-1] == "extension"
