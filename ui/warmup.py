"""Warm-up before the page opens: one real answer, so that the learner's first question does not pay for lazy set-up."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from corpus.chunking import HEADING_SEPARATOR
from corpus.errors import InputError

# Questions are made from the notes' own headings; this many are tried before giving up on a full answer.
WARM_UP_TRIES = 3
# Enough to run the model on the whole prompt (which is what gets cached); the answer itself is thrown away.
WARM_UP_TOKENS = 1


def warm_up_questions(pipeline) -> Iterator[str]:
    """「heading とは？」 for the first distinct headings of the index, e.g. 「試験要項とは？」."""
    seen: set[str] = set()
    for chunk in pipeline.retriever.index.chunks:
        leaf = chunk.heading_path.rsplit(HEADING_SEPARATOR, 1)[-1].strip()
        if leaf and leaf not in seen:
            seen.add(leaf)
            yield f"{leaf}とは？"


def warm_up(pipeline) -> str | None:
    """Answer a question from the notes end to end; returns it, or None if every try abstained.

    A real answer sets up what a token of "warm-up" does not: the evidence scorer (word weights over the whole
    index), the sentence vectors of the chunks it reads, the span grammar, and the model's cached prompt, whose
    instructions and examples every later answer shares. Measured through the UI on 2 cores, the first question
    after launch showed its first piece after 2.8 s without it and 0.8 s with it. When every try abstains, the
    model still runs once.
    """
    params = pipeline.generation.with_overrides(max_new_tokens=WARM_UP_TOKENS)
    used = None
    for question in islice(warm_up_questions(pipeline), WARM_UP_TRIES):
        try:
            answer = pipeline.answer(question, params)
        except InputError:
            continue
        if not answer.abstained:
            used = question
            if answer.timings.new_tokens == 0:  # settled without the model (a definition): run it on the same prompt
                plan = pipeline.plan(question, params)
                if plan is not None:
                    pipeline.generator.generate(plan.prompt, plan.params, plan.constraint)
            break
    if used is None:
        pipeline.retriever.search("warm-up", 1, pipeline.retrieval.retriever)
        pipeline.generator.generate("warm-up", params)
    # Gradio runs every event inside a matplotlib backend switch; left to the first event, importing matplotlib
    # there delays the first answer by about half a second.
    import matplotlib

    matplotlib.get_backend()
    return used
