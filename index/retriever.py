"""Dense, BM25 and hybrid (reciprocal rank fusion) retrieval over a stored index."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from corpus.chunking import Chunk
from corpus.errors import InputError
from corpus.text import language
from index.crosslingual import ENGLISH_NOTES_SHARE, CrossLingualExpander
from index.embedders import Embedder
from index.storage import StoredIndex

RRF_K = 60
# For a cross-lingual query, BM25's ranking counts this many times the dense one in the fusion: the embedder ranks
# chunks in the question's own language too high, the dictionary-expanded BM25 terms are in the notes' language.
# Tuned on the English dev questions (eval/gold/dev.jsonl, manpages dev): 1 → r@1 0.80, 1.5-2 → 0.85, 3 → r@5 0.85.
CROSSLINGUAL_BM25_WEIGHT = 2.0
# Fusion looks this deep into each ranking before cutting to k.
FUSION_DEPTH = 50


class RetrieverMode(str, Enum):
    DENSE = "dense"
    BM25 = "bm25"
    HYBRID = "hybrid"

    @classmethod
    def parse(cls, value: "str | RetrieverMode") -> "RetrieverMode":
        try:
            return cls(value)
        except ValueError:
            raise InputError(f"unknown retriever {value!r}; choose one of: {', '.join(m.value for m in cls)}") from None


MAX_QUERY_CHARS = 20_000


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its rank (1 = best) and the score that ranked it.

    `dense_score` is the chunk's cosine similarity to the query: the retriever fills it in every mode, also for hits
    only BM25 found. `bm25_score` is the chunk's BM25 score when the lexical side found it.
    """

    chunk: Chunk
    score: float
    rank: int
    dense_score: float | None = None
    bm25_score: float | None = None

    def as_dict(self) -> dict:
        """The DESIGN's source object, shared by `search --json` and batch `sources`."""
        return {
            "rank": self.rank,
            "chunk_id": self.chunk.id,
            "source": self.chunk.source,
            "heading_path": self.chunk.heading_path,
            "text": self.chunk.text,
            "score": round(self.score, 6),
            # Additive: where in the file the chunk is (a PDF's page, otherwise its heading path); tags when the note has them.
            "location": self.chunk.place,
            **({"tags": list(self.chunk.tags)} if self.chunk.tags else {}),
        }


def check_query(query: str) -> None:
    """InputError for a query no embedder should see: lone surrogates, or so long that embedding it takes minutes.

    The assistant's questions are capped far lower (assistant.config); this guards every other caller, e.g. eval.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(f"the query is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the query holds a lone surrogate (such as \\ud800), which is not a character") from None


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = RRF_K, weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Rows ordered by sum of weight/(k + rank) over the rankings they appear in (every weight 1 by default)."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


class Retriever:
    """Searches one stored index with the embedder it was built with.

    With `crosslingual` (the default), BM25 searches an English query's words also as the Japanese words the notes
    use for them (index.crosslingual); without it, every query is searched as it is written.
    """

    def __init__(self, index: StoredIndex, embedder: Embedder, crosslingual: bool = True) -> None:
        if embedder.dim != index.dense.dim:
            raise InputError(
                f"embedder {embedder.name} makes {embedder.dim}-d vectors but the index holds {index.dense.dim}-d ones; "
                "run `python -m assistant index --rebuild`"
            )
        self.index = index
        self.embedder = embedder
        self.crosslingual = crosslingual
        self._expander: CrossLingualExpander | None = None

    @property
    def expander(self) -> CrossLingualExpander:
        """Built on the first English query: it reads the BM25 vocabulary once."""
        if self._expander is None:
            chunks = self.index.chunks
            english = sum(language(c.text) == "en" for c in chunks) >= ENGLISH_NOTES_SHARE * len(chunks) > 0
            self._expander = CrossLingualExpander(self.index.bm25.vocabulary, english_notes=english)
        return self._expander

    def lexical(self, query: str, k: int) -> tuple[list[tuple[int, float]], bool]:
        """BM25 (row, score) pairs, best first, and whether they come from the query's cross-lingual term groups."""
        groups = self.expander.groups(query) if self.crosslingual else None
        if groups is None:
            return self.index.bm25.search(query, k), False
        return self.index.bm25.search_groups([g.alternatives for g in groups], k), language(query) == "en"

    def search(self, query: str, k: int, mode: RetrieverMode | str) -> list[Hit]:
        """The k best chunks for `query`, best first."""
        mode = RetrieverMode.parse(mode)
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        check_query(query)
        depth = max(k, FUSION_DEPTH) if mode is RetrieverMode.HYBRID else k
        lexical, expanded = self.lexical(query, depth) if mode is not RetrieverMode.DENSE else ([], False)
        # The query is embedded once, in BM25 mode too (when BM25 found anything): every hit gets its similarity.
        vector = self.embedder.embed_query(query) if mode is not RetrieverMode.BM25 or lexical else None
        dense = self.index.dense.search(vector, depth) if mode is not RetrieverMode.BM25 else []
        if mode is RetrieverMode.DENSE:
            ranked = dense
        elif mode is RetrieverMode.BM25:
            ranked = lexical
        else:
            weights = [1.0, CROSSLINGUAL_BM25_WEIGHT if expanded else 1.0]
            ranked = reciprocal_rank_fusion([[r for r, _ in dense], [r for r, _ in lexical]], weights=weights)
            ranked = ranked if expanded else _decisive_first(ranked, lexical)  # translated terms decide nothing alone
        ranked = ranked[:k]
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        unseen = [row for row, _ in ranked if row not in dense_scores]  # found by BM25 alone: score just these rows
        if unseen:
            dense_scores.update(zip(unseen, self.index.dense.inner_products(vector, unseen)))
        return [
            Hit(self.index.chunks[row], score, rank, dense_scores[row], lexical_scores.get(row))
            for rank, (row, score) in enumerate(ranked, start=1)
        ]


# A BM25 score this many times the runner-up's is a decisive lexical match (the question names a note and a section
# that says little else: 「date コマンドの作者」 → date(1)'s 「作者 David MacKenzie。」), which the fusion keeps first.
DECISIVE_LEXICAL_RATIO = 1.5


def _decisive_first(ranked: list[tuple[int, float]], lexical: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """`ranked` with BM25's best row moved to the top when its score is decisive (DECISIVE_LEXICAL_RATIO)."""
    if len(lexical) < 2 or lexical[1][1] <= 0 or lexical[0][1] < DECISIVE_LEXICAL_RATIO * lexical[1][1]:
        return ranked
    top = lexical[0][0]
    best = ranked[0][1] if ranked else 0.0
    return [(top, best), *[(row, score) for row, score in ranked if row != top]]
