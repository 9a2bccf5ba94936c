"""English → Japanese look-ups (JMdict, e2k), English word forms, units, and the index terms BM25 counts."""

from __future__ import annotations

import pytest

from corpus.dictionary import english_glosses, english_lemmas, japanese_words, katakana
from corpus.text import index_terms, word_tokens
from corpus.units import MONEY, japanese_units


@pytest.mark.parametrize(
    "english, expected",
    [("exam", "試験"), ("valid", "有効"), ("certification", "認定"), ("minute", "分"), ("epoch", "エポック"), ("score", "点数")],
)
def test_jmdict_translates_english_words(english, expected):
    assert expected in japanese_words(english)


def test_jmdict_puts_common_words_first_and_knows_nothing_of_non_words():
    assert japanese_words("exam")[0] == "試験"
    assert japanese_words("qzxv") == ()
    assert japanese_words("") == ()


def test_jmdict_glosses_japanese_words_in_english():
    assert {"exam", "examination"} <= set(english_glosses("試験"))
    assert "signal" in english_glosses("シグナル")


@pytest.mark.parametrize("english, expected", [("epoch", "エポック"), ("pipe", "パイプ"), ("mode", "モード")])
def test_loanwords_are_spelled_in_katakana(english, expected):
    assert katakana(english) == expected


def test_katakana_needs_a_plain_word():
    assert katakana("MLA-C01") == ""


@pytest.mark.parametrize(
    "word, lemma",
    [("questions", "question"), ("copies", "copy"), ("stopping", "stop"), ("boxes", "box"), ("used", "use"), ("exam", "exam")],
)
def test_english_lemmas_include_the_dictionary_form(word, lemma):
    forms = english_lemmas(word)
    assert forms[0] == word.lower() and lemma in forms


@pytest.mark.parametrize(
    "word, units",
    [("minutes", ("分",)), ("questions", ("問",)), ("years", ("年",)), ("yen", ("円", "¥")), ("dollars", ("USD", "ドル", "$")),
     ("cost", MONEY), ("fee", MONEY), ("exam", ())],
)
def test_units_of_english_words(word, units):
    assert japanese_units(word) == units


def test_index_terms_stem_english_and_drop_its_stop_words():
    assert index_terms("The pipes are piping") == ["pipe", "pipe"]
    assert index_terms("How many questions are on the exam?") == ["mani", "question", "exam"]


def test_index_terms_keep_japanese_words_as_they_are():
    text = "パイプモードの利点は？ 90分"
    assert index_terms(text) == word_tokens(text)
    assert index_terms(text + "、%j") == ["%j", *word_tokens(text)]  # a format directive is one term, first
