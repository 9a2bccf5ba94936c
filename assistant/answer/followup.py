"""Follow-up questions: a question that lacks its subject is completed from the earlier turns of the conversation."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from corpus.chunking import HEADING_SEPARATOR, Chunk
from corpus.errors import InputError
from corpus.text import comparable, english_stop_words, language, nfkc, tag, tagged_words

from assistant.answer.english import counted_noun
from assistant.answer.question import Question, names_a_concept

# A conversation longer than this is cut to its last turns: older turns no longer decide what "it" means.
MAX_TURNS = 20
# Japanese pronouns that stand for the topic (それ, これら) or point at it (その + noun), as the tagger tags them: so
# that それぞれ, あれば and これまで are not taken for one.
_JA_PRONOUNS = frozenset({"それ", "これ", "あれ"})
_JA_DEMONSTRATIVES = frozenset({"その", "この", "あの"})
_NOT_AFTER_PRONOUN = frozenset({"まで", "から", "ほど", "くらい", "ぐらい"})  # これまで, それから: time, not a thing
_EN_PRONOUN = re.compile(r"\b(it|this|that|they|them|its|their)\b", re.IGNORECASE)
_EN_POSSESSIVE = {"its", "their"}
_EN_PLURAL = {"they", "them"}
_EN_END = re.compile(r"\s*[?？.!]*\s*$")
# A run of names written as one (SageMaker Inference Recommender, S3 Express One Zone).
_EN_NAME_RUN = re.compile(r"[A-Z0-9][A-Za-z0-9.\-]*(?: [A-Z0-9][A-Za-z0-9.\-]*)*")
# "What is X?", "What are X?", "Define X": a question that asks what something is names its own subject.
_EN_DEFINITION = re.compile(r"^\s*(?:what\s+(?:is|are)\s+(?!it\b|this\b|that\b|they\b)|define\s+|explain\s+)", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation; the answer is optional."""

    question: str
    answer: str | None = None


@dataclass(frozen=True)
class Resolution:
    """The question as understood against the conversation, and why."""

    question: str
    topic: str | None  # the subject carried over from the history; None when the question stands alone
    reason: str  # "no history", "own subject", "new topic", "pronoun", "ellipsis", "aspect" or "sibling"

    @property
    def changed(self) -> bool:
        return self.topic is not None


