"""Which language a question is in, and the abstention answer in that language."""

import re

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")

ABSTENTION = {"ja": "ノートには記載がありません。", "en": "The notes do not contain this."}


def question_language(text: str) -> str:
    """'ja' if the text has any kana or kanji, else 'en'."""
    return "ja" if _JAPANESE.search(text) else "en"


def abstention_text(question: str) -> str:
    return ABSTENTION[question_language(question)]
