"""A tiny chunked corpus, gold set and deterministic fake retriever for the harness tests."""

from __future__ import annotations

from corpus.chunking import Chunk
from eval.gold import GoldItem
from index.retriever import Hit

CHUNKS = (
    Chunk("c1", "exam.md", "試験 > 試験要項", "| 項目 | |\n|---|---|\n| 問題数 | 65問 |\n| 合格ライン | 720点 |"),
    Chunk("c2", "ml.md", "ML > 正則化", "L2正則化はすべての重みを小さくする。L1正則化は一部の特徴を0にする。"),
    Chunk("c3", "ml.md", "ML > エポック", "エポックが多すぎると過学習につながる。"),
    Chunk("c4", "sm.md", "SageMaker > Amazon SageMaker Canvas", "ノーコードで機械学習による推論を行える機能。"),
)

GOLD = (
    GoldItem("g1", "問題数は？", ("65問",), ("問題数 65問",)),
    GoldItem("g2", "L2正則化とは？", ("すべての重みを小さくする",), ("L2正則化はすべての重みを小さくする。",)),
    GoldItem("g3", "エポックが多いと？", ("過学習",), ("エポックが多すぎると過学習につながる。",)),
    GoldItem("g4", "What is the no-code feature?", ("Amazon SageMaker Canvas",), ("ノーコードで機械学習による推論を行える機能。",), lang="en", kind="english"),
    GoldItem("u1", "試験は何か国語で受けられる？", (), (), answerable=False, kind="unanswerable"),
)

# g1 first relevant at rank 1, g2 at 2, g3 missed, g4 at 3.
RANKINGS = {
    "問題数は？": ["c1", "c2", "c3", "c4"],
    "L2正則化とは？": ["c3", "c2", "c1"],
    "エポックが多いと？": ["c1", "c2", "c4"],
    "What is the no-code feature?": ["c2", "c3", "c4"],
    "試験は何か国語で受けられる？": ["c1"],
}

ANSWERS = {
    "g1": {"id": "g1", "answer": "65問です", "abstained": False, "sources": [{"rank": 1, "chunk_id": "c1"}]},
    "g2": {"id": "g2", "answer": "すべての重みを小さくする。", "abstained": False, "sources": []},
    "g3": {"id": "g3", "answer": "ノートには書かれていません。", "abstained": True, "sources": []},
    "g4": {"id": "g4", "answer": "Amazon SageMaker Canvas", "abstained": False, "sources": []},
    "u1": {"id": "u1", "answer": "ノートには書かれていません。", "abstained": True, "sources": []},
}


class FakeRetriever:
    """Returns the fixed RANKINGS, records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, object]] = []
        self.by_id = {c.id: c for c in CHUNKS}

    def search(self, query: str, k: int, mode) -> list[Hit]:
        self.calls.append((query, k, mode))
        ids = RANKINGS[query][:k]
        return [Hit(self.by_id[i], 1.0 / rank, rank) for rank, i in enumerate(ids, start=1)]
