"""English ↔ Japanese word look-ups for cross-lingual search: JMdict (jamdict-data) and e2k's English → katakana.

Both load lazily on first use: opening the JMdict SQLite file takes about a millisecond, the e2k model about 0.5 s.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading

from corpus.errors import InputError

# JMdict priority tags of common words (news, ichimango, spec, gairaigo lists): such a word is the usual translation.
_COMMON = ("news1", "ichi1", "spec1", "gai1", "news2", "ichi2", "spec2", "gai2")
# A gloss "minute (unit of time)" or "passing (e.g. exam)": the word, then a qualifier in brackets.
_QUALIFIER = re.compile(r"\s*\([^)]*\)")
# Glosses of more words than this are explanations ("repetition mark in katakana"), not translations.
MAX_GLOSS_WORDS = 3
_LOCK = threading.Lock()


@functools.cache
def _jmdict() -> sqlite3.Connection:
    try:
        from jamdict_data import JAMDICT_DB_PATH
    except ImportError:
        raise InputError("cross-lingual search needs JMdict: pip install jamdict-data") from None
    return sqlite3.connect(f"file:{JAMDICT_DB_PATH}?mode=ro", uri=True, check_same_thread=False)


def _rows(sql: str, *args) -> list[tuple]:
    with _LOCK:
        return _jmdict().execute(sql, args).fetchall()


# Senses glossed `english` exactly, as "to `english`" (verbs), or as "`english` (qualifier)"; the entry's words and
# whether it is common. The gloss index makes each look-up an index search.
_SENSES_BY_GLOSS = """
SELECT s.idseq, s.id,
       EXISTS (SELECT 1 FROM Kanji k JOIN KJP p ON p.kid = k.id WHERE k.idseq = s.idseq AND p.text IN ({common}))
    OR EXISTS (SELECT 1 FROM Kana k JOIN KNP p ON p.kid = k.id WHERE k.idseq = s.idseq AND p.text IN ({common}))
