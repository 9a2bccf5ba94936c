"""Quality gates every built item must pass; each returns the name of the first failure, or None."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from corpus.text import comparable, evidence_form, inline_plain, word_tokens

from assistant.quiz.items import BLANK, Item, ItemType

GATES = (
    "shape",
    "key_in_evidence",
    "evidence_in_notes",
    "key_in_stem",
    "repeated_option",
    "all_of_the_above",
    "option_lengths",
    "distractor_stated_right",
    "blank_ambiguous",
    "duplicate_stem",
)
_CATCH_ALL = re.compile(r"(上記の?(すべて|全て|いずれも)|すべて正しい|全て正しい|いずれも(正しい|誤り)|all of the above|none of the above|both of the above)", re.I)
# Share of the stem's content words that a note sentence must repeat before it counts as "about the same thing".
SAME_STATEMENT = 0.6
# Options may differ in length, but not so much that the odd one out gives the key away.
MAX_LENGTH_RATIO = 3.0
LENGTH_SLACK = 8


@functools.lru_cache(maxsize=65536)
def _content(text: str) -> frozenset[str]:
    return frozenset(w for w in word_tokens(text) if len(w) > 1 or not w.isascii())


class NotesText:
    """The notes, as evidence forms of their sentences and of each whole file, for the evidence and distractor gates."""

    def __init__(self, texts: Iterable[str], units: Iterable[str]) -> None:
        texts = list(texts)
        # Evidence is quoted without inline Markdown (**bold**, `code`, \* escapes), as the learner reads it.
        self.forms = [evidence_form(t) for t in texts] + [evidence_form(inline_plain(t)) for t in texts]
        self.units = list(dict.fromkeys(u for u in units if u.strip()))
        self.unit_forms = [comparable(u) for u in self.units]

    def contains(self, evidence: str) -> bool:
        form = evidence_form(evidence)
        return bool(form) and any(form in text for text in self.forms)

    def states_together(self, term: str, clue: str) -> bool:
        """True when some sentence of the notes names `term` and repeats most of the clue's content words."""
        form = comparable(term)
        clue_words = _content(clue)
        if not form or not clue_words:
            return False
        for unit, unit_form in zip(self.units, self.unit_forms):
            if form in unit_form and len(_content(unit) & clue_words) >= SAME_STATEMENT * len(clue_words):
                return True
        return False


    def other_fills(self, blanked: str, key: str, evidence: str) -> list[str]:
        """What else the notes put in the blank: words that fill "prefix ____ suffix" in another sentence."""
        before, _, after = blanked.partition(BLANK)
        before, after = comparable(before)[-12:], comparable(after)[:12]
        if not before and not after:
            return []
        pattern = re.compile(re.escape(before) + "(.{1,60}?)" + re.escape(after))
        own, key_form = comparable(evidence), comparable(key)
        fills = []
        for unit_form in self.unit_forms:
            if unit_form == own:
                continue
            for match in pattern.finditer(unit_form):
                if match.group(1) != key_form:
                    fills.append(match.group(1))
        return fills


def _blank_line(stem: str) -> str:
    return next((line for line in stem.split("\n") if BLANK in line), "")


def _shape(item: Item) -> bool:
    n, answer = len(item.options), item.answer
    if any(not 0 <= a < n for a in answer) and item.type is not ItemType.CLOZE:
        return False
    if list(item.answer_text) != ([item.options[a] for a in answer] if item.options else list(item.answer_text)):
        return False
    if item.type is ItemType.SINGLE:
        return n == 4 and len(answer) == 1
    if item.type is ItemType.MULTIPLE:
        return n >= 5 and 2 <= len(answer) < n and list(answer) == sorted(set(answer))
    if item.type is ItemType.ORDERING:
        return 3 <= n <= 5 and sorted(answer) == list(range(n))
    if item.type is ItemType.MATCHING:
        return 3 <= len(item.prompts) <= 7 and n == len(item.prompts) and sorted(answer) == list(range(n))
    return item.stem.count(BLANK) == 1 and len(item.answer_text) == 1 and (not item.options or len(answer) == 1)


def _key_in_evidence(item: Item) -> bool:
    form = evidence_form(item.evidence)
    return all(evidence_form(t) and evidence_form(t) in form for t in (*item.answer_text, *item.prompts))


def _key_in_stem(item: Item) -> bool:
    stem = comparable(item.stem)
    if item.type is ItemType.ORDERING:
        return comparable("".join(item.answer_text)) not in stem
    if item.type is ItemType.MATCHING:
        return not any(comparable(o) in stem for o in item.options)
    return not any(comparable(t) in stem for t in item.answer_text)


def _repeated_option(item: Item) -> bool:
    for values in (item.options, item.prompts):
        forms = [comparable(v) for v in values]
        if len(set(forms)) != len(forms) or any(not f for f in forms):
            return True
    return False


def _lengths_comparable(item: Item) -> bool:
    if item.type not in (ItemType.SINGLE, ItemType.MULTIPLE):
        return True
    lengths = [len(o) for o in item.options]
    return max(lengths) <= max(MAX_LENGTH_RATIO * min(lengths), min(lengths) + LENGTH_SLACK)


def _distractor_right(item: Item, notes: NotesText) -> bool:
    if item.type not in (ItemType.SINGLE, ItemType.MULTIPLE):
        return False
    keys = {comparable(t) for t in item.answer_text}
    siblings = {comparable(s) for s in item.siblings}
    for option in item.options:
        form = comparable(option)
        if form in keys:
            continue
        if form in siblings:
            return True
        if item.clue and notes.states_together(option, item.clue):
            return True
    return False


def first_failure(item: Item, notes: NotesText, seen_stems: set[str]) -> str | None:
    """The first gate the item fails, in the order of GATES; a passing item's stem is added to `seen_stems`."""
    if not _shape(item):
        return "shape"
    if not _key_in_evidence(item):
        return "key_in_evidence"
    if not notes.contains(item.evidence):
        return "evidence_in_notes"
    if not _key_in_stem(item):
        return "key_in_stem"
    if _repeated_option(item):
        return "repeated_option"
    if any(_CATCH_ALL.search(o) for o in item.options):
        return "all_of_the_above"
    if not _lengths_comparable(item):
        return "option_lengths"
    if _distractor_right(item, notes):
        return "distractor_stated_right"
    if BLANK in item.stem:
        fills = notes.other_fills(_blank_line(item.stem), item.answer_text[0], item.evidence)
        if item.type is ItemType.CLOZE and fills:
            return "blank_ambiguous"
        if any(comparable(o) in f for o in item.options if o not in item.answer_text for f in fills):
            return "distractor_stated_right"
    stem = comparable(item.stem)
    if stem in seen_stems:
        return "duplicate_stem"
    seen_stems.add(stem)
    return None
