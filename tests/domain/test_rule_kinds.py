"""Rule kinds own their behaviour: each kind in the one table answers what the walk, the
evidence reader and the scorer ask, so a new kind is one class and its TOML."""

from __future__ import annotations

from collections import Counter

from domain.rubric import RULE_KINDS, Held


def test_every_item_of_the_standard_answers_through_its_kind(rubric):
    held = Held(frozenset(), frozenset(), Counter(), {})
    for item in rubric.items:
        rule = item.rule
        assert RULE_KINDS[rule.kind] is type(rule)
        assert rule.step in ("files", "rate", "entries")
        assert rule.score(rule.value_from(item.id, held)) == 0  # nothing held, nothing scored
        assert not rule.capped(rule.value_from(item.id, held))
        assert len(rule.slot_kinds()) >= 1
        points, top = rule.slot_points(0, has_files=False)
        assert points == 0 and 0 < top <= item.max


def test_values_are_read_from_records_by_each_kind(rubric):
    held = Held(frozenset({"study_records", "satisfaction_rate"}),
                frozenset({("project_documents", "contract")}),
                Counter({("media_reports", "national"): 4}),
                {"satisfaction_rate": 92.0})
    values = {i.id: i.rule.value_from(i.id, held) for i in rubric.items}
    assert values["study_records"] is True and values["activity_materials"] is False
    assert values["project_documents"] == frozenset({"contract"})
    assert values["satisfaction_rate"] == 92.0
    assert values["media_reports"] == {"national": 4}
    assert rubric.item("media_reports").rule.capped(values["media_reports"])
    assert len(rubric.evidence_slots) == 13
