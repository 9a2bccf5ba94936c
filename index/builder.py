"""Build or update an index folder from a notes folder, re-embedding only chunks that are new."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from corpus.chunking import Chunk, ChunkerSettings, chunk_document
from corpus.loading import NotesFolder, Skipped, load_notes
from index.bm25 import BM25Index
from index.embedders import DEFAULT_EMBEDDER, make_embedder
from index.faiss_store import FaissStore, index_kind_for
from index.manifest import FORMAT_VERSION, Manifest, StaleIndexError
from index.storage import index_exists, index_lock, read_index, write_index

EMBED_BATCH = 32


@dataclass(frozen=True)
class BuildSummary:
    """What one `index` run did."""

    index_dir: Path
    files: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    skipped: tuple[Skipped, ...]
    up_to_date: bool

    def line(self) -> str:
        state = "already up to date" if self.up_to_date else f"{self.embedded} embedded, {self.reused} reused"
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return f"indexed {self.files} files, {self.chunks} chunks ({state}{skipped}) in {self.seconds:.1f} s -> {self.index_dir}"


def _previous_vectors(index_dir: Path, embedder: str, chunker: dict, rebuild: bool) -> tuple[dict[str, np.ndarray], Manifest | None]:
    """Vectors of the current index by chunk id, if it was built the same way and is intact."""
    if rebuild or not index_exists(index_dir):
        return {}, None
    try:
        old = read_index(index_dir)
    except StaleIndexError:
        return {}, None
    if old.manifest.embedder != embedder or old.manifest.chunker != chunker:
        return {}, old.manifest
    vectors = old.dense.vectors()
    return {chunk.id: vectors[row] for row, chunk in enumerate(old.chunks)}, old.manifest


def build_index(
    notes_dir: Path,
    index_dir: Path,
    embedder_name: str = DEFAULT_EMBEDDER,
    settings: ChunkerSettings = ChunkerSettings(),
    rebuild: bool = False,
    progress: bool = True,
    notes: NotesFolder | None = None,
) -> BuildSummary:
    """Index `notes_dir` into `index_dir`; the previous index stays readable until the new one is complete."""
    started = time.perf_counter()
    notes = notes or load_notes(notes_dir)
    chunks: list[Chunk] = [c for doc in notes.documents for c in chunk_document(doc, settings)]
    files = {d.source: d.sha256 for d in notes.documents}
    with index_lock(index_dir):
        known, old = _previous_vectors(index_dir, embedder_name, settings.as_dict(), rebuild)
        notes_path = str(Path(notes_dir).resolve())
        if old and known and old.files == files and old.notes_dir == notes_path and old.chunk_count == len(chunks):
            return BuildSummary(index_dir, len(files), len(chunks), 0, len(chunks), time.perf_counter() - started, notes.skipped, True)
        embedder = make_embedder(embedder_name)
        # Similar lengths together: batches pad less.
        missing = sorted((c for c in chunks if c.id not in known), key=lambda c: len(c.embedding_text()))
        encoder = embedder.for_bulk(len(missing))
        bar = tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not progress or not missing, leave=False)
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), EMBED_BATCH):
            batch = missing[start : start + EMBED_BATCH]
            for chunk, vector in zip(batch, encoder.embed_passages([c.embedding_text() for c in batch])):
                fresh[chunk.id] = vector
            bar.update(len(batch))
        bar.close()
        vectors = np.stack([known.get(c.id, fresh.get(c.id)) for c in chunks]) if chunks else np.zeros((0, embedder.dim), np.float32)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            embedder=embedder.name,
            dim=embedder.dim,
            chunker=settings.as_dict(),
            notes_dir=notes_path,
            files=files,
            generation="",
            checksums={},
            chunk_count=len(chunks),
            index_kind=index_kind_for(len(chunks)).value,
            skipped={s.source: s.reason for s in notes.skipped},
        )
        write_index(index_dir, manifest, chunks, FaissStore.build(vectors), BM25Index.build([c.embedding_text() for c in chunks]))
    return BuildSummary(
        index_dir, len(files), len(chunks), len(missing), len(chunks) - len(missing), time.perf_counter() - started, notes.skipped, False
    )
