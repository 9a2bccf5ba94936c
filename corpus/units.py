"""Units and counters: how the unit an English question names is written after a number in Japanese notes."""

from __future__ import annotations

from corpus.dictionary import english_lemmas

# Currencies as notes write them after (or before) an amount.
MONEY = ("円", "¥", "USD", "ドル", "$")
# An English unit or counted noun (singular) → the Japanese counters and unit signs that follow a number.
JAPANESE_UNITS: dict[str, tuple[str, ...]] = {
    "second": ("秒",), "minute": ("分",), "hour": ("時間",), "day": ("日",), "week": ("週間", "週"),
    "month": ("か月", "ヶ月", "カ月", "ヵ月"), "year": ("年",), "time": ("回",),
    "question": ("問",), "point": ("点",), "percent": ("%",), "percentage": ("%",),
    "person": ("人", "名"), "people": ("人", "名"), "item": ("個", "件"), "piece": ("個",), "page": ("ページ",),
    "character": ("文字",), "byte": ("バイト",), "bit": ("ビット",), "line": ("行",), "step": ("ステップ",),
    "country": ("か国", "ヶ国", "カ国"), "language": ("か国語", "ヶ国語", "言語"),
    "yen": ("円", "¥"), "dollar": ("USD", "ドル", "$"),
}
# Words that ask for an amount of money ("How much does it cost?", "What is the fee?"): any currency answers them.
MONEY_WORDS = frozenset({"cost", "price", "fee", "charge", "pay"})
# Signs written before the amount (¥20,000, $300) rather than after it.
PREFIX_UNITS = ("¥", "$")
# Unit keys of English questions beyond single units: any currency, any length of time, a score in points, an amount
# of data.
MONEY_KEY, DURATION, SCORE_KEY, SIZE_KEY = "money", "duration", "score", "size"
# How notes write an amount of data after its number (4096 bytes, 64 KiB, 1GB, 16 pages).
SIZE_UNITS = ("バイト", "キロバイト", "メガバイト", "ギガバイト", "テラバイト", "ページ", "KB", "kB", "MB", "GB", "TB", "KiB",
              "MiB", "GiB", "TiB", "byte", "bytes", "page", "pages")
_TIME_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")
_IRREGULAR_PLURALS = {"person": "people", "people": "person"}


def japanese_units(word: str) -> tuple[str, ...]:
    """The Japanese units of an English unit or counted noun (minutes → 分, dollars → USD, ドル, $), or ()."""
    for lemma in english_lemmas(word):
        if lemma in JAPANESE_UNITS:
            return JAPANESE_UNITS[lemma]
        if lemma in MONEY_WORDS:
            return MONEY
    return ()


def is_unit(word: str) -> bool:
    """Is `word` a unit or counted noun the table knows (minutes, questions, dollars), or a word asking for money?"""
    return any(lemma in JAPANESE_UNITS or lemma in MONEY_WORDS for lemma in english_lemmas(word))


def unit_key(word: str) -> str:
    """The key of an English unit word: its dictionary form (minutes → minute), money for cost words, else the word
    without a plural s (signals → signal)."""
    for lemma in english_lemmas(word):
        if lemma in MONEY_WORDS:
            return MONEY_KEY
        if lemma in JAPANESE_UNITS:
            return lemma
    word = word.lower()
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


def unit_forms(key: str) -> tuple[str, ...]:
    """Every way notes write a unit after (or, for ¥ and $, before) a number: the Japanese counters, then the English
    words (minute → 分, minute, minutes; money → 円, ¥, USD, ドル, $, yen, dollar, dollars; duration → every time unit;
    size → bytes and their multiples, pages)."""
    if key == MONEY_KEY:
        return (*MONEY, "yen", "dollar", "dollars")
    if key == DURATION:
        return tuple(dict.fromkeys(f for unit in _TIME_UNITS for f in unit_forms(unit)))
    if key == SCORE_KEY:
        return ("点", "point", "points")
    if key == SIZE_KEY:
        return SIZE_UNITS
    plural = _IRREGULAR_PLURALS.get(key, key + "s")
    return tuple(dict.fromkeys((*JAPANESE_UNITS.get(key, ()), key, plural)))


def english_unit(counter: str) -> str | None:
    """The English unit key of a Japanese counter (バイト → byte, 分 → minute), or None."""
    return next((key for key, counters in JAPANESE_UNITS.items() if counter in counters), None)


def is_known_unit(key: str) -> bool:
    """Is `key` (from `unit_key`, or money, duration, score) a unit the table knows, with a Japanese counter?"""
    return key in JAPANESE_UNITS or key in (MONEY_KEY, DURATION, SCORE_KEY, SIZE_KEY)


def is_money_word(word: str) -> bool:
    """Does `word` ask for an amount of money (cost, fees, price)?"""
    return any(lemma in MONEY_WORDS for lemma in english_lemmas(word))
