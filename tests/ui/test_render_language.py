"""An English question answered in Japanese says why: the answer is copied from the notes."""

from __future__ import annotations

from dataclasses import dataclass

from ui.render import COPIED_FROM_NOTES, chat_text, copied_note


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool = False
    grounded: bool | None = True
    groundedness: float | None = 1.0
    confidence: float | None = 0.9


def test_an_english_question_answered_in_japanese_says_the_answer_is_copied():
    answer = Answer("What is the passing score?", "720点")
    assert copied_note(answer) == COPIED_FROM_NOTES
    assert chat_text(answer).startswith(f"720点\n\n*{COPIED_FROM_NOTES}*")


def test_no_note_when_languages_match_or_when_abstaining():
    assert copied_note(Answer("合格ラインは何点？", "720点")) is None
    assert copied_note(Answer("How many bytes does a pipe hold?", "65,536 bytes")) is None
    assert copied_note(Answer("What is the passing score?", "The notes do not contain this.", abstained=True)) is None
    assert COPIED_FROM_NOTES not in chat_text(Answer("合格ラインは何点？", "720点"))
