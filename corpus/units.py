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
    "character": ("文字",), "byte": ("バイト",), "line": ("行",), "step": ("ステップ",),
    "country": ("か国", "ヶ国", "カ国"), "language": ("か国語", "ヶ国語", "言語"),
    "yen": ("円", "¥"), "dollar": ("USD", "ドル", "$"),
}
# Words that ask for an amount of money ("How much does it cost?", "What is the fee?"): any currency answers them.
MONEY_WORDS = frozenset({"cost", "price", "fee", "charge", "pay"})


def japanese_units(word: str) -> tuple[str, ...]:
    """The Japanese units of an English unit or counted noun (minutes → 分, dollars → USD, ドル, $), or ()."""
    for lemma in english_lemmas(word):
        if lemma in JAPANESE_UNITS:
            return JAPANESE_UNITS[lemma]
        if lemma in MONEY_WORDS:
            return MONEY
    return ()
