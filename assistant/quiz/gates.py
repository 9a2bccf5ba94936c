"""Quality gates every built item must pass; each returns the name of the first failure, or None."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from corpus.text import comparable, evidence_form, inline_plain, tag, word_tokens

from assistant.quiz.glossary import near_variant

from assistant.quiz.items import BLANK, Item, ItemType

GATES = (
    "shape",
    "key_in_evidence",
    "evidence_in_notes",
    "key_in_stem",
    "key_variant_in_stem",
    "fragment_stem",
    "leaning_stem",
    "repeated_option",
    "near_variant_option",
    "all_of_the_above",
    "option_lengths",
    "stem_word_only_in_keys",
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


_GLOSS = re.compile(r"[(（][^)）]*[)）]")
# A stem line around a blank needs this many characters of its own, or it does not say what it asks.
MIN_BLANK_CONTEXT = 10


def _key_variant_in_stem(item: Item) -> bool:
    """True when the stem holds a spelling of a key: the key without its bracketed gloss (「Pruning」 for
    「Pruning(枝刈り)」), or a word within NEAR_VARIANT edits of it (「TensorBoard」 for 「TensorBoad」)."""
    if item.type in (ItemType.ORDERING, ItemType.MATCHING):
        return False
    stem = comparable(item.stem)
    for key in item.answer_text:
        form, bare = comparable(key), comparable(_GLOSS.sub("", key))
        if len(bare) >= 2 and bare != form and bare in stem:
            return True
        if len(form) > 40:
            continue
        for size in (len(form) - 1, len(form), len(form) + 1):
            for start in range(0, max(0, len(stem) - size) + 1):
                window = stem[start : start + size]
                if window[:1] == form[:1] and near_variant(window, key):
                    return True
    return False


def _content_of_blank_line(item: Item) -> str:
    line = _blank_line(item.stem)
    return line.replace(BLANK, item.answer_text[0] if item.answer_text else "")


def is_fragment(sentence: str) -> bool:
    """A clause cut off before its predicate: it ends on a particle, a conjunction, a verb's continuative form
    (「…し」「…すい」), or a noun that introduces a clause (「…場合」「…とき」「…ため」)."""
    words = [w for w in tag(sentence.strip().rstrip("。.")) if w.feature.pos1 not in ("補助記号", "空白")]
    if not words:
        return True
    last = words[-1].feature
    if last.pos1 in ("助詞", "接続詞", "接頭辞", "連体詞"):
        return True
    if last.pos1 == "名詞" and last.pos3 == "副詞可能":
        return True
    return last.pos1 in ("動詞", "形容詞", "助動詞") and str(last.cForm).startswith(("連用形", "未然形"))


def _fragment_stem(item: Item) -> bool:
    if BLANK not in item.stem:
        return False
    line = _blank_line(item.stem)
    own = comparable(line.replace(BLANK, ""))
    return len(own) < MIN_BLANK_CONTEXT or is_fragment(_content_of_blank_line(item))


# A sentence that opens with one of these (or with a demonstrative) leans on the sentence before it, which the stem
# does not show.
LEANING = ("また", "さらに", "そのため", "このため", "しかし", "ただし", "これにより", "それにより", "それ以外", "一方、", "一方で", "一方は", "なお",
           "そして", "つまり", "したがって", "加えて")
# 「このアプローチは…」「その際の…」「これは…」: a demonstrative that points at what the sentence before said.
_DEMONSTRATIVE = re.compile(r"^(この|その|これ|それ|こうした|そうした)(?!ほか|他)")
_TAG = re.compile(r"^【[^】]*】")


def leans_on_previous(sentence: str) -> bool:
    text = inline_plain(sentence).strip().lstrip("「『(（ ")
    return text.startswith(LEANING) or bool(_DEMONSTRATIVE.match(text))


def _leaning_stem(item: Item) -> bool:
    return any(leans_on_previous(_TAG.sub("", line)) for line in item.stem.split("\n"))


# The instruction words of the stems (not the notes' words): options sharing them give nothing away.
_INSTRUCTIONS = ("空欄に入る語句として正しいものはどれか 次の説明に当てはまるものはどれか とは何か として挙げられているものを選べ "
                 "に挙げられているもの 正しい順に並べよ 説明 概要 意味 定義 用途 内容 項目 手法")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*[0-9]?|[0-9]+[A-Za-z][A-Za-z0-9]*")


@functools.lru_cache(maxsize=4096)
def stem_words(stem: str) -> frozenset[str]:
    """The notes' words in a stem, as comparable forms: Latin words (S3, SageMaker) and Japanese content words of two
    characters or more, less the instruction words."""
    text = stem.replace(BLANK, " ")
    latin = {comparable(w) for w in _LATIN_WORD.findall(text) if len(w) > 1}
    japanese = {comparable(w) for w in word_tokens(_LATIN_WORD.sub(" ", text)) if len(w) > 1 and not w.isascii()}
    return frozenset(w for w in latin | japanese if w and w not in _instruction_words())


@functools.cache
def _instruction_words() -> frozenset[str]:
    return frozenset(comparable(w) for w in word_tokens(_INSTRUCTIONS))


def _stem_word_only_in_keys(item: Item) -> bool:
    """A word of the stem that only keys repeat (「S3 Express One Zone」とは何か。 with only the key naming S3; 「分析のために
    遡る期間」 with only ルックバック期間 ending in 期間): the learner picks by the word, not by knowing. A word that keys and
    distractors share, or distractors only (a lure), does not single the keys out."""
    if item.type not in (ItemType.SINGLE, ItemType.MULTIPLE):
        return False
    keys = set(item.answer)
    for word in stem_words(item.stem):
        sharing = {n for n, o in enumerate(item.options) if word in comparable(o)}
        if sharing and sharing <= keys:
            return True
    return False


def _near_variant_option(item: Item) -> bool:
    """A distractor that is a spelling of a key (edit distance ≤ 30 % of the longer word)."""
    keys = list(item.answer_text)
    return any(near_variant(o, k) for o in item.options if o not in keys for k in keys)


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
    if _key_variant_in_stem(item):
        return "key_variant_in_stem"
    if _fragment_stem(item):
        return "fragment_stem"
    if _leaning_stem(item):
        return "leaning_stem"
    if _repeated_option(item):
        return "repeated_option"
    if item.type in (ItemType.SINGLE, ItemType.MULTIPLE) and _near_variant_option(item):
        return "near_variant_option"
    if any(_CATCH_ALL.search(o) for o in item.options):
        return "all_of_the_above"
    if not _lengths_comparable(item):
        return "option_lengths"
    if _stem_word_only_in_keys(item):
        return "stem_word_only_in_keys"
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
