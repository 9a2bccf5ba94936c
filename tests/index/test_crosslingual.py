"""Cross-lingual BM25: English questions find Japanese notes through the dictionary, units and katakana."""

from __future__ import annotations

from corpus.text import index_terms
from index.bm25 import BM25Index
from index.crosslingual import CrossLingualExpander, is_name

NOTES = [
    "| 試験時間 | 90分 |",
    "| 受験料 | ¥20,000 (税別) |",
    "| 有効期限 | 3年 |",
    "エポックは訓練データを何回使ったかを表す値。ハイパーパラメータの一つ。",
    "パイプモードではデータをストリーミングする。",
    "SageMakerの試験対策をした。",
]


def _expander() -> CrossLingualExpander:
    return CrossLingualExpander({t for text in NOTES for t in index_terms(text)})


def _alternatives(groups, word):
    return next(g.alternatives for g in groups if g.word == word)


def test_japanese_questions_are_searched_as_written():
    assert _expander().groups("試験時間は何分？") is None


def test_a_unit_becomes_its_counter():
    groups = _expander().groups("How many minutes is the exam?")
    assert ("分",) in _alternatives(groups, "minut")
    assert ("試験",) in _alternatives(groups, "exam")
    assert all(g.word not in ("how", "mani") or len(g.alternatives) == 1 for g in groups)


def test_money_words_become_currencies_the_notes_use():
    assert ("¥",) in _alternatives(_expander().groups("How much does the exam cost?"), "cost")


def test_loanwords_match_the_notes_spelling_without_long_vowel_marks():
    expander = _expander()
    assert ("エポック",) in expander.translations("epoch")
    assert ("ハイパー", "パラメータ") in expander.translations("hyperparameter")  # e2k writes ハイパーパラメーター


def test_only_translations_the_notes_use_are_kept():
    assert _expander().translations("certification") == []


def test_names_and_codes_are_not_translated():
    groups = _expander().groups("Does SageMaker help with the MLA-C01 exam?")
    assert _alternatives(groups, "sagemak") == (("sagemak",),)
    assert _alternatives(groups, "mla-c01") == (tuple(index_terms("MLA-C01")),)
    assert is_name("SageMaker", 5) and is_name("RMSE", 0) and is_name("Redshift", 6) and not is_name("What", 0)


def test_english_question_finds_the_japanese_row():
    bm25 = BM25Index.build(NOTES)
    expander = CrossLingualExpander(bm25.vocabulary)
    for question, row in [("How long is the exam in minutes?", 0), ("How much does the exam cost?", 1),
                          ("For how many years is it valid?", 2), ("What is an epoch?", 3)]:
        assert bm25.search(question, 3) == [] or bm25.search(question, 3)[0][0] != row
        groups = expander.groups(question)
        assert bm25.search_groups([g.alternatives for g in groups], 3)[0][0] == row, question


def test_a_group_scores_its_best_alternative_and_terms_are_averaged():
    bm25 = BM25Index.build(["x y", "z", "u v"])
    one = bm25.search_groups([[("z",)]], 3)
    both = bm25.search_groups([[("z",), ("x",)]], 3)
    assert {row for row, _ in both} == {0, 1} and dict(both)[1] == dict(one)[1]
    assert bm25.search_groups([[("u", "v")]], 3)[0][1] == bm25.search("u v", 3)[0][1] / 2
    assert bm25.search_groups([[("zzz",)]], 3) == []


def test_a_money_word_keeps_its_translations_beside_the_currencies():
    expander = CrossLingualExpander({t for text in [*NOTES, "※料金は毎年4月に見直されます。"] for t in index_terms(text)})
    found = expander.translations("fees")
    assert ("料金",) in found and ("¥",) in found


def test_japanese_queries_get_english_glosses_only_over_notes_partly_in_english():
    english = ["A pipe has a limited capacity.", "A signal is sent to the process."]
    vocabulary = {t for text in [*NOTES, *english] for t in index_terms(text)}
    assert CrossLingualExpander(vocabulary).groups("シグナルはどのプロセスに送られますか？") is None
    groups = CrossLingualExpander(vocabulary, english_notes=True).groups("シグナルはどのプロセスに送られますか？")
    assert ("signal",) in _alternatives(groups, "シグナル") and ("process",) in _alternatives(groups, "プロセス")
    assert CrossLingualExpander({"試験"}, english_notes=True).groups("試験時間は何分？") is None  # no gloss the notes use


def test_two_neighbouring_words_find_the_word_jmdict_glosses_as_their_phrase():
    from corpus.dictionary import japanese_phrases

    assert "受験" in japanese_phrases("take", "exam")  # "taking an examination"
    assert "受験料" in japanese_phrases("exam", "fee")
    assert "隠しファイル" in japanese_phrases("hidden", "files")
    assert "無試験" not in japanese_phrases("take", "exam")  # "not taking an examination" says the opposite
    assert japanese_phrases("exam", "take") == ()  # in the phrase's order only


def test_a_phrase_group_joins_the_word_groups_when_the_notes_use_its_word():
    expander = CrossLingualExpander({t for text in [*NOTES, "2025/02/13に受験しました。"] for t in index_terms(text)})
    groups = expander.groups("When did the author take the exam?")
    assert _alternatives(groups, "take exam") == (("受験",),)
    assert ("試験",) in _alternatives(groups, "exam")  # the words are still searched one by one
    without = CrossLingualExpander({t for t in index_terms("試験時間は90分。")})  # notes that never write 受験
    assert not any(" " in g.word for g in without.groups("When did the author take the exam?"))
