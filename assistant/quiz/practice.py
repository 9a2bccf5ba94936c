"""Practice in the terminal: one item at a time, graded the exam's way, then the cited passage and the next review."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

from assistant.quiz.exam import ExamResult, time_limit_seconds
from assistant.quiz.grading import answer_display, grade, instructions, option_label
from assistant.quiz.items import Item, ItemType
from assistant.quiz.store import StudyStore

EASY_MARK = "!"
QUIT = {"q", "quit", ":q"}


def render_item(item: Item, number: int | None = None, total: int | None = None) -> str:
    head = f"[{number}/{total}] " if number and total else ""
    lines = [f"{head}({item.type.value}) {item.stem}"]
    if item.type is ItemType.MATCHING:
        lines += [f"  {n}. {p}" for n, p in enumerate(item.prompts, 1)]
        lines.append("  ---")
    lines += [f"  {option_label(i)}. {o}" for i, o in enumerate(item.options)]
    lines.append(f"→ {instructions(item)}")
    return "\n".join(lines)


def render_feedback(item: Item, correct: bool, blank: bool = False) -> str:
    verdict = "正解 (right)" if correct else ("未回答 (blank = wrong)" if blank else "不正解 (wrong)")
    return "\n".join([
        verdict,
        f"正解: {answer_display(item)}",
        f"出典: {item.source.heading_path} ({item.source.source}#{item.source.chunk_id})",
        f"  {item.evidence}",
    ])


def split_easy(answer: str) -> tuple[str, bool]:
    text = answer.strip()
    if text.endswith(EASY_MARK):
        return text[: -len(EASY_MARK)].strip(), True
    return text, False


def practice_session(items: list[Item], store: StudyStore, read: Callable[[str], str] = input,
                     write: Callable[[str], None] = print, clock: Callable[[], float] = time.monotonic,
                     now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> tuple[int, int]:
    """Ask each item, record the review; returns (right, asked). "q" stops; an answer ending in "!" is rated Easy."""
    right = asked = 0
    for number, item in enumerate(items, 1):
        write(render_item(item, number, len(items)))
        started = clock()
        try:
            raw = read("> ")
        except EOFError:
            break
        if raw.strip().lower() in QUIT:
            break
        answer, easy = split_easy(raw)
        result = grade(item, answer)
        seconds = clock() - started
        review = store.review(item.id, item.type.value, result.correct, seconds=seconds, easy=easy, now=now(),
                              response=answer)
        asked += 1
        right += int(result.correct)
        write(render_feedback(item, result.correct, result.blank))
        write(f"評価 {review.rating.name} → 次の復習 {review.due.astimezone():%Y-%m-%d %H:%M}\n")
    return right, asked


def exam_session(items: list[Item], read: Callable[[str], str] = input, write: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.monotonic, limit_seconds: float | None = None) -> ExamResult:
    """A timed mock exam: no feedback until the end; items left when time runs out count as wrong."""
    limit = limit_seconds if limit_seconds is not None else time_limit_seconds(len(items))
    result = ExamResult()
    started = clock()
    write(f"mock exam: {len(items)} items, {limit / 60:.0f} minutes")
    for number, item in enumerate(items, 1):
        if clock() - started > limit:
            result.timed_out = True
            result.add(item, False)
            continue
        write(render_item(item, number, len(items)))
        try:
            answer = read("> ")
        except EOFError:
            answer = ""
        late = clock() - started > limit
        result.timed_out = result.timed_out or late
        result.add(item, (not late) and grade(item, answer.strip()).correct)
    result.seconds = clock() - started
    return result
