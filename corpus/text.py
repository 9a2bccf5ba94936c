"""Japanese (and English) text handling for every layer: named normal forms, one MeCab tagger, character classes, language."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Iterator

# --- character and particle classes (regular-expression fragments, to be placed inside [...]) ---------------------
HIRAGANA = "\u3040-\u309f"
KATAKANA = "\u30a1-\u30fa\u30fc"  # letters and the long-vowel mark ー, without ・ and the iteration marks
KATAKANA_BLOCK = "\u30a0-\u30ff"
KANJI = "\u4e00-\u9fff"
LATIN_DIGITS = "A-Za-z0-9"
# Characters of words that carry content: kanji, katakana, Latin letters and digits (not particles or kana endings).
WORD_CHARS = KANJI + KATAKANA + LATIN_DIGITS
# One-character case particles, and the clause punctuation that ends a phrase as they do.
PARTICLES = "はがをにでともへやの"
CLAUSE_MARKS = "、。・:："
# Conjunctive endings that may not close an answer span (「…なので」, 「…として」).
TRAILING_CONNECTIVES = ("なので", "ので", "ため", "による", "として", "など")

HIRAGANA_RUN = re.compile(f"[{HIRAGANA}]+")
SYMBOL_RUN = re.compile(r"[\W_]+")
JAPANESE_CHAR = re.compile(f"[{HIRAGANA}{KATAKANA_BLOCK}\u3400-\u9fff\uff66-\uff9f]")
# Markdown markup that never carries content: whitespace, table bars, heading and emphasis marks, quotes, dashes.
MARKUP = re.compile(r"[\s|#*`>\-]+")
# The DESIGN evidence rule ignores only whitespace and | # * `.
_EVIDENCE_IGNORED = re.compile(r"[\s|#*`]+")
_WHITESPACE = re.compile(r"\s+")


# --- named normal forms ----------------------------------------------------------------------------------------------

def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def comparable(text: str) -> str:
    """NFKC, lower case, no whitespace or Markdown markup: the form in which answers and notes are compared."""
    return MARKUP.sub("", nfkc(text).lower())


def evidence_form(text: str) -> str:
    """NFKC without whitespace and | # * ` (DESIGN): the form in which gold evidence spans and chunks are compared."""
    return _EVIDENCE_IGNORED.sub("", nfkc(text))


def answer_form(text: str) -> str:
    """NFKC, lower case, no whitespace, no final 。 (JSQuAD style): the form in which answers are scored."""
    return _WHITESPACE.sub("", nfkc(text).lower()).rstrip("。")


def has_words(text: str) -> bool:
    """True when anything but whitespace and Markdown markup is left."""
    return bool(comparable(text))


def folded(text: str) -> tuple[str, list[int], frozenset[int]]:
    """`text` char by char NFKC lower-cased without whitespace; each kept char's index in `text`; where whitespace was.

    Unlike `comparable`, it keeps one character per character, so a match in the folded text maps back to `text`.
    """
    chars, positions, breaks = [], [], set()
    for i, char in enumerate(text):
        if char.isspace():
            breaks.add(len(chars))
            continue
        chars.append(nfkc(char).lower()[:1])
        positions.append(i)
    return "".join(chars), positions, frozenset(breaks)



# Inline Markdown that is markup, not words: emphasis stars, code ticks, link targets, escapes.
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_MD_EMPHASIS = re.compile(r"\*+|`+")
_ESCAPED = "\x00"