FROM SenseGloss g JOIN Sense s ON s.id = g.sid
WHERE (g.text = ? OR g.text = ? OR (g.text >= ? AND g.text < ?)) AND +g.lang = 'eng'
""".format(common=",".join(f"'{t}'" for t in _COMMON))


@functools.lru_cache(maxsize=4096)
def japanese_words(english: str) -> tuple[str, ...]:
    """The Japanese words that JMdict translates `english` (a lower-case word or phrase) with, common words first.

    A word is given in its first kanji spelling, or in kana when it has none or its sense is usually written in kana.
    ("exam" → 試験, …; "minute" → 分 via "minute (unit of time)", …; "epoch" → エポック, 時代, …)
    """
    english = english.strip().lower()
    if not english:
        return ()
    senses = _rows(_SENSES_BY_GLOSS, english, f"to {english}", f"{english} (", f"{english} )")
    found: dict[str, tuple[bool, int]] = {}
    for idseq, sense, common in senses:
        word = _spelling(idseq, sense)
        if word and (word not in found or (not common, sense) < found[word]):
            found[word] = (not common, sense)
    return tuple(sorted(found, key=lambda w: found[w]))


# Senses whose gloss starts with one word and holds another after it (the gloss index narrows to the first word).
_SENSES_BY_TWO_WORDS = """
SELECT s.idseq, s.id, g.text FROM SenseGloss g JOIN Sense s ON s.id = g.sid
WHERE g.text >= ? AND g.text < ? AND g.text LIKE ? AND +g.lang = 'eng'
"""
_GLOSS_WORD = re.compile(r"[a-z]+")
# A gloss with one of these says the opposite of its other words ("not taking an examination").
_NEGATIONS = frozenset("not no non without".split())


@functools.lru_cache(maxsize=4096)
def japanese_phrases(first: str, second: str) -> tuple[str, ...]:
    """The Japanese words JMdict glosses as the two English words `first` `second` together, as a phrase.

    One Japanese word often stands for an English verb and its object or a modifier and its noun (受験 "taking an
    examination"), which a word-by-word look-up never finds. Words are compared by their Snowball stems, a gloss word
    by prefix (exam ~ examination); a gloss qualifies when it starts with the first word and, brackets and stop words
    aside, holds exactly these two words.
    """
    from corpus.text import english_stem, english_stop_words

    stems = (english_stem(first.lower()), english_stem(second.lower()))
    if min(map(len, stems)) < 3:
        return ()
    stop = english_stop_words()
    found: dict[str, int] = {}
    prefixes = [stem[: max(3, len(stem) - 1)] for stem in stems]  # take → tak%, which "taking" holds
    start = prefixes[0]
    end = start[:-1] + chr(ord(start[-1]) + 1)
    for idseq, sense, text in _rows(_SENSES_BY_TWO_WORDS, start, end, f"{start}% %{prefixes[1]}%"):
        words = _GLOSS_WORD.findall(_QUALIFIER.sub("", text).lower())
        if _NEGATIONS.intersection(words):
            continue
        words = [w for w in words if w not in stop]
        if len(words) == 2 and all(english_stem(w).startswith(stem) for w, stem in zip(words, stems)):
            word = _spelling(idseq, sense)
            if word:
                found.setdefault(word, sense)
    return tuple(sorted(found, key=found.get))


def _spelling(idseq: int, sense: int) -> str | None:
    usually_kana = bool(_rows("SELECT 1 FROM misc WHERE sid = ? AND text LIKE '%usually written using kana%'", sense))
    if not usually_kana:
        kanji = _rows("SELECT text FROM Kanji WHERE idseq = ? ORDER BY ID LIMIT 1", idseq)
        if kanji:
            return kanji[0][0]
    kana = _rows("SELECT text FROM Kana WHERE idseq = ? ORDER BY ID LIMIT 1", idseq)
    return kana[0][0] if kana else None


@functools.lru_cache(maxsize=4096)
def english_glosses(japanese: str) -> tuple[str, ...]:
    """Short English translations of a Japanese word (its JMdict glosses of at most three words, brackets dropped),
    first senses first: 試験 → examination, exam, test, …"""
    entries = _rows("SELECT idseq FROM Kanji WHERE text = ? UNION SELECT idseq FROM Kana WHERE text = ?", japanese, japanese)
    glosses: dict[str, int] = {}
    for (idseq,) in entries:
        for sense, text in _rows(
            "SELECT s.id, g.text FROM Sense s JOIN SenseGloss g ON g.sid = s.id WHERE s.idseq = ? AND +g.lang = 'eng' "
            "ORDER BY s.id, g.rowid", idseq,
        ):
            gloss = _QUALIFIER.sub("", text).strip().lower()
            gloss = gloss[3:] if gloss.startswith("to ") else gloss
            if gloss and len(gloss.split()) <= MAX_GLOSS_WORDS:
                glosses.setdefault(gloss, sense)
    return tuple(sorted(glosses, key=glosses.get))


# --- English loanwords in katakana -------------------------------------------------------------------------------------

@functools.cache
def _katakana_model():
    try:
        from e2k import C2K
    except ImportError:
        raise InputError("cross-lingual search needs e2k: pip install e2k") from None
    return C2K()


@functools.lru_cache(maxsize=4096)
def katakana(english: str) -> str:
    """How Japanese writes an English word in katakana, by e2k's spelling model (epoch → エポック, mode → モード)."""
    word = english.strip().lower()
    if not re.fullmatch(r"[a-z]+", word):
        return ""
    with _LOCK:
        return _katakana_model()(word)


# --- English word forms ------------------------------------------------------------------------------------------------

def english_lemmas(word: str) -> list[str]:
    """`word` and the dictionary forms it may be an inflection of (questions → question, stopping → stop, copies → copy),
    most likely first. Regular English inflection only; a form that is no word finds nothing in the dictionary."""
    word = word.lower()
    forms = [word]
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        forms.append(word[:-1])
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            stem = word[: -len(suffix)]
            forms += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])
            if stem.endswith("i"):
                forms.append(stem[:-1] + "y")
    return list(dict.fromkeys(forms))
