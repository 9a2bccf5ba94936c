"""Word-level evidence about a question: its content words, their weight in the notes, and what it asks for."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from corpus.chunking import Chunk, units
from corpus.text import HIRAGANA_RUN, KANJI, SYMBOL_RUN, comparable, nfkc, word_tokens

# Interrogatives and light verbs: every question has them, so they say nothing about where the answer is.
QUESTION_WORDS = frozenset(
    "何 なに なん どう どれ どの どこ どんな いつ なぜ 誰 ある いる する なる できる でき ます です か くらい ぐらい "
    "what which who whom when where why how is are was were do does did the a an of to in on for and or be by with".split()
)
# A number as an amount: digits that are not part of a code or name (MLA-C01, S3, EC2).
_DIGITS = re.compile(r"(?<![a-z\-\d])\d+(?![a-z\d])")
# Questions that ask for an amount, a count, a time or a date: their answer holds a number.
_ASKS_NUMBER = re.compile(
    r"何\s*[問分点年月日回個人時歳割倍％%]|何か[国月]|何パーセント|いくつ|いくら|どれ(くらい|ほど|だけ)|どの(くらい|程度)|いつ|何時間|"
    r"(時間|期間|回数|割合|件数|点数|金額|料金|スコア)は?\s*[?？]?$|"
    r"\bhow (many|long|much|old)\b|\bwhat percentage\b|\bwhen\b|\bwhat (score|year|date)\b",
    re.IGNORECASE,
)


def content_words(question: str) -> list[str]:
    """The question's words that can point at the answer, in order, without repeats."""
    return [w for w in dict.fromkeys(word_tokens(question)) if w not in QUESTION_WORDS and not SYMBOL_RUN.fullmatch(w)]


# 何 + a unit (何分, 何問, 何か国語): the answer must be a number with that unit.
_COUNTER = re.compile(rf"何\s*(か[{KANJI}]|[{KANJI}\u30a1-\u30fa%])")


def asks_for_number(question: str) -> bool:
    return bool(_ASKS_NUMBER.search(question))


# English questions about Japanese notes: the Japanese unit that "how many X" / "in X" counts in.
_ENGLISH_COUNTERS = {"questions": "問", "minutes": "分", "hours": "時間", "points": "点", "years": "年", "days": "日",
                     "months": "か月", "times": "回", "percent": "%"}
_ENGLISH_COUNTER = re.compile(r"\bhow many (\w+)|\bin (\w+)\s*\??$", re.IGNORECASE)


def asked_counter(question: str) -> str | None:
    """The unit a question counts in (分 for 何分 or "in minutes", か国 for 何か国語), or None."""
    match = _COUNTER.search(nfkc(question))
    if match:
        return match.group(1)
    english = _ENGLISH_COUNTER.search(question)
    return _ENGLISH_COUNTERS.get((english.group(1) or english.group(2)).lower()) if english else None


# Units that count the same thing: 何割 is answered in percent (28%) as often as in 割.
_SAME_UNIT = {"割": ("割", "%"), "%": ("%", "割")}


def _units(counter: str) -> str:
    return "|".join(re.escape(u) for u in _SAME_UNIT.get(counter, (counter,)))


def has_counted_number(text: str, counter: str) -> bool:
    """True when `text` has a number followed by `counter` (90分, 3か国, the 120分 of 90~120分; 28% for 割)."""
    return bool(re.search(r"\d\s*(?:" + _units(counter) + ")", nfkc(text)))


def counted_numbers(question: str, text: str, counter: str) -> list[str]:
    """The amounts in `counter` in `text` (最大60分, 20問, 7年程度), except those the question itself states and the
    upper ends of ranges (1000点 of 「100~1000点中720点」)."""
    stated = set(_DIGITS.findall(comparable(question)))
    amount = re.compile(r"(?<![\d.,~〜\-])(?:約|最大|最小)?\d[\d.,]*\s*(?:" + _units(counter) + ")"
                        r"(?:程度|くらい|ぐらい|ほど|前|後|以上|以下|未満)?")
    found = amount.findall(nfkc(text))
    return [f for f in found if not set(_DIGITS.findall(f)) <= stated]


def has_new_number(question: str, text: str) -> bool:
    """True when `text` holds a number that the question does not already mention."""
    asked = set(_DIGITS.findall(comparable(question)))
    return any(n not in asked for n in _DIGITS.findall(comparable(text)))


def novelty(question: str, text: str) -> int:
    """How many characters of `text` carry content the question does not already have.

    A sentence made only of the question's own words (a heading echo, "(MLA-C01)") cannot hold the answer.
    """
    asked = {comparable(w) for w in word_tokens(question)}
    count = 0
    for word in word_tokens(text):
        word = comparable(word)
        if word in asked or not word or SYMBOL_RUN.fullmatch(word) or HIRAGANA_RUN.fullmatch(word):
            continue
        count += len(word)
    return count


@dataclass(frozen=True)
class Lexicon:
    """Inverse document frequencies of words over the sentences of the notes."""

    document_frequency: dict[str, int]
    documents: int

    @classmethod
    def build(cls, texts: Iterable[str]) -> "Lexicon":
        frequency: Counter[str] = Counter()
        count = 0
        for text in texts:
            frequency.update({comparable(w) for w in word_tokens(text)})
            count += 1
        return cls(dict(frequency), count)

    def idf(self, word: str) -> float:
        """Smoothed IDF; a word absent from the notes gets the largest weight."""
        return math.log((self.documents + 1) / (self.document_frequency.get(comparable(word), 0) + 0.5))

    def coverage(self, words: Iterable[str], text: str) -> float:
        """The IDF-weighted share of `words` found in `text` (substring match on normalised text)."""
        words = list(words)
        total = sum(self.idf(w) for w in words)
        if not total:
            return 0.0
        haystack = comparable(text)
        return sum(self.idf(w) for w in words if comparable(w) in haystack) / total


@dataclass(frozen=True)
class NotesVocabulary:
    """What the notes talk about: word weights, the whole text, and each note's opening (its name and first chunks)."""

    lexicon: Lexicon
    text: str
    leads: dict[str, str]

    @classmethod
    def build(cls, chunks: Iterable[Chunk], lead_chunks: int = 2) -> "NotesVocabulary":
        chunks = list(chunks)
        sentences = [f"{c.heading_path} {s}" for c in chunks for s in units(c.text)]
        leads: dict[str, list[str]] = {}
        for chunk in chunks:
            opening = leads.setdefault(chunk.source, [chunk.source.rsplit(".", 1)[0]])
            if len(opening) <= lead_chunks:
                opening.append(f"{chunk.heading_path} {chunk.text}")
        return cls(
            Lexicon.build(sentences),
            comparable(" ".join(f"{c.heading_path} {c.text}" for c in chunks)),
            {source: comparable(" ".join(parts)) for source, parts in leads.items()},
        )

    def mentions(self, term: str) -> bool:
        return comparable(term) in self.text
