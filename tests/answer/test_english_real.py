"""English questions over the bundled Japanese notes, on the real index and model: the UI's English examples and
the issue's three wrong answers come back right, with the passage they were copied from listed first."""

from __future__ import annotations

import pytest

from corpus.text import evidence_form, language

pytestmark = pytest.mark.slow

# Every English question the UI suggests must be listed here, with its answer and the notes' line that holds it.
EXPECTED = {
    "What is the passing score?": ("720点", "| 合格ライン | 100~1000点中720点 |"),
    "How much does the exam cost?": ("¥20,000", "| 受験料 | ¥20,000 (税別) |"),
    "For how many years is the certification valid?": ("3年", "| 有効期限 | 3年 |"),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from assistant.paths import DEFAULT_NOTES_DIR
    from assistant.answer.pipeline import create_pipeline
    from index.builder import build_index

    index_dir = tmp_path_factory.mktemp("notes-index") / "index"
    build_index(DEFAULT_NOTES_DIR, index_dir, progress=False)
    pipeline = create_pipeline(index_dir)
    yield pipeline
    pipeline.generator.close()


def test_every_english_ui_example_has_an_expected_answer():
    from ui.app import EXAMPLES

    english = [q for q in EXAMPLES if language(q) == "en"]
    assert english and set(english) <= set(EXPECTED)


@pytest.mark.parametrize("question", list(EXPECTED))
def test_english_question_is_answered_from_the_right_chunk(pipeline, question):
    answer_text, line = EXPECTED[question]
    hits = pipeline.retrieve(question, pipeline.retrieval)
    assert any(evidence_form(line) in evidence_form(h.chunk.text) for h in hits), "the chunk is among the passages read"
    answer = pipeline.answer(question)
    assert not answer.abstained and answer.text == answer_text
    assert evidence_form(line) in evidence_form(answer.hits[0].chunk.text), "the chunk it was copied from comes first"
    assert answer.hits[0].rank == 1 and answer.support and answer.grounded is True


# The UI's Japanese examples: what a right answer holds.
JAPANESE_EXAMPLES = {
    "パイプモードの利点は？": "スループット向上や使用ディスク領域の削減",
    "合格ラインは何点？": "720点",
    "L2正則化とは？": "すべての特徴の全体的な重み値を小さくする",
}


def test_every_ui_example_is_answered_right(pipeline):
    from ui.app import EXAMPLES

    for question in EXAMPLES:
        expected = EXPECTED[question][0] if question in EXPECTED else JAPANESE_EXAMPLES[question]
        answer = pipeline.answer(question)
        assert not answer.abstained and expected in answer.text and len(answer.text) <= 2 * len(expected) + 6, question
