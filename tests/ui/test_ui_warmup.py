"""The warm-up before the page opens: one real answer from the notes, or at least one run of the model."""

from __future__ import annotations

from dataclasses import replace

from assistant.answer.pipeline import Pipeline
from tests.conftest import EchoGenerator
from ui.warmup import WARM_UP_TRIES, warm_up, warm_up_questions


def test_warm_up_answers_a_question_made_from_a_heading(fake_index):
    generator = EchoGenerator()
    pipeline = Pipeline(fake_index, generator, abstain_below=0.0)
    questions = list(warm_up_questions(pipeline))
    assert questions and all(q.endswith("とは？") for q in questions) and len(set(questions)) == len(questions)
    used = warm_up(pipeline)
    assert used == questions[0]
    assert len(generator.prompts) == 1 and used in generator.prompts[0]  # the real prompt, not "warm-up"
    assert pipeline._selector is not None  # the evidence scorer is built before the first question


def test_warm_up_still_runs_the_model_when_every_try_abstains(fake_index, monkeypatch):
    generator = EchoGenerator()
    pipeline = Pipeline(fake_index, generator, abstain_below=0.0)
    answer = pipeline.answer("正則化とは？")
    tries = []

    def abstains(question, generation=None, retrieval=None):
        tries.append(question)
        return replace(answer, abstained=True)

    monkeypatch.setattr(pipeline, "answer", abstains)
    generator.prompts.clear()
    assert warm_up(pipeline) is None
    assert len(tries) == min(WARM_UP_TRIES, len(list(warm_up_questions(pipeline))))
    assert generator.prompts == ["warm-up"]
