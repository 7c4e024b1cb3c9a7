"""The search index's cache (store/search_index.py): the dictionary's words, packed
(``WordTable``), answer as the dict and sets they replace, in memory and from the cache file."""

from __future__ import annotations

import json

from domain.search import near_misses
from store.documents import all_documents
from store.search_index import SPECIFIC_MAX_FREQ, WordTable, build_index, known_near

FREQUENCIES = {"的": 300000, "工会": 5000, "补助": 800, "拨付": 60, "后来": 2000, "以来": 900,
               "电子版": 40, "职工之家": 25, "纸质": 90, "要": 100000}


def test_the_packed_table_answers_as_the_dict_it_replaces():
    table = WordTable.of(FREQUENCIES)
    assert dict(table.items()) == FREQUENCIES
    assert len(table) == len(FREQUENCIES)
    assert table["工会"] == 5000 and table.get("纸质") == 90
    assert "返聘" not in table and table.get("返聘") is None and table.get("职工之家的") is None
    assert sum(table.values()) == sum(FREQUENCIES.values())


def test_specific_and_known_words_are_the_sets_they_replace():
    table = known_near(WordTable.of(FREQUENCIES), ["以来", "补主"])
    assert set(table.specific_words()) == {
        w for w, f in FREQUENCIES.items() if len(w) >= 2 and f < SPECIFIC_MAX_FREQ}
    assert "纸质" in table.specific_words() and "工会" not in table.specific_words()
    expected = near_misses((w for w in FREQUENCIES if len(w) >= 2), ["以来", "补主"])
    assert sorted(table.known_words()) == sorted(expected) == ["后来", "补助"]
    assert len(table.known_words()) == 2 and "以来" not in table.known_words()


def test_the_table_comes_back_from_the_cache_file_as_it_went_in():
    table = known_near(WordTable.of(FREQUENCIES), ["以来"])
    again = WordTable.from_json(json.loads(json.dumps(table.to_json())))
    assert again is not None
    assert dict(again.items()) == FREQUENCIES
    assert set(again.known_words()) == {"后来"}
    nouns = table.with_nouns(["工会", "补助", "的"])
    back = WordTable.from_json(json.loads(json.dumps(nouns.to_json())))
    assert back is not None and set(back.nouns()) == {"工会", "补助"}  # two characters up
    assert set(back.known_words()) == {"后来"}
    assert WordTable.from_json({**table.to_json(), "tags": "n"}) is None  # other tags
    assert WordTable.from_json({"min": 1}) is None  # another threshold: built again
    assert WordTable.from_json({"words": "x"}) is None


def test_an_index_from_the_cache_file_is_the_index_built_without_it(tmp_path):
    documents = all_documents()
    built = build_index(documents, folder=tmp_path)
    cached = build_index(documents, folder=tmp_path)
    question = "退休返聘的人员纸质材料怎么拨付"
    assert cached.query(question) == built.query(question)
    assert set(cached.known_words) == set(built.known_words)
    assert cached.frequency_total == built.frequency_total > 0


def test_a_build_without_the_cache_file_does_not_keep_jiebas_dictionary(tmp_path):
    """jieba's dictionary (350,000 words, about 85 MiB) is loaded for a build the cache file
    does not serve (a first start, a document added) and dropped after it: jieba's
    module-wide tokenizer, which would keep it for the life of the process, stays unloaded."""
    import jieba

    index = build_index(all_documents(), folder=tmp_path)
    assert index.frequency_total > 0 and list(tmp_path.glob("tokens-*.json"))
    assert not jieba.dt.initialized and not jieba.dt.FREQ
