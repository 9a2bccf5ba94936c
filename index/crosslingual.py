"""Cross-lingual lexical queries: each word of an English question with the Japanese words the notes may use for it.

BM25 never matches "exam" against 試験. A question is turned into term groups, one per word: the word's own index
term, plus its JMdict translations (exam → 試験), its katakana spelling (epoch → エポック) and, for a unit, the
counter that follows a number in Japanese (minutes → 分), each kept only when the notes' vocabulary has all its terms;
two neighbouring words also make a group of the words JMdict glosses as that phrase (take … exam → 受験, hidden
files → 隠しファイル). A chunk scores the sum over groups of its best alternative in each group
(a structured query: the translations of one word count as synonyms, so a word with many translations weighs no
more than a word with one).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from corpus.dictionary import english_glosses, english_lemmas, japanese_phrases, japanese_words, katakana
from corpus.units import is_money_word, japanese_units
from corpus.text import HIRAGANA_RUN, KANJI, KATAKANA, english_stem, english_stop_words, index_terms, language, nfkc

# From this share of chunks written in English, a Japanese query is also searched with its words' English glosses.
ENGLISH_NOTES_SHARE = 0.1
# Translations kept per English word, in JMdict order (common words first), among those the notes use.
MAX_TRANSLATIONS = 6
# Interrogatives and the words that close them ("how many", "how long"): they frame the question, not its topic.
ENGLISH_QUESTION_WORDS = frozenset(
    "how what which who whom whose when where why many much long often old kind type called mean means".split()
)
_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")
_CODE = re.compile(r"[A-Za-z0-9]+(?:[\-.][A-Za-z0-9]+)+")
_KATAKANA_WORD = re.compile(f"[{KATAKANA}]+")
# Japanese content words worth a dictionary look-up: kanji and katakana (not kana endings, digits or Latin letters).
_JAPANESE_WORD = re.compile(f"[{KANJI}{KATAKANA}]+")
# Long-vowel marks and middle dots vary between writers (パラメータ / パラメーター): katakana are compared without them.
_KATAKANA_VARIANTS = str.maketrans("", "", "ー・")


@dataclass(frozen=True)
class TermGroup:
    """One word of the query and the ways the notes may write it; each alternative is the index terms of one."""

    word: str
    alternatives: tuple[tuple[str, ...], ...]


def _katakana_key(word: str) -> str:
    return word.translate(_KATAKANA_VARIANTS)


def is_name(word: str, position: int) -> bool:
    """A name or code written as in the notes (SageMaker, RMSE, S3), not a word to translate: capitals inside,
    all capitals, or a capital away from the question's start."""
    return word[1:] != word[1:].lower() or (word[:1].isupper() and position > 0)


