"""Word-level evidence in the notes: word weights (IDF), what the notes mention, and the numbers a text states."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from corpus.chunking import Chunk, note_name
from corpus.text import HIRAGANA_RUN, SYMBOL_RUN, comparable, nfkc, word_positions, word_tokens
from corpus.units import PREFIX_UNITS, english_unit, unit_forms
from index.sentences import Lexicon, notes_text  # the index counts and stores them

# A number as an amount: digits that are not part of a code or name (MLA-C01, S3, EC2).
DIGITS = re.compile(r"(?<![a-z\-\d])\d+(?![a-z\d])")
# Units that count the same thing: 何割 is answered in percent (28%) as often as in 割.
_SAME_UNIT = {"割": ("割", "%"), "%": ("%", "割"), "パーセント": ("%", "パーセント")}

# Values a question asks for with a qualifier (the words that ask for one), and how notes state one: a default
# (「既定のスレッド数」, and 「…3 倍分が…割り当てられます」 states none), a maximum, a minimum.
QUALIFIERS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "default": (re.compile(r"既定|デフォルト|初期値|\bdefault", re.IGNORECASE),
                re.compile(r"既定|デフォルト|初期値|初期設定|省略|(?:指定|設定)(?:され(?:てい)?な|しな|がな)|与えられ(?:てい)?な|default",
                           re.IGNORECASE)),
    "maximum": (re.compile(r"最大|上限|最長|最多|\b(?:at most|maximum|max|up to)\b", re.IGNORECASE),
                re.compile(r"最大|上限|最長|最多|まで|以下|以内|超え|\b(?:limit|max|maximum|up to|at most|cap)", re.IGNORECASE)),
    "minimum": (re.compile(r"最小|最低|下限|\b(?:at least|minimum)\b", re.IGNORECASE),
                re.compile(r"最小|最低|下限|以上|少なくとも|\b(?:at least|minimum|min)\b", re.IGNORECASE)),
}


def asked_qualifiers(question: str) -> tuple[str, ...]:
    """The qualifiers (QUALIFIERS) a question asks its value with: default of 「既定のスレッド数は」."""
    return tuple(name for name, (asked, _) in QUALIFIERS.items() if asked.search(question))


def states_qualifier(name: str, text: str) -> bool:
    """Does `text` state the qualifier `name` (デフォルト, 省略時, 上限, "at least")?"""
    return bool(QUALIFIERS[name][1].search(text))


# English numbers written as words ("six domains", "four bytes").
_NUMBER_WORDS = ("zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
                 "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand")


def _unit_forms(counter: str) -> tuple[str, ...]:
    """A Japanese counter (分, 割: also its English words, minute, minutes) or the unit key of an English question
    (minute, money: corpus.units) as its forms."""
    if re.search("[A-Za-z]", counter):
        return unit_forms(counter)
    # notes written partly in English count in English words (31 bits for 何ビット)
    english = unit_forms(key) if (key := english_unit(counter)) else ()
    return tuple(dict.fromkeys((*_SAME_UNIT.get(counter, (counter,)), *english)))


def _units(counter: str) -> str:
    return "|".join(re.escape(u) for u in _unit_forms(counter) if u not in PREFIX_UNITS)


def _counted(counter: str, whole: bool = True) -> re.Pattern:
    """A number in `counter`: digits then a Japanese counter (90分); for English units also a number word, up to two
    words between it and the unit (four bytes, 33 different real-time signals), and ¥ or $ before the digits.
    `whole`: an amount with its qualifiers (最大60分, 7年程度), never the upper end of a range (the 1000点 of 100~1000点)."""
    forms = _unit_forms(counter)
    after = (r"(?<![\d.,~〜\-])(?:約|最大|最小)?(\d[\d.,]*)" if whole else r"(\d)") + r"\s*(?P<unit>" + _units(counter) + ")"
    after += r"(?:程度|くらい|ぐらい|ほど|前|後|以上|以下|未満)?" if whole else ""
    if not any(f.isascii() and f.isalpha() for f in forms):
        return re.compile(after)
    english = rf"\b(?P<english>\d[\d.,]*|(?:{_NUMBER_WORDS}))(?:[\s\-]+[a-z\-]+){{0,2}}?\s+(?:{_units(counter)})\b"
    prefix = [re.escape(f) for f in forms if f in PREFIX_UNITS]
    before = [rf"(?:{'|'.join(prefix)})\s*\d[\d.,]*"] if prefix else []
    return re.compile("|".join([*before, after + r"(?![a-z])", english]), re.IGNORECASE)


def _counted_in(text: str, pattern: re.Pattern) -> list[re.Match]:
    """The matches of a `_counted` pattern in `text` whose Japanese counter is a word: one that counts (the 分 of 90分,
    90分間) or a whole word (問 of 65問中), not the first character of another word (「第 1 分野」 is no duration,
    nor 分析, nor the 年 of 2024年度)."""
    matches = list(pattern.finditer(text))
    japanese = [m for m in matches if m.groupdict().get("unit") and not m.group("unit")[-1].isascii()]
    if not japanese:
        return matches
    bounds, counters = word_positions(text)
    return [m for m in matches if m not in japanese or m.start("unit") in counters
            or {m.start("unit"), m.end("unit")} <= bounds]


def has_counted_number(text: str, counter: str) -> bool:
    """True when `text` has a number followed by `counter` (90分, 3か国, the 120分 of 90~120分; 28% for 割;
    four bytes, ¥20,000 for English units)."""
    return bool(_counted_in(nfkc(text), _counted(counter, whole=False)))


# The upper end of a range in the same unit (「5 % から 20 %」, 「90~120分」 written 90分~120分), and the 「中」 that makes
# a range a scale instead of an amount (「100~1000点中720点」).
_OUT_OF = re.compile(r"\s*(?:中|のうち)")


def _range_end(counter: str) -> re.Pattern:
    """The rest of a range after its first amount: 「から 20 %」, 「~120分」."""
    return re.compile(r"\s*(?:から|~|〜|–|to)\s*\d[\d.,]*\s*(?:" + _units(counter) + ")")


def counted_numbers(stated: frozenset[str], text: str, counter: str) -> list[str]:
    """The amounts in `counter` in `text` (最大60分, 20問, 7年程度), except those made only of the `stated` numbers
    (the question's own) and the upper ends of ranges (1000点 of 「100~1000点中720点」); a range in one unit is one
    amount (「5 % から 20 %」) unless 中 makes it a scale. An English amount with words between number and unit is the
    number alone (33 of "33 different real-time signals")."""
    found = []
    text = nfkc(text)
    upper_end = -1
    for match in _counted_in(text, _counted(counter)):
        if match.start() < upper_end:
            continue  # the upper end of a range already taken whole
        amount = match.group()
        if len(amount.split()) > 2 and match.groupdict().get("english"):
            amount = match.group("english")
        elif (upper := _range_end(counter).match(text, match.end())) and not _OUT_OF.match(text, upper.end()):
            amount, upper_end = text[match.start() : upper.end()], upper.end()  # a range is one amount: 「5 % から 20 %」
        found.append(amount)
    return [f for f in found if not set(DIGITS.findall(f)) <= stated or not DIGITS.search(f)]


# A number written as a word: English number words, kanji numerals (二つ, 一度).
NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b|[一二三四五六七八九十百千万]", re.IGNORECASE)


def states_an_amount(question: str, text: str) -> bool:
    """Does `text` state an amount beyond the numbers of `question`: a number it writes more often than the question
    does (the second 1 of 「1 行に 1 つ」 for 「1 行にはいくつ」), or a number word (two, 三つ)? A version or a manual
    section is no amount (「removed in Linux 2.6.35」 for 「デフォルト値はいくつ」)."""
    asked = Counter(DIGITS.findall(nfkc(question).lower()))
    written = Counter(DIGITS.findall(nfkc(without_references(text)).lower()))
    return any(count > asked[n] for n, count in written.items()) or bool(NUMBER_WORD.search(text))


def has_new_number(stated: frozenset[str], text: str) -> bool:
    """True when `text` holds a number that is not among the `stated` ones (the question's own)."""
    return any(n not in stated for n in DIGITS.findall(nfkc(text).lower()))  # spaces kept: "33 different"


# A manual section after a name (inetd(8), **write**(2)): a reference to a page, not an amount.
_MANUAL_SECTION = re.compile(r"(?<=[\w*])\(\d[a-z]*\)")
# A version (Linux 2.6.34, version 4.9, 5.2.0): the release something came with, not an amount.
_VERSION = re.compile(r"\b(?:Linux|version|バージョン|v)\s*\d+(?:\.\d+)+|\b\d+\.\d+\.\d+\b", re.IGNORECASE)
# A number written as a word before what it counts (two pages, 二つ, 三個); not one, which is mostly a pronoun.
_COUNTED_WORD = re.compile(rf"\b(?!one\b)(?:{_NUMBER_WORDS})\s+[a-z]|[二三四五六七八九十百千]+(?:つ|個|件|回|台|種類|倍)",
                           re.IGNORECASE)


def without_references(text: str) -> str:
    """`text` without the numbers that name a release or a page rather than count (Linux 2.6.34, inetd(8))."""
    return _VERSION.sub("", _MANUAL_SECTION.sub("", text))


def has_new_amount(stated: frozenset[str], text: str) -> bool:
    """Does `text` state an amount the question does not: a new number that is no manual section or version, or a
    number word with what it counts (「対応する項目が二つ」, "the lower limit is two pages")?"""
    text = without_references(text)
    return has_new_number(stated, text) or bool(_COUNTED_WORD.search(text))


def novelty(asked: frozenset[str], text: str) -> int:
    """How many characters of `text` carry content beyond the `asked` words (the question's, in comparable form).

    A sentence made only of the question's own words (a heading echo, "(MLA-C01)") cannot hold the answer.
    """
    count = 0
    for word in word_tokens(text):
        word = comparable(word)
        if word in asked or not word or SYMBOL_RUN.fullmatch(word) or HIRAGANA_RUN.fullmatch(word):
            continue
        count += len(word)
    return count


# A note named by a word shorter than this (a one-letter file) is not told apart from the question's other words.
MIN_NOTE_NAME = 2


def note_names(source: str) -> tuple[str, ...]:
    """How a question may name a note, NFKC and lower case: its file name without the extension, and that name up to
    a trailing section number and up to its first dot (resolv.conf.5 → resolv.conf.5, resolv.conf, resolv)."""
    name = nfkc(note_name(source)).lower()
    forms = (name, re.sub(r"\.\d+$", "", name), name.split(".", 1)[0])
    return tuple(f for f in dict.fromkeys(forms) if len(f) >= MIN_NOTE_NAME)


# Characters that would make a name found in a question part of a longer word (xzdec, utf-8.7 in /usr/utf-8.7).
_NAME_CHARS_AFTER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_NAME_CHARS_BEFORE = _NAME_CHARS_AFTER | {".", "/"}


@dataclass(frozen=True)
class NotesVocabulary:
    """What the notes talk about: word weights, the whole text, and each note's opening (its name and first chunks)."""

    lexicon: Lexicon
    text: str
    leads: dict[str, str]
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # each note's names (see `note_names`)

    @classmethod
    def build(cls, chunks: Iterable[Chunk], lead_chunks: int = 2, lexicon: Lexicon | None = None,
              text: str | None = None) -> "NotesVocabulary":
        """`lexicon` and `text`: the word weights and notes text stored with the index, if it has them (else they are
        computed here; both take seconds over a large folder)."""
        chunks = list(chunks)
        leads: dict[str, list[str]] = {}
        for chunk in chunks:
            opening = leads.setdefault(chunk.source, [chunk.source.rsplit(".", 1)[0]])
            if len(opening) <= lead_chunks:
                opening.append(f"{chunk.heading_path} {chunk.text}")
        return cls(
            Lexicon.of_chunks(chunks) if lexicon is None else lexicon,
            notes_text(chunks) if text is None else text,
            {source: comparable(" ".join(parts)) for source, parts in leads.items()},
            {source: note_names(source) for source in leads} if len(leads) > 1 else {},
        )

    @functools.cached_property
    def _notes_by_name(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for source, names in self.names.items():
            for name in names:
                found.setdefault(name, set()).add(source)
        return found

    @functools.cached_property
    def _name_lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(name) for name in self._notes_by_name}))

    def named_notes(self, question: str) -> frozenset[str]:
        """The notes whose name the question writes as a word (date.1.md for 「date コマンドの作者は？」): a name not
        inside a longer name-like run (a letter, digit, _, -, . or / before it; a letter, digit, _ or - after it).
        Looked up by position and length, so the cost does not grow with the number of notes."""
        text = nfkc(question).lower()
        found: set[str] = set()
        for start in range(len(text)):
            if start and text[start - 1] in _NAME_CHARS_BEFORE:
                continue
            for length in self._name_lengths:
                end = start + length
                if end > len(text):
                    break
                if (end == len(text) or text[end] not in _NAME_CHARS_AFTER) and (notes := self._notes_by_name.get(text[start:end])):
                    found |= notes
        return frozenset(found)

    def mentions(self, term: str) -> bool:
        return comparable(term) in self.text