def parse_history(value: Any, where: str = "history") -> tuple[Turn, ...]:
    """A JSON list of {"question": str, "answer": str (optional)} as Turns, oldest first; InputError names the fault."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(f"{where} must be a list of turns like {{\"question\": \"…\", \"answer\": \"…\"}}, got {type(value).__name__}")
    turns = []
    for number, turn in enumerate(value, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("question"), str) or not turn["question"].strip():
            raise InputError(f"{where}: turn {number} needs a non-empty \"question\" string")
        answer = turn.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise InputError(f"{where}: turn {number} has an \"answer\" that is not a string")
        turns.append(Turn(turn["question"].strip(), answer))
    return tuple(turns[-MAX_TURNS:])


def subject_terms(question: Question) -> list[tuple[str, bool]]:
    """What a question names as its subject, each with whether it names a concept (a name, a loanword, a kanji compound
    of 3+ kanji) rather than an attribute (時間, 料金): names and codes first, then the noun compounds of its opening
    phrase (for English questions, its longer content words)."""
    terms = [(name, True) for name in question.names]
    if question.language == "ja":
        terms += [("".join(c), any(names_a_concept(w, c) for w in c)) for c in question.topic]
    else:
        defines = bool(_EN_DEFINITION.match(question.text))
        terms += [(w, defines) for w in question.content_words if w.isalpha() and len(w) > 2]
    seen: dict[str, bool] = {}
    for term, concept in terms:
        if comparable(term):
            seen[term] = seen.get(term, False) or concept
    return list(seen.items())


# A code in a question: not inside another word, then letters, digits and the marks that join them.
_CODE_START = r"(?<![A-Za-z0-9_/@%\-])"  # Japanese text glues a code to its particle: the SHELL of 「cronのSHELL」
_CODE_BODY = r"[A-Za-z0-9_][A-Za-z0-9_./\-]*"
# A path or an option names its subject whole, its leading marks included (/etc/hosts, --indicator-style).
_MARKED_CODE = re.compile(rf"{_CODE_START}(?:/|--?){_CODE_BODY}")


def topic_phrase(question: Question) -> str | None:
    """The phrase naming the question's subject, as written: 「SageMakerの早期停止」 of 「SageMakerの早期停止とは？」;
    a path or an option (/etc/hosts, --indicator-style) with its marks."""
    if question.language != "ja" and (code := _MARKED_CODE.search(nfkc(question.text))):
        return code.group()
    if question.language != "ja":
        text = question.text
        runs = [(_without_opening_word(m.group()) if m.start() == 0 else m.group()) + _common_head(text, m)
                for m in _EN_NAME_RUN.finditer(text)]
        runs = [r for r in runs if r]
        names = [r for r in runs if any(comparable(n) in comparable(r) for n in question.names)]
        if names:
            return max(names, key=len)
        terms = subject_terms(question)
        return terms[0][0] if terms else None
    words = [w for compound in question.topic for w in compound]
    text = nfkc(question.text)
    if question.names:
        words.insert(0, question.names[0])
    if not words:
        return None
    start = min((text.find(w) for w in words if w in text), default=-1)
    if start < 0:
        return None
    while start > 0 and text[start - 1] in "/-@%":  # the marks of a path or an option belong to it
        start -= 1
    end = max(text.find(w, start) + len(w) for w in words if text.find(w, start) >= 0)
    return text[start:end].strip() or None


class FollowUpResolver:
    """Completes follow-up questions; `chunks` (the index's) tell an aspect of the current subject from a new one."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        chunks = list(chunks)
        self._texts = [comparable(f"{c.heading_path} {c.text}") for c in chunks]
        self._headings = {comparable(h) for c in chunks for h in c.heading_path.split(HEADING_SEPARATOR)}

    def resolve(self, question: str, history: Sequence[Turn]) -> Resolution:
        """`question` as understood after `history` (oldest first); each earlier turn is resolved the same way."""
        topic: str | None = None
        counted: str | None = None  # what the last turn counted (questions of "How many questions …?")
        previous: str | None = None  # the last turn as understood
        for turn in history:
            asked = Question.analyse(turn.question)
            understood = self._resolve_one(asked, topic, counted)
            if (sibling := _sibling_question(turn.question, previous)) is not None:
                understood = Resolution(sibling, topic, "sibling")
            previous = understood.question
            counted = counted_noun(understood.question)
            # 「その中でHyperbandの特徴は？」 points back at the topic but names a subject of its own: that names the
            # conversation's subject from here on, not the whole phrase the pronoun was replaced by.
            own = _named_subject(asked) if understood.reason == "pronoun" else None
            topic = own or topic_phrase(Question.analyse(understood.question)) or topic
        if topic is None:
            return Resolution(question, None, "no history")
        if (sibling := _sibling_question(question, previous)) is not None:
            return Resolution(sibling, topic, "sibling")
        return self._resolve_one(Question.analyse(question), topic, counted)

    def _resolve_one(self, question: Question, topic: str | None, counted: str | None = None) -> Resolution:
        text = question.text
        if topic is None:
            return Resolution(text, None, "no history")
        if (pronoun := _with_pronoun_replaced(question, topic, counted)) is not None:
            return Resolution(pronoun, topic, "pronoun")
        own = subject_terms(question)
        if not own:
            return Resolution(_completed(question, topic, aspect=False), topic, "ellipsis")
        carried, head = comparable(topic), comparable(_head_of(topic))
        if any(comparable(t) in carried or carried in comparable(t) for t, _ in own):
            return Resolution(text, None, "own subject")
        # A concept that the notes never mention beside the current subject starts a new topic; an attribute
        # (時間, 合格ライン of the same exam) or a concept discussed with the subject (コールドスタート of サーバーレス推論) is an
        # aspect of the current one. The subject is the topic's head (MLA-C01 of 「MLA-C01の試験要項」) or its last part
        # (試験要項, whose passage gives 試験時間; attempts of 「resolv.conf の options attempts」, whose passage gives its
        # デフォルト): an aspect of the last part keeps the whole topic.
        # A name beside a name (@weekly after @reboot) is a sibling, not an aspect, so only the head counts for names.
        tail = comparable(_tail_of(topic))
        names = {comparable(n) for n in question.names} | {comparable(t) for t, _ in own if t.isascii()}
        concepts = [comparable(t) for t, concept in own if concept]
        aspects_of_tail = [t for t in concepts if t not in names and tail != head and self._together(t, tail)]
        if any(not self._together(t, head) and t not in aspects_of_tail for t in concepts):
            return Resolution(text, None, "new topic")
        of_tail = any(not self._together(t, head) for t in aspects_of_tail)
        # A last part that names a concept heading a section of the notes (マテリアライズド・ビュー) is a subject; an
        # attribute (試験時間, デフォルト) or a generic section (書式) is not.
        tail_words = [w for w, pos in tagged_words(_tail_of(topic)) if pos == "名詞"]
        keep_tail = (tail in self._headings and any(names_a_concept(w, tail_words) for w in tail_words)) \
            or bool(_MARKED_CODE.fullmatch(_tail_of(topic)))  # an option or a path is a subject of its own
        return Resolution(_completed(question, topic, aspect=not of_tail, keep_tail=keep_tail), topic, "aspect")

    def _together(self, term: str, head: str) -> bool:
        """Do the notes mention `term` and `head` in one chunk (an aspect of the current subject)?"""
        return bool(term and head) and any(term in t and head in t for t in self._texts)


# A follow-up that only names another thing of the same kind: 「SIGQUIT は？」, "And /var/tmp?", "What about -k?".
_JA_SIBLING = re.compile(r"^\s*(?:じゃあ|では|それでは)?\s*(?P<name>[^\s、。？?]+?)\s*(?:は|だと|の場合は|の(?:方|ほう)(?:は|だと))\s*[？?]?\s*$")
_EN_SIBLING = re.compile(r"^\s*(?:and|what about|how about)\s+(?P<name>\S+?)\s*[?？.]?\s*$", re.IGNORECASE)
# A name or code: a signal, a path, an option, a cron keyword, a format sequence (SIGINT, /var/tmp, -k, @weekly, %V).
_CODE = re.compile(rf"{_CODE_START}(?:[@/%]|--?)?{_CODE_BODY}")


def _shape(code: str) -> str:
    """What kind of code a name is, by its first character: a path, an option, a keyword, a sequence, a number,
    capitals (an exit status 1 is a sibling of 2, not of the command ls)."""
    first = code[:1]
    return first if first in "/-@%" else "0" if code.isdigit() else "A" if code[:2].isupper() else "a"


def _sibling_question(question: str, previous: str | None) -> str | None:
    """The previous question asked again of another thing of the same kind (「signal(7) で SIGINT のデフォルト動作は？」
    then 「SIGQUIT は？」 → 「signal(7) で SIGQUIT のデフォルト動作は？」), or None when `question` is more than a name."""
    if previous is None:
        return None
    japanese = _JA_SIBLING.match(nfkc(question))
    match = japanese or _EN_SIBLING.match(nfkc(question))
    name = match.group("name") if match else ""
    if not _CODE.fullmatch(name):
        return _noun_sibling(name, previous) if japanese else None
    same = [m for m in _CODE.finditer(previous) if _shape(m.group()) == _shape(name) and m.group() != name]
    if not same:
        return None
    common = lambda m: len(os.path.commonprefix([m.group().lower(), name.lower()]))
    best = max(reversed(same), key=common)  # the most alike, the last of ties
    return previous[: best.start()] + name + previous[best.end():]


# The parts of speech of a noun compound (非同期推論: 非 + 同期 + 推論; 第3分野: 第 + 3 + 分野), and the longest name
# a sibling follow-up may give (longer, it is a question of its own).
_COMPOUND_POS = frozenset({"名詞", "接頭辞", "接尾辞"})
MAX_SIBLING_CHARS = 20
# How many characters two compounds must end on alike to be things of one kind (推論 of リアルタイム推論 and 非同期推論).
MIN_SHARED_HEAD = 2


def _noun_compounds(text: str) -> list[tuple[int, int]]:
    """The spans of `text`'s noun compounds, without question words (最大何秒) and without a closing suffix (the ごと
    of 「分野ごと」)."""
    spans: list[tuple[int, int]] = []
    start, end, at = None, 0, 0
    for word in tag(text):
        surface = word.surface
        found = text.find(surface, at)
        if found < 0:
            continue
        pos = word.feature.pos1
        if pos in _COMPOUND_POS and "何" not in surface:
            start = found if start is None else start
            end = found + len(surface) if pos != "接尾辞" else end
        elif start is not None:
            spans.append((start, max(end, start)))
            start = None
        at = found + len(surface)
    if start is not None:
        spans.append((start, max(end, start)))
    return [(a, b) for a, b in spans if b > a]


def _noun_sibling(name: str, previous: str) -> str | None:
    """The previous question asked again of a thing of the same kind named by a Japanese noun compound: one that ends
    on the same noun (「リアルタイム推論は最大何秒まで？」 then 「非同期推論だと？」 → 「非同期推論は最大何秒まで？」;
    第2分野 then 第3分野), or a number for a number (終了ステータスの 2 then 「1 だと？」); None when none is."""
    if not name or len(name) > MAX_SIBLING_CHARS or any(pos not in _COMPOUND_POS for _, pos in tagged_words(name)):
        return None
    text = nfkc(previous)
    best, shared = None, 0
    for start, end in _noun_compounds(text):
        run = text[start:end]
        common = len(os.path.commonprefix([run[::-1], name[::-1]]))
        numbers = run.isdigit() and name.isdigit()
        if run != name and (numbers or MIN_SHARED_HEAD <= common < len(name)) and max(common, 1) >= shared:
            best, shared = (start, end), max(common, 1)
    if best is None:
        return None
    return text[: best[0]] + name + text[best[1] :]


def _without_opening_word(run: str) -> str:
    """A name run that opens a question without its first word when that is a capitalised plain word (「Is」 of
    「Is Amazon SageMaker Canvas」), as `question_names` leaves it out; "" when nothing is left."""
    first, _, rest = run.partition(" ")
    return rest if first[:1].isupper() and first[1:].islower() else run


# "the <name> <noun>": the words after a name that a determiner opens (the Machine Learning Engineer Associate exam).
_EN_AFTER_NAME = re.compile(r" ([a-z][a-z\-]*)(?: ([a-z][a-z\-]*))?")


def _common_head(text: str, name: re.Match) -> str:
    """The common nouns a name modifies when "the" opens the phrase (" exam" of "the MLA-C01 exam?"), up to two words
    before a stop word or the end; "" otherwise (SageMaker Canvas let you …: no "the", a verb may follow)."""
    if not re.search(r"\bthe\s+$", text[: name.start()], re.IGNORECASE):
        return ""
    after = _EN_AFTER_NAME.match(text, name.end())
    if not after:
        return ""
    stop = english_stop_words()
    words = []
    for word in after.groups():
        if word is None or word in stop:
            break
        words.append(word)
    return "".join(f" {w}" for w in words)


def _head_of(topic: str) -> str:
    """The leading subject of a topic phrase: 「MLA-C01」 of 「MLA-C01の試験時間」, the name of "MLA-C01 exam"."""
    if "の" in topic:
        return topic.split("の", 1)[0]
    words = topic.split()
    # "MLA-C01 exam" → MLA-C01; 「timeout コマンド」 → timeout: a common noun after the name is not the subject
    while len(words) > 1 and (words[-1].islower() or language(words[-1]) == "ja"):
        words.pop()
    return " ".join(words) or topic


def _named_subject(question: Question) -> str | None:
    """The longest name the question writes, with the words written beside it (Successive Halving), or None."""
    if not question.names:
        return None
    runs = [m.group() for m in _EN_NAME_RUN.finditer(nfkc(question.text))]
    named = [r for r in runs if any(comparable(n) in comparable(r) for n in question.names)]
    return max(named or question.names, key=len)


def _all_but_tail(topic: str) -> str:
    """A topic phrase without its last part: 「MLA-C01」 of 「MLA-C01の試験時間」, 「X の attempts」 of 「X の attemptsのデフォルト」."""
    return topic.rsplit("の", 1)[0] if "の" in topic else topic


def _tail_of(topic: str) -> str:
    """The last part of a topic phrase, its last word if spaced: 「試験要項」 of 「MLA-C01の試験要項」, 「attempts」 of
    「resolv.conf の options attempts」."""
    last = topic.rsplit("の", 1)[1] if "の" in topic else topic
    return last.split()[-1] if last.split() else last


def _with_pronoun_replaced(question: Question, topic: str, counted: str | None = None) -> str | None:
    """The question with its pronoun replaced by the topic; an English they/them after a question that counted a plural
    noun stands for those things ("how many of them" after "How many questions …?" → the <topic> questions)."""
    text = question.text
    if question.language == "ja":
        return _ja_pronoun_replaced(text, topic)
    match = _EN_PRONOUN.search(text)
    if not match:
        return None
    word = match.group(1).lower()
    if word in _EN_PLURAL and counted and counted.endswith("s"):
        return text[: match.start()] + f"the {topic} {counted}" + text[match.end():]
    # its capacity → the pipe capacity; it → the MLA-C01 exam when the topic ends in a common noun, else the name alone
    common = topic.split()[-1].islower() if topic.split() else False
    replacement = f"the {topic}" if word in _EN_POSSESSIVE or (common and topic.isascii()) else topic
    return text[: match.start()] + replacement + text[match.end():]


def _ja_pronoun_replaced(text: str, topic: str) -> str | None:
    """The first pronoun (それ → topic, その → topicの, これら → topic) replaced, or None when there is none."""
    words = [(w.surface, w.feature.pos1) for w in tag(text)]
    position = 0
    for i, (surface, pos) in enumerate(words):
        at = text.find(surface, position)
        position = at + len(surface) if at >= 0 else position
        following = words[i + 1][0] if i + 1 < len(words) else ""
        if pos == "代名詞" and surface in _JA_PRONOUNS and following not in _NOT_AFTER_PRONOUN:
            end = at + len(surface) + (1 if following == "ら" else 0)
            return text[:at] + topic + text[end:]
        if pos == "連体詞" and surface in _JA_DEMONSTRATIVES:
            return text[:at] + f"{topic}の" + text[at + len(surface):]
    return None


def _completed(question: Question, topic: str, aspect: bool, keep_tail: bool = False) -> str:
    """The question with the topic put in front (Japanese) or after it (English).

    An aspect of a compound topic replaces its last part (「MLA-C01の試験時間」 then 「合格ラインは？」 →
    「MLA-C01の合格ラインは？」) unless that part is a subject of its own (`keep_tail`: 「Redshiftのマテリアライズド・
    ビュー」 then 「どのコマンドで更新できる？」); a question without a subject of its own takes the whole topic.
    """
    text = question.text
    if question.language != "ja":
        return _EN_END.sub("", text) + f" for {_head_of(topic) if aspect else topic}?"
    text = _JA_OPENER.sub("", text)  # 「じゃあ大きくするメリットは？」 → 「バッチサイズが大きくするメリットは？」
    if aspect:
        return f"{topic if keep_tail else _all_but_tail(topic)}の{text}"
    return f"{topic}が{text}" if not _starts_with_noun(question) else f"{topic}の{text}"


# A word that opens a chat turn and links it to the last one: dropped when the topic is put in front.
_JA_OPENER = re.compile(r"^\s*(?:じゃあ|じゃ|では|それでは|なら|だったら)[、,\s]*")


def _starts_with_noun(question: Question) -> bool:
    words = tagged_words(question.text)
    return bool(words) and words[0][1] in ("名詞", "接頭辞", "形状詞")  # 形状詞: 可用(性), 有効(期限)


