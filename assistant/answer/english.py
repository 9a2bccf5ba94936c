"""English questions: what they ask for (the asked type and its unit) and how the notes may write their words.

Read once by `Question.analyse`; every later stage reads the record, as for Japanese questions.
"""

from __future__ import annotations

import re

from typing import TYPE_CHECKING

from corpus.text import index_terms, language, nfkc
from corpus.units import DURATION, MONEY_KEY, SCORE_KEY, SIZE_KEY, is_unit, unit_forms, unit_key

if TYPE_CHECKING:
    from index.crosslingual import CrossLingualExpander

# The asked types of an English question, from its interrogative.
ASKED_TYPES = ("count", "duration", "money", "percent", "amount", "date", "name", "definition", "reason", "way",
               "yesno", "other")
NUMBER_TYPES = frozenset({"count", "duration", "money", "percent", "amount", "date"})
# Words that end the counted phrase after "how many": auxiliaries, prepositions, and the "long" of "how many bytes long".
_PHRASE_END = frozenset(
    "are is was were do does did can could will would should has have had must may might shall "
    "long in on of for at per to from by with".split()
)
_WORD = re.compile(r"[a-z][a-z\-']*")
_HOW_MANY = re.compile(r"\bhow many\s+(.*)$")
_IN_UNIT = re.compile(r"\b(?:in|how many)\s+([a-z]+)\s*\??\s*$")
_MONEY = re.compile(r"\b(cost|costs|price|prices|fee|fees|charge|charges|pay|paid|expensive)\b")
_PERCENT = re.compile(r"\b(what|which) (percentage|percent|share|proportion)\b|\bhow much percent\b|\bwhat (fraction|ratio)\b")
_DATE = re.compile(r"^\s*when\b|\b(what|which) (year|date|day|month|time)\b|\bsince when\b|\bwhen (was|were|did|is|does|will)\b")
# "What is the maximum processing time …", "What is the time limit …": a length of time; "What is the maximum …": an amount.
_TIME_ASKED = re.compile(r"^\s*what\s+(is|are|was|were)\s+the\s+([\w\-]+\s+){0,3}?(time|duration|period|timeout|time limit)\b")
_EXTREME_ASKED = re.compile(r"^\s*what\s+(is|are|was|were)\s+the\s+(maximum|minimum|max|min|default|total|average|(?:lower|upper)\s+(?:limit|bound))\b")
# "How large was the capacity …", "What is the maximum payload size …": an amount of data.
_SIZE_ASKED = re.compile(r"\bhow (large|big)\b")
_SIZE_WORDS = re.compile(rf"\b(size|capacity)\b|{_SIZE_ASKED.pattern}")
# A subordinate clause before the main one ("If a process writes two messages into a pipe, does …").
_LEADING_CLAUSE = re.compile(r"^\s*(?:if|when|whenever|after|before|once|while|unless|although|according to)\b[^,?]*,\s*")
_WH_WORD = re.compile(r"^\s*(?:what|which|who|whom|whose|where|when|why|how)\b")
_YES_NO = re.compile(r"^\s*(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|must|may)\b")
_DEFINITION = re.compile(r"^\s*what\s+(is|are)\s+(an?\s+)?[\w\-]+(\s+[\w\-]+)?\s*\??\s*$|^\s*(define|describe|explain)\b")
_NAME = re.compile(r"^\s*(which|who|whom|whose|where)\b|\bwhat\s+(\w+\s+)?(is|are)\s+(the\s+)?(name|called)\b|^\s*what\s+[a-z\-]+\s+(is|are|does|do|did|was|were|can)\b")


