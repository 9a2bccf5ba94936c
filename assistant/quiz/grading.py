"""Grading the exam's way: all or nothing per item, a blank is wrong, no penalty for guessing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.text import comparable

from assistant.quiz.items import Item, ItemType

LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class Grade:
    correct: bool
    response: tuple[int, ...] | str
    blank: bool


def option_label(index: int) -> str:
    return LETTERS[index] if index < len(LETTERS) else str(index + 1)


def parse_choices(text: str, count: int) -> tuple[int, ...] | None:
    """Letters or 1-based numbers ("B", "a c", "2,4", "CAB") as 0-based indices in the order given; None if unreadable."""
    text = text.strip().upper()
    if not text:
        return ()
    tokens = re.findall(r"\d+|[A-Z]", text)
    picked = []
    for token in tokens:
        index = int(token) - 1 if token.isdigit() else LETTERS.find(token)
        if not 0 <= index < count:
            return None
        picked.append(index)
    return tuple(picked)


def grade(item: Item, response: tuple[int, ...] | list[int] | str | None) -> Grade:
    """Multiple response needs exactly the keys; ordering and matching need every position right."""
    if response is None or (isinstance(response, (str, tuple, list)) and len(response) == 0):
        return Grade(False, () if not isinstance(response, str) else "", True)
    if item.type is ItemType.CLOZE and isinstance(response, str):
        right = comparable(response) == comparable(item.answer_text[0])
        return Grade(right, response, False)
    if isinstance(response, str):
        parsed = parse_choices(response, len(item.options))
        if parsed is None:
            return Grade(False, response, False)
        response = parsed
    picked = tuple(int(r) for r in response)
    if item.type is ItemType.MULTIPLE:
        right = sorted(set(picked)) == sorted(item.answer) and len(picked) == len(set(picked))
    elif item.type is ItemType.CLOZE:
        right = picked == tuple(item.answer)
    else:
        right = picked == tuple(item.answer)
    return Grade(right, picked, False)


def answer_display(item: Item) -> str:
    """The right answer as the learner should read it."""
    if item.type is ItemType.MATCHING:
        return " / ".join(f"{p} → {option_label(a)}. {item.options[a]}" for p, a in zip(item.prompts, item.answer))
    if item.type is ItemType.ORDERING:
        return " → ".join(f"{option_label(a)}. {item.options[a]}" for a in item.answer)
    if item.type is ItemType.CLOZE and not item.options:
        return item.answer_text[0]
    return ", ".join(f"{option_label(a)}. {item.options[a]}" for a in item.answer)


def instructions(item: Item) -> str:
    return {
        ItemType.SINGLE: "1つ選んでください (例: B)",
        ItemType.MULTIPLE: f"{len(item.answer)}つ選んでください (例: A C)",
        ItemType.ORDERING: "正しい順に記号を並べてください (例: C A B)",
        ItemType.MATCHING: "左の各項目に合う記号を、上から順に並べてください (例: B A C)",
        ItemType.CLOZE: "空欄に入る語句を入力してください",
    }[item.type]
