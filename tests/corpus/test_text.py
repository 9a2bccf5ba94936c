"""The one module for text handling: named normal forms, the sliced tagger, character classes, language."""

import re

import pytest

from corpus import text


@pytest.mark.parametrize("raw, comparable, evidence, answer", [
    ("ＭＬＡ－Ｃ０１ の 試験", "mla-c01の試験".replace("-", ""), "MLA-C01の試験", "mla-c01の試験"),
    ("| 試験時間 | 90分 |", "試験時間90分", "試験時間90分", "|試験時間|90分|"),
    ("**720点**。", "720点。", "720点。", "**720点**"),
    ("> 引用 - です", "引用です", ">引用-です", ">引用-です"),
])
def test_named_forms(raw, comparable, evidence, answer):
    assert text.comparable(raw) == comparable
    assert text.evidence_form(raw) == evidence
    assert text.answer_form(raw) == answer


def test_folded_maps_back_to_the_original():
    folded, positions, breaks = text.folded("Ａ B\tｃ")
    assert folded == "abc"
    assert positions == [0, 2, 4]
    assert breaks == frozenset({1, 2})


def test_the_tagger_slices_long_input():
    line = "機械学習のモデルを評価する。" * 2000  # 28,000 characters on one line: more than one slice
    assert len(line) > text.MAX_SLICE
    tokens = text.word_tokens(line)
    assert tokens.count("機械") >= 1990  # a slice edge may cut one word
    assert max(text.word_boundaries(line)) == len(line)


def test_tagged_words_and_boundaries():
    assert ("合格", "名詞") in text.tagged_words("合格ラインは何点ですか")
    bounds = text.word_boundaries("試験時間は90分")
    assert {0, 2, 4, 5}.issubset(bounds)


@pytest.mark.parametrize("sample, lang", [("What is the passing score?", "en"), ("合格ラインは？", "ja"),
                                           ("ｶﾀｶﾅ", "ja"), ("Café au lait", "en"), ("SageMakerとは", "ja")])
def test_language(sample, lang):
    assert text.language(sample) == lang


def test_character_classes():
    word = re.compile(f"[{text.WORD_CHARS}]")
    assert word.match("機") and word.match("カ") and word.match("ー") and word.match("A")
    assert not word.match("の") and not word.match("、")
    assert text.HIRAGANA_RUN.fullmatch("ですか") and not text.HIRAGANA_RUN.fullmatch("です。")
    assert text.has_words("| 90分 |") and not text.has_words("| --- | *** |")


@pytest.mark.parametrize("raw, plain", [
    ("この **fstab** ファイルフォーマット", "この fstab ファイルフォーマット"),
    ("*cron*(8) デーモン", "cron(8) デーモン"),
    ("10M は 10\\*1024\\*1024 です", "10M は 10*1024*1024 です"),
    ("**timeout** \\[*OPTION*\\] *DURATION*", "timeout [OPTION] DURATION"),
    ("[RFC 952](https://example.org) です", "RFC 952 です"),
    ("`max_depth` と max_depth", "max_depth と max_depth"),
    ("合格ライン 720点<br>(目安)", "合格ライン 720点<br>(目安)"),
])
def test_inline_plain_drops_markup_not_words(raw, plain):
    assert text.inline_plain(raw) == plain


def test_options_and_format_directives_are_whole_index_terms():
    assert text.index_terms("**-d**, **--directory**") == ["-d", "--directory", "**,"]
    assert text.index_terms("-a, --all") == ["-a", "--all", ","]  # a and all alone are stop words
    assert text.index_terms("%s 1970 からの秒数")[:2] == ["%s", "1970"]
    assert "-7" in text.index_terms("xz -7 で圧縮")
    # Not inside words, codes, dates or percentages.
    assert text.index_terms("MLA-C01") == ["mla", "-", "c", "01"]  # as before
    terms = text.index_terms("2024-04-01 e-mail 100% -- done")
    assert terms == ["2024", "-", "04", "-", "01", "e", "-", "mail", "100", "--", "done"]