def asked_type(question: str) -> str:
    """What an English question asks for, one of ASKED_TYPES (How many minutes … → count, Why … → reason)."""
    text = nfkc(question).lower().strip()
    main = text
    while (shorter := _LEADING_CLAUSE.sub("", main, count=1)) != main:
        main = shorter  # "According to hier(7), when a user is created, files from which directory …": every one
    if main != text and (_YES_NO.match(main) or _WH_WORD.match(main)):
        text = main  # the main clause asks: "If a process writes two messages, does the pipe keep …?"
    if "how many" in text:
        return "count"
    if _PERCENT.search(text):
        return "percent"
    if re.search(r"\bhow much\b", text):
        return "money" if _MONEY.search(text) else "amount"
    if re.search(r"\bhow (long|old)\b", text) or _TIME_ASKED.match(text):
        return "duration"
    if _EXTREME_ASKED.match(text) or _SIZE_ASKED.search(text):
        return "amount"
    if _DATE.search(text):
        return "date"
    if re.match(r"^\s*why\b", text):
        return "reason"
    if re.match(r"^\s*how\s+(do|does|did|can|could|should|to|is|are)\b", text):
        return "way"
    if _MONEY.search(text) and re.match(r"^\s*what\b", text):
        return "money"
    if re.search(r"\bscores?\b", text) and re.match(r"^\s*what\b", text):
        return "amount"
    if _YES_NO.match(text):
        return "yesno"
    if _DEFINITION.match(text):
        return "definition"
    if _NAME.search(text) or text.startswith("what"):
        return "name"
    return "other"


def counted_noun(question: str) -> str | None:
    """The noun a "how many" question counts (How many different real-time signals … → signals), or None."""
    match = _HOW_MANY.search(nfkc(question).lower())
    if not match:
        return None
    phrase = []
    for word in _WORD.findall(match.group(1)):
        if word in _PHRASE_END:
            break
        phrase.append(word)
    return phrase[-1] if phrase else None


def asked_unit(question: str, asked: str) -> str | None:
    """The key of the unit the answer counts in (minute, question, byte, money, duration, score, size), or None.

    A known unit named in the question wins ("in minutes", "how many years"); else the asked type brings its own
    (how much … cost → money, how long → any duration). A counted noun the unit table does not know (how many
    signals) is kept as it is: English notes write it after the number.
    """
    text = nfkc(question).lower()
    noun = counted_noun(text)
    at_end = _IN_UNIT.search(text)
    for word in (noun, at_end.group(1) if at_end else None):
        if word and is_unit(word):
            return unit_key(word)
    if asked == "money":
        return MONEY_KEY
    if asked == "percent":
        return "percent"
    if asked == "duration" and not re.search(r"\bhow old\b", text):
        return DURATION
    if re.search(r"\bscores?\b", text) and asked == "amount":
        return SCORE_KEY
    if _SIZE_WORDS.search(text) and asked == "amount":
        return SIZE_KEY
    return unit_key(noun) if noun else None


def notes_words(question: str, expander: "CrossLingualExpander", counter: str | None = None) -> tuple[str, ...]:
    """The Japanese words the notes use for the question's words (試験 for exam, 合格 for passing), from the index's
    cross-lingual expander. Single characters (点, 年) and the asked unit's forms are left out: they are too common to
    mark a sentence, and an answer keeps its unit (90分)."""
    units = set(unit_forms(counter)) if counter else set()
    found = []
    for group in expander.groups(question) or ():
        for alternative in group.alternatives[1:]:
            word = "".join(alternative)
            if len(word) > 1 and word not in units and language(word) == "ja":
                found.append(word)
    return tuple(dict.fromkeys(found))


def english_words(question: str, expander: "CrossLingualExpander") -> tuple[str, ...]:
    """The English words that notes written partly in English use for a Japanese question's words (シグナル → signal,
    signals; 実装 → implementation), from the JMdict glosses the index's expander finds in the notes; () over notes in
    Japanese only. They count as the question's own words when the span choice meets an English sentence."""
    if not expander.english_notes:
        return ()
    found = []
    for term in index_terms(question):
        if len(term) < 2 or language(term) != "ja":
            continue
        for gloss, _ in expander.known_glosses(term):
            found += [gloss, f"{gloss}s"] if " " not in gloss else [gloss]
    return tuple(dict.fromkeys(found))
