"""Sibling list items: a question that names some items of a list and asks for another one (「データドリフトともう1つ
何に分けられますか」, 「前処理と学習の次に来る段階は？」, "Apart from X, which …") is answered by the item it leaves out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus.text import comparable

# A list item line: a bullet or a number, then the item (「  • コンセプトドリフト」, 「1. 前処理」, 「- ja」).
_ITEM = re.compile(r"^\s*(?:[•・\-*+]|\d{1,2}[.)])\s+(\S.*?)\s*$")
# Items longer than this are statements (「L1正則化:一部の特徴を削除する」), not names a question repeats.
MAX_ITEM_CHARS = 30
# Words by which a question asks for another item than those it names. Japanese names the items before the word
# (「データドリフトともう1つ」, 「前処理と学習の次に」), English after it ("besides A and B, …"), up to a clause break.
_JAPANESE_ANOTHER = re.compile(r"もう\s*(?:1|一)\s*つ|他に|ほかに|以外|残り|次に|次の")
_ENGLISH_ANOTHER = re.compile(r"\b(?:besides|apart from|other than|except|in addition to)\b", re.IGNORECASE)
_ASKS_NEXT = re.compile(r"次に|次の")
# A break between clauses: a full stop, or a comma after a clause or a phrase (「…する場合、」), not one between
# listed names (「前処理、学習、推論の他に」).
_JAPANESE_BREAK = re.compile(r"[。？?！!]|(?:(?<=場合)|(?<=とき)|(?<=ため)|(?<=[てでにがはを]))[、，,]")
_ENGLISH_BREAK = re.compile(r"[,?!.;]")


def named_stretch(question_text: str) -> str:
    """The stretch of a question that names the items it asks for another than: before 「ともう1つ」/「のほかに」 back to
    the clause break (「ファイルモードと高速ファイルモードの」, not the 「S3をストレージとする場合」 before it), or after
    besides/apart from up to the next one; "" when the question asks for no other item."""
    if match := _JAPANESE_ANOTHER.search(question_text):
        before = question_text[: match.start()]
        breaks = list(_JAPANESE_BREAK.finditer(before))
        return before[breaks[-1].end() :] if breaks else before
    if match := _ENGLISH_ANOTHER.search(question_text):
        after = question_text[match.end() :]
        end = _ENGLISH_BREAK.search(after)
        return after[: end.start()] if end else after
    return ""


def item_text(line: str) -> str:
    """A list item line without its bullet or number (「• コンセプトドリフト」 → 「コンセプトドリフト」); other lines as they are."""
    return match.group(1) if (match := _ITEM.match(line)) else line.strip()


def list_runs(text: str) -> list[list[str]]:
    """The lists of `text`: runs of consecutive item lines (blank lines between them allowed), each as its items."""
    runs: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if match := _ITEM.match(line):
            current.append(match.group(1))
        elif line.strip():
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [run for run in runs if len(run) >= 2]


def asked_siblings(question_text: str, chunk_texts: Sequence[str]) -> tuple[str, ...]:
    """The list items of `chunk_texts` that the question asks for, when it asks for another one: those it leaves out
    of a list whose other items it names; for 次/next, the item after the last named one. Of several such lists, those
    with the most items named (「ファイルモードと高速ファイルモードのほかに」 picks the list of modes, not the list that
    holds the S3 the question also names). Else ()."""
    asked = comparable(named_stretch(question_text))
    if not asked:
        return ()
    lists: list[tuple[int, list[str]]] = []
    for run in (run for text in chunk_texts for run in list_runs(text)):
        if any(len(item) > MAX_ITEM_CHARS for item in run):
            continue
        named = [i for i, item in enumerate(run) if comparable(item) and comparable(item) in asked]
        if not named or len(named) == len(run):
            continue
        if _ASKS_NEXT.search(question_text):
            lists.append((len(named), run[named[-1] + 1 : named[-1] + 2]))
        else:
            lists.append((len(named), [item for i, item in enumerate(run) if i not in named]))
    most = max((count for count, _ in lists), default=0)
    return tuple(dict.fromkeys(item for count, items in lists if count == most for item in items))