def inline_plain(text: str) -> str:
    """`text` without inline Markdown markup: **bold** and *em* → their words, `code` → code, [text](url) → text,
    \\* → *. Underscores stay (they are part of names such as max_depth)."""
    kept: list[str] = []

    def protect(match: re.Match) -> str:
        kept.append(match.group(1))
        return _ESCAPED
    text = _MD_ESCAPE.sub(protect, text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub("", text)
    pieces = iter(kept)
    return re.sub(_ESCAPED, lambda _: next(pieces), text)

# --- one tagger --------------------------------------------------------------------------------------------------------

# MeCab (through fugashi) crashes the process on one very long input (a segfault from about 600,000 characters
# without a line break), so text is tagged in slices; chunks and questions are far shorter than a slice.
MAX_SLICE = 10_000
# Particles, auxiliaries and punctuation carry no topic; dropping them sharpens BM25.
_NON_CONTENT_POS = {"助詞", "助動詞", "補助記号", "空白"}


@functools.cache
def _tagger():
    import fugashi

    return fugashi.Tagger()


def tag(text: str) -> Iterator[Any]:
    """MeCab (fugashi + UniDic) words of `text`, tagged slice by slice."""
    tagger = _tagger()
    for start in range(0, len(text), MAX_SLICE):
        yield from tagger(text[start : start + MAX_SLICE])


def tagged_words(text: str) -> list[tuple[str, str]]:
    """(surface, part of speech) for each word of the NFKC-normalised text."""
    return [(w.surface, w.feature.pos1) for w in tag(nfkc(text))]


def word_tokens(text: str) -> list[str]:
    """Content-word tokens of `text` (Japanese or English), NFKC and lower-cased: what BM25 and word weights count."""
    tokens = []
    for word in tag(nfkc(text).lower()):
        if word.feature.pos1 in _NON_CONTENT_POS:
            continue
        surface = word.surface.strip()
        if surface:
            tokens.append(surface)
    return tokens


# English words that carry no topic: NLTK's stop-word list, as bm25s ships it (STOPWORDS_EN_PLUS).
_LATIN_WORD = re.compile(r"[a-z][a-z'\-]*")


@functools.cache
def english_stop_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


@functools.cache
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball stemmers in C

    return Stemmer.Stemmer("english")


def english_stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a lower-case English word: pipes, piped, piping → pipe."""
    return _stemmer().stemWord(word)


# A command-line option or a format directive is one term (-d, --directory, -7, %s). MeCab splits it into a mark
# and a word, and the word is often a stop word or glued to Markdown's ** (-a, --all and %s left only -, -- and %).
_CODE_TERM = re.compile(r"(?<![\w%\-])(?:--?[a-z0-9][a-z0-9\-]*|%[a-z])(?!\w)")


def index_terms(text: str) -> list[str]:
    """The terms BM25 counts: options and format directives whole (`_CODE_TERM`), then `word_tokens` of the rest,
    with English words stemmed and without stop words. Japanese words and other marks stay as they are.
    """
    lowered = nfkc(text).lower()
    terms = _CODE_TERM.findall(lowered)
    stop = english_stop_words()
    for token in word_tokens(_CODE_TERM.sub(" ", lowered) if terms else lowered):
        if _LATIN_WORD.fullmatch(token):
            if token in stop:
                continue
            token = english_stem(token)
        terms.append(token)
    return terms


def word_positions(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """One MeCab pass over `text`: (the offsets where a word starts or ends, 0 and len(text) included; the offsets
    where a word starts that counts things, UniDic's 助数詞 and 助数詞可能: 分, 分間, 年間, 問), so that the 分 of 分野
    or the 年 of 年度 can be told from a counter."""
    bounds, counters = {0, len(text)}, set()
    for start, word in tagged_spans(text):
        bounds.update((start, start + len(word.surface)))
        if word.feature.pos3 in ("助数詞", "助数詞可能"):
            counters.add(start)
    return frozenset(bounds), frozenset(counters)


def tagged_spans(text: str) -> Iterator[tuple[int, Any]]:
    """(offset into `text`, MeCab word) for each word of `text` as written (not normalised)."""
    position = 0
    for word in tag(text):
        start = text.find(word.surface, position)
        if start < 0:
            continue
        position = start + len(word.surface)
        yield start, word


def word_boundaries(text: str) -> frozenset[int]:
    """The character offsets in `text` where a word starts or ends (0 and len(text) included)."""
    return word_positions(text)[0]


# --- language ----------------------------------------------------------------------------------------------------------

def language(text: str) -> str:
    """'ja' if the text has any kana or kanji, else 'en'."""
    return "ja" if JAPANESE_CHAR.search(text) else "en"
