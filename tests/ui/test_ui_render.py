"""The UI's pure parts: the sources HTML, the chat status, request settings, auth, and the controls' ranges."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from assistant.config import DEFAULT_GENERATION, PASSAGES_RANGE, RetrievalParams, setting_range
from corpus.errors import InputError
from ui import AUTH_ENV, DEFAULT_HOST
from assistant.answer.confidence import LIKELY_RIGHT_FROM
from ui.render import chat_text, passage_html, sources_html, status_line


@dataclass
class FakeChunk:
    id: str
    text: str
    heading_path: str = "試験の概要 > 試験要項"
    source: str = "notes.md"


@dataclass
class FakeHit:
    chunk: FakeChunk
    score: float
    rank: int


@dataclass
class FakeSupport:
    chunk_id: str
    sentence: str
    rank: int = 1
    overlap: float = 0.5


@dataclass
class FakeAnswer:
    text: str = "720点です。"
    hits: tuple = ()
    abstained: bool = False
    support: tuple = ()
    groundedness: float | None = 0.9
    grounded: bool | None = field(default=None)
    confidence: float | None = 0.83

    def __post_init__(self):
        if self.grounded is None and not self.abstained and self.groundedness is not None:
            self.grounded = self.groundedness >= 0.6


EXAM = FakeChunk("c1", "| 項目 | 内容 |\n|---|---|\n| 試験時間 | 90分 |\n| 合格ライン | 100~1000点中720点 |\n\n受験資格はなし。")
TRICKY = FakeChunk("c2", "Use <script>alert(1)</script> & \"quotes\" here. The score is < 1000.", heading_path="A > <b>B</b>")


def test_a_table_in_a_passage_is_rendered_as_a_table_with_the_supporting_row_highlighted():
    html = passage_html(EXAM.text, ["| 合格ライン | 100~1000点中720点 |"])
    assert "<table>" in html and "<th>項目</th>" in html and "<td>試験時間</td>" in html and "|" not in html
    assert "<td><mark>合格ライン</mark></td>\n<td><mark>100~1000点中720点</mark></td>" in html
    assert html.count("<mark>") == 2 and "<p>受験資格はなし。</p>" in html


def test_br_in_a_table_cell_is_a_line_break_and_lists_and_emphasis_render():
    text = "| 名前 | 説明 |\n|---|---|\n| 温度<br>(Temperature) | 確率の低い<BR/>候補 |\n\n- **Recall**\n- Precision"
    html = passage_html(text, ["- **Recall**"])
    assert "<td>温度<br>(Temperature)</td>" in html and "<td>確率の低い<br>候補</td>" in html and "&lt;br" not in html
    assert "<li><mark><strong>Recall</strong></mark></li>" in html and "<li>Precision</li>" in html


@pytest.mark.parametrize("text", [
    "Use <script>alert(1)</script> here.",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | <script>alert(1)</script> |",
    "<div onclick=\"alert(1)\">x</div>\n\n[link](javascript:alert(1)) ![i](http://example.com/x.png)",
])
def test_html_in_the_notes_is_shown_as_text_never_run(text):
    html = passage_html(text, [text.splitlines()[0]])
    assert "<script" not in html and "<img" not in html and "<div" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html or "&lt;div" in html


def test_passage_highlights_every_occurrence_merges_overlaps_and_ignores_missing_sentences():
    assert passage_html("abcdef", ["abcd", "cdef", "not there", ""]) == "<p><mark>abcdef</mark></p>\n"
    assert passage_html("x。x。", ["x。"]) == "<p><mark>x。x。</mark></p>\n"
    assert passage_html("a<b", []) == "<p>a&lt;b</p>\n"


def test_a_note_cannot_forge_a_highlight_or_a_line_break():
    html = passage_html("a\ue001b\ue002c\ue000d", [])
    assert html == "<p>abcd</p>\n"


def test_sources_list_every_hit_with_heading_path_score_and_highlighted_support():
    answer = FakeAnswer(
        hits=(FakeHit(EXAM, 0.0328, 1), FakeHit(TRICKY, 0.0161, 2)),
        support=(FakeSupport("c1", "| 合格ライン | 100~1000点中720点 |"),),
        groundedness=0.82,
    )
    html = sources_html(answer)
    assert html.count('class="sa-source') == 2
    assert html.index("[1]") < html.index("[2]")
    assert "試験の概要 &gt; 試験要項" in html and "score 0.0328" in html and "notes.md#c1" in html
    assert "<td><mark>合格ライン</mark></td>" in html
    assert "A &gt; &lt;b&gt;B&lt;/b&gt;" in html and "<script>" not in html and "<b>B</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="sa-source sa-cited" data-chunk-id="c1"' in html
    assert "✓ likely right (confidence 0.83)" in html and "sa-likely" in html
    assert "supported by the notes" not in html


@pytest.mark.parametrize("confidence, status, kind", [
    (0.83, "✓ likely right (confidence 0.83)", "sa-likely"),
    (LIKELY_RIGHT_FROM, f"✓ likely right (confidence {LIKELY_RIGHT_FROM:.2f})", "sa-likely"),
    (LIKELY_RIGHT_FROM - 0.01, f"? unsure: check the sources (confidence {LIKELY_RIGHT_FROM - 0.01:.2f})", "sa-unsure"),
    (0.12, "? unsure: check the sources (confidence 0.12)", "sa-unsure"),
    (None, "? unsure: check the sources", "sa-unsure"),
])
def test_the_status_comes_from_the_confidence_not_from_copying(confidence, status, kind):
    answer = FakeAnswer(text="720点", hits=(FakeHit(EXAM, 0.02, 1),), groundedness=1.0, confidence=confidence)
    assert answer.grounded is True
    assert status_line(answer) == status
    assert status in sources_html(answer) and f'class="sa-status {kind}"' in sources_html(answer)
    assert chat_text(answer) == f"720点\n\n*{status}*"


def test_ungrounded_answer_is_marked_in_the_sources_and_the_chat():
    answer = FakeAnswer(text="I am sure it is 86%.", hits=(FakeHit(EXAM, 0.02, 1),), groundedness=0.3125)
    assert answer.grounded is False
    mark = "⚠ not supported by the notes (groundedness 0.31, confidence 0.83)"
    assert status_line(answer) == mark
    assert mark in sources_html(answer) and "sa-ungrounded" in sources_html(answer)
    assert chat_text(answer) == f"I am sure it is 86%.\n\n*{mark}*"


def test_abstained_answer_shows_the_not_in_the_notes_state():
    answer = FakeAnswer(text="ノートには記載がありません。", hits=(FakeHit(EXAM, 0.01, 1),), abstained=True, groundedness=None)
    html = sources_html(answer)
    assert "sa-abstained" in html and "Not in the notes" in html and "ノートには記載がありません" in html
    assert "sa-cited" not in html and "<mark>" not in html
    assert "not in the notes" in chat_text(answer) and chat_text(answer).startswith("**ノートには記載がありません。**")


def test_the_footer_shows_the_timings():
    from assistant.answer.pipeline import Timings

    answer = FakeAnswer(hits=(FakeHit(EXAM, 0.02, 1),))
    answer.timings = Timings(retrieval_ms=12.3, first_token_ms=437.2, generation_ms=819.0, new_tokens=14)
    assert ('<div class="sa-timings">retrieval 12 ms · first token 437 ms · <span class="sa-new-tokens">14</span> tokens'
            " · 17.1 tokens/s</div>") in sources_html(answer)
    answer.timings = Timings(retrieval_ms=3.0, first_token_ms=None, generation_ms=0.0, new_tokens=0)
    assert "first token" not in sources_html(answer) and "tokens/s" not in sources_html(answer)


def test_no_hits_says_so():
    assert "No passages" in sources_html(FakeAnswer(hits=(), abstained=True, groundedness=None))


def fake_pipeline():
    return SimpleNamespace(generation=DEFAULT_GENERATION, retrieval=RetrievalParams())


def test_request_settings_default_to_the_pipeline_and_accept_whole_floats():
    from ui.app import request_settings

    generation, retrieval = request_settings(fake_pipeline())
    assert generation == DEFAULT_GENERATION and retrieval == RetrievalParams()
    generation, retrieval = request_settings(fake_pipeline(), top_k=12.0, max_new_tokens=8.0, passages=1.0, seed=7.0,
                                             retriever="bm25")
    assert (generation.top_k, generation.max_new_tokens, generation.seed) == (12, 8, 7)
    assert retrieval.passages == 1 and retrieval.retriever.value == "bm25"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"temperature": 9.0}, "temperature=9.0 is out of range"),
        ({"top_p": 0.0}, "top_p=0.0 is out of range"),
        ({"top_k": 1.5}, "top_k must be a whole number"),
        ({"max_new_tokens": "many"}, "max_new_tokens must be a number"),
        ({"passages": 0}, "passages=0 is out of range"),
        ({"retriever": "grep"}, "unknown retriever 'grep'"),
    ],
)
def test_request_settings_reject_bad_values_with_the_setting_named(overrides, message):
    from ui.app import request_settings

    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        request_settings(fake_pipeline(), **overrides)


def test_controls_take_their_defaults_ranges_and_steps_from_the_config():
    import gradio as gr

    from ui.app import build_app

    demo = build_app(fake_pipeline())
    by_id = {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    for name in ("temperature", "top_k", "top_p", "max_new_tokens"):
        spec, slider = setting_range(name), by_id[name]
        assert isinstance(slider, gr.Slider)
        low = spec.low + spec.step if spec.low_open else spec.low
        assert (slider.minimum, slider.maximum, slider.step) == (low, spec.high, spec.step), name
        assert slider.value == getattr(DEFAULT_GENERATION, name)
    passages = by_id["passages"]
    assert (passages.minimum, passages.maximum, passages.value) == (PASSAGES_RANGE.low, PASSAGES_RANGE.high, RetrievalParams().passages)
    seed = by_id["seed"]
    assert (seed.minimum, seed.maximum, seed.value) == (setting_range("seed").low, setting_range("seed").high, DEFAULT_GENERATION.seed)
    assert by_id["retriever"].value == RetrievalParams().retriever.value


def test_auth_comes_from_the_environment_variable():
    from ui.app import auth_from_env

    assert auth_from_env({AUTH_ENV: "learner:pa:ss"}) == ("learner", "pa:ss")
    for bad in ({}, {AUTH_ENV: ""}, {AUTH_ENV: "learner"}, {AUTH_ENV: ":secret"}, {AUTH_ENV: "learner:"}):
        with pytest.raises(InputError, match=AUTH_ENV):
            auth_from_env(bad)


def test_ui_with_auth_but_no_variable_fails_before_loading_anything(monkeypatch, capsys):
    import assistant.cli

    monkeypatch.delenv(AUTH_ENV, raising=False)
    monkeypatch.setattr(assistant.cli, "pipeline_from_args", lambda args: pytest.fail("loaded the pipeline"))
    assert assistant.cli.main(["ui", "--auth"]) == 2
    assert "user:password" in capsys.readouterr().err


def test_default_host_is_loopback():
    assert DEFAULT_HOST == "127.0.0.1"


def test_conversation_turns_pair_questions_with_answers_and_drop_failed_turns():
    from assistant.answer.followup import Turn
    from ui.app import conversation_turns

    chat = [
        {"role": "user", "content": "エポックとは何ですか？"},
        {"role": "assistant", "content": "訓練データを何回使ったか"},
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "⚠ the question is empty"},
        {"role": "user", "content": [{"type": "text", "text": "多すぎるとどうなる？"}]},  # the page's own shape
    ]
    assert conversation_turns(chat) == (Turn("エポックとは何ですか？", "訓練データを何回使ったか"), Turn("多すぎるとどうなる？"))


def test_a_follow_up_says_how_it_was_understood():
    from ui.render import chat_text, sources_html

    answer = SimpleNamespace(question="多すぎるとどうなる？", resolved_question="エポックが多すぎるとどうなる？", text="過学習",
                             abstained=False, grounded=True, groundedness=1.0, support=(), hits=(), timings=None)
    assert chat_text(answer).startswith("↪ *understood as: エポックが多すぎるとどうなる？*")
    assert 'class="sa-understood"' in sources_html(answer)
    alone = SimpleNamespace(**{**vars(answer), "resolved_question": "多すぎるとどうなる？"})
    assert "understood" not in chat_text(alone) and "sa-understood" not in sources_html(alone)
