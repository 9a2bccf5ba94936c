"""Support sentences and the groundedness score."""

import pytest

from assistant.answer.grounding import groundedness, supporting_sentences, units
from corpus.chunking import Chunk
from index.retriever import Hit

CHUNK = Chunk("c1", "n.md", "A", "| 項目 | 値 |\n|---|---|\n| 合格ライン | 100~1000点中720点 |\n\nエポックが多すぎると過学習につながる。バッチは小さい。")
HITS = (Hit(CHUNK, 1.0, 1),)


def test_units_are_rows_and_sentences():
    assert units(CHUNK.text) == ["| 項目 | 値 |", "| 合格ライン | 100~1000点中720点 |", "エポックが多すぎると過学習につながる。", "バッチは小さい。"]


@pytest.mark.parametrize(
    "answer, sentence",
    [("720点", "| 合格ライン | 100~1000点中720点 |"), ("過学習につながる", "エポックが多すぎると過学習につながる。")],
)
def test_best_supporting_sentence(answer, sentence):
    assert supporting_sentences(answer, HITS)[0].sentence == sentence


@pytest.mark.parametrize("answer, low, high", [("過学習", 1.0, 1.0), ("値", 1.0, 1.0), ("鳥", 0.0, 0.0), ("過学習と誤分類", 0.3, 0.6), ("誤分類です", 0.0, 0.0)])
def test_groundedness_range(answer, low, high):
    assert low <= groundedness(answer, HITS) <= high
