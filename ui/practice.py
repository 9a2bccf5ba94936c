"""The Practice / 演習 tab: one item at a time from the notes, graded the exam's way, scheduled with FSRS."""

from __future__ import annotations

import html
import time
from typing import Any

import gradio as gr

from assistant.quiz.build import build_items
from assistant.quiz.grading import answer_display, grade, instructions, option_label
from assistant.quiz.items import Item, ItemType
from assistant.quiz.store import StudyStore, due_summary, next_items

QUEUE_SIZE = 50


class PracticeSession:
    """The bank and the review store behind the tab; one per app."""

    def __init__(self, items: list[Item], store: StudyStore) -> None:
        self.items = items
        self.by_id = {item.id: item for item in items}
        self.store = store

    @classmethod
    def from_pipeline(cls, pipeline, store: StudyStore | None = None) -> "PracticeSession":
        return cls(build_items(pipeline.retriever.index), store or StudyStore())

    def status(self) -> str:
        due, new = due_summary(self.store, self.items)
        return f"**Due today / 今日の復習: {due}** · new / 未学習: {new} · items / 問題数: {len(self.items)}"

    def queue(self) -> list[str]:
        return [item.id for item in next_items(self.store, self.items, QUEUE_SIZE)]


def _stem_html(item: Item, number: int, total: int) -> str:
    parts = [f'<div class="sa-practice-meta">{number}/{total} · {item.type.value} · {html.escape(item.source.heading_path)}</div>',
             f'<div class="sa-practice-stem">{html.escape(item.stem).replace(chr(10), "<br>")}</div>']
    if item.type is ItemType.MATCHING:
        parts.append("<ol>" + "".join(f"<li>{html.escape(p)}</li>" for p in item.prompts) + "</ol>")
    if item.type in (ItemType.ORDERING, ItemType.MATCHING):
        parts.append("<ul>" + "".join(f"<li>{option_label(i)}. {html.escape(o)}</li>" for i, o in enumerate(item.options)) + "</ul>")
    parts.append(f'<div class="sa-practice-how">{html.escape(instructions(item))}</div>')
    return "\n".join(parts)


def _choices(item: Item) -> list[tuple[str, int]]:
    return [(f"{option_label(i)}. {o}", i) for i, o in enumerate(item.options)]


def feedback_html(item: Item, correct: bool, blank: bool, rating: str, due: str) -> str:
    verdict = "正解 / Right" if correct else ("未回答 / Blank (counts as wrong)" if blank else "不正解 / Wrong")
    css = "sa-right" if correct else "sa-wrong"
    return (f'<div class="{css}" id="practice-verdict"><b>{verdict}</b></div>'
            f"<div>正解 / Answer: {html.escape(answer_display(item))}</div>"
            f'<div class="sa-practice-source">出典 / Source: {html.escape(item.source.heading_path)} '
            f"({html.escape(item.source.source)}#{html.escape(item.source.chunk_id)})<blockquote>"
            f"{html.escape(item.evidence).replace(chr(10), '<br>')}</blockquote></div>"
            f"<div>Rated {rating}; next review / 次の復習: {due}</div>")


def build_practice_tab(session: PracticeSession) -> None:
    """The tab's components and events; call inside a `gr.Tab`."""


    def show(state: dict) -> tuple:
        queue, pos = state["queue"], state["pos"]
        if pos >= len(queue):
            done = "Nothing due now. / 今は復習する問題がありません。"
            return (state, session.status(), done, gr.update(visible=False, value=None), gr.update(visible=False, value=[]),
                    gr.update(visible=False, value=""), "", gr.update(interactive=False))
        item = session.by_id[queue[pos]]
        state = {**state, "shown_at": time.monotonic(), "answered": False}
        radio = gr.update(visible=item.type is ItemType.SINGLE, choices=_choices(item), value=None)
        checks = gr.update(visible=item.type is ItemType.MULTIPLE, choices=_choices(item), value=[])
        text = gr.update(visible=item.type in (ItemType.ORDERING, ItemType.MATCHING, ItemType.CLOZE), value="")
        return (state, session.status(), _stem_html(item, pos + 1, len(queue)), radio, checks, text, "",
                gr.update(interactive=True))

    def start(state: Any) -> tuple:
        return show({"queue": session.queue(), "pos": 0})

    def answer(state: dict, single: Any, multiple: Any, typed: str, easy: bool) -> tuple:
        queue, pos = state.get("queue", []), state.get("pos", 0)
        if pos >= len(queue) or state.get("answered"):
            return state, session.status(), gr.update(), gr.update()
        item = session.by_id[queue[pos]]
        if item.type is ItemType.SINGLE:
            response: Any = () if single is None else (int(single),)
        elif item.type is ItemType.MULTIPLE:
            response = tuple(sorted(int(v) for v in multiple or ()))
        else:
            response = (typed or "").strip()
        result = grade(item, response)
        seconds = time.monotonic() - state.get("shown_at", time.monotonic())
        review = session.store.review(item.id, item.type.value, result.correct, seconds=seconds, easy=bool(easy),
                                      response=list(response) if isinstance(response, tuple) else response)
        due = review.due.astimezone().strftime("%Y-%m-%d %H:%M")
        state = {**state, "answered": True}
        return (state, session.status(), feedback_html(item, result.correct, result.blank, review.rating.name, due),
                gr.update(interactive=False))

    def advance(state: dict) -> tuple:
        return show({**state, "pos": state.get("pos", 0) + 1})

    gr.Markdown("### Practice / 演習\nExam-style items made from your notes. Wrong answers come back soon; right ones later "
                "(FSRS). 正解すると間隔が伸び、間違えるとすぐに再出題されます。")
    state = gr.State({"queue": [], "pos": 0})
    status = gr.Markdown(session.status(), elem_id="practice-status")
    stem = gr.HTML("", elem_id="practice-stem")
    single = gr.Radio([], label="Answer / 解答", visible=False, elem_id="practice-single")
    multiple = gr.CheckboxGroup([], label="Answers / 解答 (all that apply)", visible=False, elem_id="practice-multiple")
    typed = gr.Textbox(label="Answer / 解答", visible=False, elem_id="practice-typed", lines=1)
    easy = gr.Checkbox(False, label="Easy / 簡単だった (when right)", elem_id="practice-easy")
    with gr.Row():
        submit = gr.Button("Answer / 解答", variant="primary", elem_id="practice-submit")
        nxt = gr.Button("Next / 次へ", elem_id="practice-next")
        restart = gr.Button("Start / 開始", elem_id="practice-start")
    feedback = gr.HTML("", elem_id="practice-feedback")

    shown = [state, status, stem, single, multiple, typed, feedback, submit]
    restart.click(start, state, shown, api_visibility="private")
    nxt.click(advance, state, shown, api_visibility="private")
    submit.click(answer, [state, single, multiple, typed, easy], [state, status, feedback, submit],
                 api_visibility="private")
    typed.submit(answer, [state, single, multiple, typed, easy], [state, status, feedback, submit],
                 api_visibility="private")



def practice_tab_for(pipeline) -> None:
    """The tab over the pipeline's index; a pipeline without a stored index gets a note instead of the tab."""
    try:
        session = PracticeSession.from_pipeline(pipeline)
    except Exception as exc:  # the chat must still come up when practice cannot
        gr.Markdown(f"Practice is not available for this index ({exc.__class__.__name__}: {html.escape(str(exc))}).")
        return
    build_practice_tab(session)