class CrossLingualExpander:
    """Builds term groups for queries over one index, whose BM25 vocabulary says which translations are worth trying."""

    def __init__(self, vocabulary: Collection[str], english_notes: bool = False) -> None:
        """`english_notes`: enough of the notes are in English that Japanese queries are also searched in English."""
        self.vocabulary = frozenset(vocabulary)
        self.english_notes = english_notes
        self._katakana: dict[str, str] = {}
        for term in self.vocabulary:
            if _KATAKANA_WORD.fullmatch(term):
                self._katakana.setdefault(_katakana_key(term), term)

    def groups(self, query: str) -> tuple[TermGroup, ...] | None:
        """The query's term groups, or None when it is searched as it is written (a Japanese query none of whose
        words the notes also use in English)."""
        if language(query) != "en":
            return self._japanese_groups(query) if self.english_notes else None
        text = nfkc(query)
        groups: dict[str, list[tuple[str, ...]]] = {}
        # A code of several parts (MLA-C01, 2.6.11) is one word: its terms together make one alternative.
        for part in re.split(f"({_CODE.pattern})", text):
            terms = index_terms(part)
            if _CODE.fullmatch(part) and terms:
                groups.setdefault(part.lower(), [tuple(terms)])
            else:
                for term in terms:
                    groups.setdefault(term, [(term,)])
        stop = english_stop_words()
        previous = None  # the content word before this one, for two-word phrases
        for match in _ENGLISH_WORD.finditer(text):
            word = match.group()
            lower = word.lower()
            if lower in stop:
                continue
            if lower in ENGLISH_QUESTION_WORDS or is_name(word, match.start()):
                previous = None
                continue
            found = self.translations(lower)
            if found:
                groups.setdefault(english_stem(lower), [(english_stem(lower),)]).extend(found)
            if previous is not None:
                phrase = [terms for w in japanese_phrases(previous, lower)[:MAX_TRANSLATIONS] if (terms := self._known_terms(w))]
                if phrase:
                    groups.setdefault(f"{previous} {lower}", []).extend(phrase)
            previous = lower
        return tuple(TermGroup(word, tuple(dict.fromkeys(alternatives))) for word, alternatives in groups.items())

    def _japanese_groups(self, query: str) -> tuple[TermGroup, ...] | None:
        """A Japanese query over notes that are (partly) English: each word also as its JMdict English glosses that
        the notes use (シグナル → signal). None when no word has one, so Japanese notes are searched as before."""
        groups: dict[str, list[tuple[str, ...]]] = {}
        translated = False
        for term in index_terms(query):
            alternatives = groups.setdefault(term, [(term,)])
            if len(term) < 2 or not _JAPANESE_WORD.fullmatch(term):
                continue
            for _, terms in self.known_glosses(term):
                if terms not in alternatives:
                    alternatives.append(terms)
                    translated = True
        if not translated:
            return None
        return tuple(TermGroup(word, tuple(alternatives)) for word, alternatives in groups.items())

    def known_glosses(self, japanese: str) -> list[tuple[str, tuple[str, ...]]]:
        """The JMdict English glosses of a Japanese word that the notes use (the first MAX_TRANSLATIONS senses), each
        with its index terms: シグナル → [("signal", ("signal",))]."""
        found = []
        for gloss in english_glosses(japanese)[:MAX_TRANSLATIONS]:
            terms = tuple(index_terms(gloss))
            if terms and all(t in self.vocabulary for t in terms):
                found.append((gloss, terms))
        return found

    def translations(self, word: str) -> list[tuple[str, ...]]:
        """The Japanese ways of writing an English word that this index's notes use, each as index terms.

        A unit is written as its counter (minutes → 分, not the 議事録 of a meeting's minutes); any other word as its
        dictionary translations, from the first of its forms that the notes use, and its katakana spelling; a word
        that asks for money (cost, fee) also as the currencies the notes use (円, ¥).
        """
        units = [terms for unit in japanese_units(word) if (terms := self._known_terms(unit))]
        if units and not is_money_word(word):
            return list(dict.fromkeys(units))
        found: list[tuple[str, ...]] = []
        for lemma in english_lemmas(word):
            candidates = [w for w in japanese_words(lemma) if not HIRAGANA_RUN.fullmatch(w)]
            found = [terms for w in candidates if (terms := self._known_terms(w))][:MAX_TRANSLATIONS]
            if found:
                break
        spelled = self._katakana_terms(katakana(word))
        if spelled and spelled not in found:
            found.append(spelled)
        return list(dict.fromkeys([*found, *units]))

    def _known_terms(self, japanese: str) -> tuple[str, ...] | None:
        terms = tuple(index_terms(japanese))
        return terms if terms and all(t in self.vocabulary for t in terms) else None

    def _katakana_terms(self, spelled: str) -> tuple[str, ...] | None:
        """The index terms of a katakana spelling, each matched to the notes' own spelling of it (ー and ・ aside)."""
        if not spelled:
            return None
        terms = []
        for term in index_terms(spelled):
            known = self._katakana.get(_katakana_key(term))
            if known is None:
                return None
            terms.append(known)
        return tuple(terms) or None
