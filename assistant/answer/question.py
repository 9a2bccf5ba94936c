"""The question analysed once, at the start of the answer step, into one frozen record that every later stage reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from corpus.text import KANJI, KATAKANA_BLOCK, SYMBOL_RUN, comparable, folded, language, nfkc, tagged_words, word_tokens
from corpus.units import MONEY_KEY

from assistant.answer.codes import asked_code_kind
from assistant.answer.english import NUMBER_TYPES, asked_type, asked_unit, english_words, notes_words
from assistant.answer.phrases import ends_on_predicate
from assistant.answer.words import DIGITS

if TYPE_CHECKING:
    from index.crosslingual import CrossLingualExpander

# Interrogatives and light verbs: every question has them, so they say nothing about where the answer is.
QUESTION_WORDS = frozenset(
    "何 なに なん どう どれ どの どこ どんな いつ なぜ 誰 ある いる する なる できる でき ます です か くらい ぐらい "
    "what which who whom when where why how is are was were do does did the a an of to in on for and or be by with".split()
)
# Nouns that frame a question rather than name its topic ("筆者", "効果", "名前"): their absence says nothing.
FRAME_WORDS = frozenset(
    "ノート 筆者 著者 記事 資料 効果 名前 別名 特徴 方法 手法 理由 目的 違い 種類 意味 役割 機能 内容 場合 項目 具体 "
    "ほか 以外 一覧 説明 概要 問題 答え メリット デメリット 利点 欠点 長所 短所 注意点".split()
)
# Questions that ask for an amount, a count, a time or a date: their answer holds a number.
_ASKS_NUMBER = re.compile(
    r"何\s*[問分点年月日回個人時歳割倍％%]|何か[国月]|何パーセント|いくつ|いくら|どれ(くらい|ほど|だけ)|どの(くらい|程度)|いつ|何時間|"
    r"(時間|期間|回数|割合|件数|点数|金額|料金|スコア|上限|下限|上限値|下限値|最大値|最小値)は?\s*[?？]?$|"
    r"\bhow (many|long|much|old)\b|\bwhat percentage\b|\bwhen\b|\bwhat (score|year|date)\b",
    re.IGNORECASE,
)
# 何 + a unit (何分, 何問, 何か国語): the answer must be a number with that unit.
# A katakana counter is its whole run (何パーセント → パーセント, 何バイト → バイト), a kanji one its first character.
_COUNTER = re.compile(rf"何\s*(か[{KANJI}]|[\u30a1-\u30fa][\u30a1-\u30fc]*|[{KANJI}%])")
# Japanese questions asking for an amount of money: いくら, or a bare 「受験料は？」. Any currency answers them
# (corpus.units.MONEY_KEY), as for an English "how much does it cost".
_ASKS_MONEY = re.compile(r"いくら|(料金|費用|価格|値段|金額|受験料|参加費|コスト)は?\s*[?？]?$")
# English questions about Japanese notes: the Japanese unit that "how many X" / "in X" counts in.
# Names and codes: Latin words with a capital or a digit (MLS-C01, SageMaker, S3).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]")
# Case particles that close the question's topic phrase (「SageMakerの早期停止は」).
_TOPIC_END = frozenset({"は", "が", "を", "に", "で", "には", "では", "とは", "って", "へ"})
MIN_KANJI_COMPOUND = 3
# Loanwords and Latin names of 3+ letters: words that name a concept (エポック, SageMaker).
LOANWORD = re.compile(f"[{KATAKANA_BLOCK}]{{3,}}|[A-Za-z][A-Za-z0-9\\-]{{2,}}")
_KANJI = re.compile(f"[{KANJI}]+")
_KANJI_RUN = re.compile(f"[{KANJI}]{{2,}}")
# Questions whose answer is a whole clause rather than a name or an amount: a definition, a description, a way.
# (A reason is left out: its clause ends at 「ため」 inside a longer sentence.)
_ASKS_PHRASE = re.compile(
    r"とは(何|なん|なに)?(ですか|でしょうか)?\s*[?？]?$|とは何|どんな|どのよう|どういう|どう(なる|なり|する|すれば|やって)|"
    r"何が(できる|でき)|何を(する|して|表す|行う|提供|意味)|目的は|"
    r"^\s*(what\s+(is|are)\s+(an?\s+)?(?!the\s+(name|number))[\w\-]+(\s+[\w\-]+)?\s*\??$|what\s+does\s+.+\s+do\b|"
    r"how\s+(do|does|can|should|to)\b|describe\b|explain\b)",
    re.IGNORECASE,
)
# Questions about what something brings about: its benefit, advantage or effect, or what gets better.
_ASKS_EFFECT = re.compile(r"利点|メリット|効果|長所|良い点|何が(良く|よく|改善|向上)|\b(benefits?|advantages?|effects?)\b", re.IGNORECASE)
# Questions asking why: the answer is the reason a sentence gives before its ので / ため.
_ASKS_REASON = re.compile(r"なぜ|何故|どうして|理由|^\s*why\b", re.IGNORECASE)
# Questions asking what happens: the answer is what the sentence says becomes of the question's subject.
_ASKS_OUTCOME = re.compile(r"どうな[るりっ]|\bwhat (?:happens|will happen|happened)\b", re.IGNORECASE)
# Questions asking who: the answer is a person's or an organisation's name.
_ASKS_PERSON = re.compile(r"誰|だれ|\bwho(?:m|se)?\b", re.IGNORECASE)
# Japanese questions asking when; English ones are told by their asked type.
_ASKS_DATE = re.compile(r"いつ|何年何月|何月何日|日付は|日時は")
# "What availability does …", "Which port is …": the noun an English question asks the value of.
_ASKED_NOUN = re.compile(r"^\s*(?:what|which)\s+([a-z][a-z\-]+)\s+(?:does|do|did|is|are|was|were|can|will|has|have)\b",
                         re.IGNORECASE)
_QUESTION_HEADS = ("いく", "何", "どれ", "どの", "どう", "どんな", "どこ", "いつ", "だれ", "誰")


@dataclass(frozen=True)
class Question:
    """What a question asks, found once: retrieval, sentence choice, span choice and abstention read this."""

    text: str
    language: str  # "ja" or "en"
    counter: str | None  # the unit the answer counts in (分 for 何分 or "in minutes")
    wants_number: bool  # the answer is an amount, a count, a time or a date
    wants_phrase: bool  # the answer is a clause: a definition, a description, a reason or a way
    content_words: tuple[str, ...]  # words that can point at the answer, in order
    word_forms: frozenset[str]  # every word of the question in comparable form
    stated_numbers: frozenset[str]  # numbers the question itself states
    names: tuple[str, ...]  # names and codes (MLS-C01, SageMaker)
    topic: tuple[tuple[str, ...], ...]  # noun compounds of the opening phrase, each as its words
    attribute: tuple[str, ...]  # the noun compound whose value a Japanese question asks (最大メモリサイズ)
    kind_asked: str  # the noun a Japanese question asks a kind of: 「評価指標」 of 「どの評価指標」, 「精度評価」 of 「何の精度評価」
    folded: str  # the text folded char by char (corpus.text.folded), for substring look-ups
    breaks: frozenset[int]  # where whitespace was dropped from `folded`
    asked: str | None = None  # what an English question asks for (assistant.answer.english.ASKED_TYPES)
    translations: tuple[str, ...] | None = None  # the notes' words for an English question's words (試験 for exam);
    # None when they were not looked up (no index at hand)
    wants_effect: bool = False  # the question asks what something brings about: a benefit, an effect (利点, benefit)
    wants_date: bool = False  # the question asks when (いつ, when, what date): the answer is a date
    wants_person: bool = False  # the question asks who (誰, who): the answer is a name
    wants_reason: bool = False  # the question asks why (なぜ, 理由, why): the answer is the clause before ので / ため
    wants_outcome: bool = False  # the question asks what happens (どうなる, what happens): the predicate its subject gets
    predicate: str = ""  # what a Japanese question does to what it asks: 実行 of 「何を実行しますか」, 使 of 「何を使う」
    owner: str = ""  # whose part a Japanese question asks: 候補 of 「候補の何を指定しますか」
    bare_topic: str = ""  # the noun a bare Japanese question names and nothing more: 可用性 of 「可用性は？」
    asked_noun: tuple[str, ...] = ()  # the notes' words for the noun an English question asks the value of (可用性 for
    # "What availability does … drop to?"), read as a bare question's noun is
    options: tuple[str, ...] = ()  # the choices a Japanese question offers: 分類モデル, 回帰モデル of 「…のどちら」
    code_kind: str | None = None  # the kind of code name asked for (assistant.answer.codes): signal of 「どのシグナル」

    @classmethod
    def analyse(cls, text: str, expander: "CrossLingualExpander | None" = None) -> "Question":
        """The record of `text`. With an `expander` (the index's), an English question also gets its words' translations,
        and a Japanese one over notes partly in English its words' English glosses (as words it states)."""
        question = replace(cls._analysed(text), wants_effect=asks_for_effect(text), wants_date=bool(_ASKS_DATE.search(text)),
                           wants_person=bool(_ASKS_PERSON.search(text)), wants_reason=bool(_ASKS_REASON.search(text)),
                           wants_outcome=bool(_ASKS_OUTCOME.search(text)))
        if question.language == "en":
            question = question._in_english(expander)
        elif expander is not None and (glosses := english_words(text, expander)):
            # over English passages, the question's words as the notes write them in English count as its own
            folded_text, _, breaks = folded(" ".join((question.text, *glosses)))
            question = replace(question, folded=folded_text, breaks=breaks)
        return replace(question, wants_date=question.wants_date or question.asked == "date",
                       code_kind=asked_code_kind(text))

    def _in_english(self, expander: "CrossLingualExpander | None") -> "Question":
        """English questions: the asked type, and the notes' words for the question's words, which then count as the
        question's own (in sentence choice, and in the span choice that leaves them out of the answer)."""
        asked = asked_type(self.text)
        translations = notes_words(self.text, expander, self.counter) if expander is not None else None
        folded_text, _, breaks = folded(" ".join((self.text, *(translations or ()))))
        noun = _ASKED_NOUN.match(self.text)
        asked_noun = notes_words(noun.group(1), expander) if noun and expander is not None else ()
        # The asked type decides (a "when" clause inside a which-question asks for no date).
        return replace(self, asked=asked, asked_noun=asked_noun, wants_number=asked in NUMBER_TYPES,
                       content_words=tuple(dict.fromkeys((*self.content_words, *(translations or ())))),
                       translations=translations, folded=folded_text, breaks=breaks)

    @classmethod
    def _analysed(cls, text: str) -> "Question":
        counter = asked_counter(text)
        folded_text, _, breaks = folded(text)
        return cls(
            text=text,
            language=language(text),
            counter=counter,
            wants_number=asks_for_number(text) or counter is not None,
            wants_phrase=asks_for_phrase(text) and not (asks_for_number(text) or counter is not None),
            content_words=tuple(content_words(text)),
            word_forms=frozenset(comparable(w) for w in word_tokens(text)),
            stated_numbers=frozenset(DIGITS.findall(comparable(text))),
            names=tuple(question_names(text)),
            topic=tuple(tuple(c) for c in topic_terms(text)),
            attribute=tuple(asked_attribute(text)),
            predicate=asked_predicate(text),
            owner=asked_owner(text),
            bare_topic=bare_topic(text),
            options=asked_options(text),
            kind_asked=asked_kind(text),
            asked="yesno" if asks_yes_or_no(text) else None,
            folded=folded_text,
            breaks=breaks,
        )


def content_words(question: str) -> list[str]:
    """The question's words that can point at the answer, in order, without repeats."""
    return [w for w in dict.fromkeys(word_tokens(question)) if w not in QUESTION_WORDS and not SYMBOL_RUN.fullmatch(w)]


# A Japanese question with none of these asks yes or no (「--delete は圧縮したアーカイブにも使えますか？」).
_INTERROGATIVES = re.compile(r"何|なに|なん|どこ|いつ|どれ|どの|どう|どんな|どちら|どっち|誰|だれ|いくつ|いくら|なぜ|どれくらい")
_YES_NO_END = re.compile(r"(ますか|ですか|ありますか|できますか|でしょうか|か)\s*[?？]?\s*$")


def asks_yes_or_no(question: str) -> bool:
    """Does a Japanese question ask yes or no: one with no question word that ends in か, or, as a chat asks it, on a
    predicate and a question mark (「指定できる？」, 「インデントしてもよい？」, 「使ったの？」)?"""
    text = nfkc(question).strip()
    if language(text) != "ja" or _INTERROGATIVES.search(text):
        return False
    return bool(_YES_NO_END.search(text)) or (text.endswith(("?", "？")) and ends_on_predicate(text.rstrip("?？ ")))


def asks_for_phrase(question: str) -> bool:
    """Does the question ask what something is, what it does or how (an answer of a whole clause)?"""
    return bool(_ASKS_PHRASE.search(nfkc(question).strip()))


def asks_for_effect(question: str) -> bool:
    """Does the question ask what something brings about (its benefit, advantage or effect)?"""
    return bool(_ASKS_EFFECT.search(nfkc(question)))


def asks_for_number(question: str) -> bool:
    return bool(_ASKS_NUMBER.search(question))


def asked_counter(question: str) -> str | None:
    """The unit a question counts in (分 for 何分, か国 for 何か国語; for an English question the key of its unit in
    corpus.units: minute for "in minutes", money for "how much does it cost"), or None."""
    match = _COUNTER.search(nfkc(question))
    if match:
        return match.group(1)
    if language(question) == "en":
        return asked_unit(question, asked_type(question))
    return MONEY_KEY if _ASKS_MONEY.search(question) else None


def question_names(question: str) -> list[str]:
    """Names and codes in the question (MLS-C01, SageMaker); the capitalised first word of an English sentence is not
    one ("… which value to put in TZ. Which tool is it?")."""
    found = []
    for match in _NAME.finditer(question):
        word = match.group()
        if not re.search(r"[A-Z0-9]", word):
            continue
        opens = match.start() == 0 or re.search(r"[.?!]\s+$", question[: match.start()])
        if opens and word[:1].isupper() and word[1:].islower():
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


def asked_kind(question: str) -> str:
    """The noun compound right after どの/何の/どんな (「どの評価指標を使いますか」 → 「評価指標」), or ""."""
    words = tagged_words(question)
    for i, (surface, pos) in enumerate(words):
        opens = surface in ("どの", "どんな", "どういう") or (surface == "何" and i + 1 < len(words) and words[i + 1][0] == "の")
        if not opens:
            continue
        j = i + 2 if surface == "何" else i + 1
        compound = []
        while j < len(words) and words[j][1] == "名詞":
            compound.append(words[j][0])
            j += 1
        return "".join(compound)
    return ""


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


# The case particles between 何/どれ and what the question does to it (何を実行, 何に利用, 何と呼ばれる).
_SLOT_PARTICLES = frozenset({"を", "に", "で", "が", "と"})


def asked_predicate(question: str) -> str:
    """The word a Japanese question governs its question word with: the noun (実行 of 「何を実行しますか」) or the
    kanji stem of the verb (使 of 「何を使いますか」) right after 何/どれ and one case particle; "" if there is none."""
    if language(question) != "ja":
        return ""
    words = tagged_words(question)
    for i in range(len(words) - 2):
        if words[i][0] in ("何", "なに", "どれ", "どちら") and words[i + 1][0] in _SLOT_PARTICLES:
            return _predicate_word(words[i + 2], None)
    # 「FMT に指定できる精度は何ですか」: the verb of the clause that modifies the asked noun
    for i in range(len(words) - 1, 0, -1):
        if words[i][0] == "は" and (i + 1 == len(words) or words[i + 1][0].startswith(_QUESTION_HEADS) or words[i + 1][1] == "補助記号"):
            j = i
            while j > 0 and words[j - 1][1] == "名詞":
                j -= 1
            if j < i and j > 0 and words[j - 1][1] == "動詞":
                return _predicate_word(words[j - 1], words[j - 2] if j > 1 else None)
            return ""
    return ""


def _predicate_word(word: tuple[str, str], before: tuple[str, str] | None) -> str:
    """A noun as it is (実行), a verb as its kanji stem (使 of 使う), a light verb as the noun before it (指定 of 指定できる)."""
    surface, pos = word
    if pos == "名詞":
        return "" if re.fullmatch(r"\d+", surface) else surface
    if pos != "動詞":
        return ""
    if stem := _KANJI.match(surface):
        return stem.group()
    if before is not None and before[1] == "名詞" and not re.fullmatch(r"\d+", before[0]):
        return before[0]  # 指定 + できる, 利用 + する
    return ""


# 「AとBのどちら」, 「AかBか、どちら」: the choices run back from どちら to the last particle or comma before them. The
# second か of 「AかBか」 is followed by a comma, a particle or どちら: the か that ends a question (「…と書かれていますか」)
# and 「かどうか」 offer no choice.
_CHOICE = re.compile(r"([^、。，,はをがもで\s]{2,})と([^、。，,はをがもで\s]{2,}?)の?(?:どちら|どっち)"
                     r"|([^、。，,はをがもで\s]{2,})か(?!どう)([^、。，,はをがもで\s]{2,}?)か(?=[、,をがの]|どちら|どっち)")


def asked_options(question: str) -> tuple[str, ...]:
    """The choices a Japanese question offers (「MAEは分類モデルと回帰モデルのどちらの評価指標」 → 分類モデル, 回帰モデル),
    or () when it offers none."""
    match = _CHOICE.search(nfkc(question))
    if not match:
        return ()
    first, second = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return (first, second)


def asked_owner(question: str) -> str:
    """The noun right before 「の何」 in a Japanese question (候補 of 「候補の何を指定しますか」), or ""."""
    if language(question) != "ja":
        return ""
    words = tagged_words(question)
    for i in range(1, len(words) - 1):
        if words[i][0] == "の" and words[i + 1][0] in ("何", "なに") and words[i - 1][1] == "名詞":
            return words[i - 1][0]
    return ""


# A question that names its topic and nothing more: 「可用性は？」, 「S3 Express One Zoneの可用性は？」, 「非同期推論だと？」.
_BARE = re.compile(r"^(?P<topic>[^?？、。]+?)(?:は|って|だと|では)\s*[?？]\s*$")
# The noun the bare topic ends on: its last run of kanji, katakana or Latin letters (可用性 of 「…の可用性」).
_TOPIC_NOUN = re.compile(rf"(?:[{KANJI}]|[{KATAKANA_BLOCK}]|[A-Za-z0-9])+$")


def bare_topic(question: str) -> str:
    """The noun that a bare Japanese question names and asks the value of (可用性 of 「…の可用性は？」), or ""."""
    match = _BARE.match(nfkc(question).strip())
    if not match or any(head in match.group("topic") for head in _QUESTION_HEADS):
        return ""
    noun = _TOPIC_NOUN.search(match.group("topic"))
    # a frame word names what kind of thing is asked for (「…できる機能は？」), not a topic the notes give a value
    return noun.group() if noun and len(noun.group()) >= 2 and noun.group() not in FRAME_WORDS else ""


def names_a_concept(word: str, compound: tuple[str, ...] | list[str]) -> bool:
    """A loanword or Latin name of 3+ letters, or a word inside a kanji compound of 3+ kanji (早期停止).

    Two-kanji everyday words on their own (拠点, 試行, 時間) are how questions are worded, not concepts.
    """
    if LOANWORD.fullmatch(word):
        return True
    return bool(_KANJI.fullmatch(word)) and any(len(run) >= MIN_KANJI_COMPOUND for run in _KANJI_RUN.findall("".join(compound)))
