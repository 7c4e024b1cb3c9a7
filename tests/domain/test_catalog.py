"""Every text staff read exists in Chinese and English, with the same placeholders."""

from __future__ import annotations

from domain.i18n import LANGS, pick_lang


def test_catalog_is_complete_in_both_languages(catalog):
    assert catalog.problems() == []


def test_every_rubric_text_is_bilingual(rubric):
    for criterion in rubric.criteria:
        assert all(criterion.label.get(lang) for lang in LANGS)
        for item in criterion.items:
            for text in (item.label, item.hint):
                assert all(text.get(lang) for lang in LANGS), item.id
    for rule in rubric.eligibility:
        assert all(rule.message.get(lang) for lang in LANGS), rule.code


def test_language_choice():
    assert pick_lang("en-GB") == "en"
    assert pick_lang("zh-hans") == "zh"
    assert pick_lang(None) == "zh"
    assert pick_lang("de") == "zh"
