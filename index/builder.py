"""Build or update an index folder from a notes folder, re-embedding only chunks that are new."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from corpus.chunking import Chunk, ChunkerSettings, chunk_document
from corpus.loading import NotesFolder, Skipped, load_notes
from index.bm25 import BM25_TERMS, BM25Index
from index.embedders import DEFAULT_EMBEDDER, Embedder, make_embedder
from index.faiss_store import FaissStore, index_kind_for
from index.manifest import FORMAT_VERSION, Manifest, StaleIndexError
from index.sentences import Lexicon, notes_text
from index.storage import (LEXICON_NAME, NOTES_TEXT_NAME, SENTENCE_VECTORS_NAME, SENTENCES_NAME, index_exists,
                           index_lock, read_index, write_index)

# Notes with more sentences than this get no stored sentence vectors: embedding them all took 6 of the 9 minutes of
# a 10k-chunk index (issue 17) and most are never read, while an answer embeds the ~25 sentences of its 3 passages
# in a fraction of a second. Below it they cost at most about a minute and the first answers need not embed.
SENTENCE_VECTORS_UP_TO = 20_000


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


@dataclass(frozen=True)
class Previous:
    """What the current index can lend a new build: chunk vectors by id, sentence vectors by text, its manifest."""

    vectors: dict[str, np.ndarray]
    sentences: Mapping[str, np.ndarray]
    manifest: Manifest | None

    def has_sentences(self) -> bool:
        """Whether the index stores sentence vectors, in either layout."""
        sums = self.manifest.checksums if self.manifest else {}
        return SENTENCE_VECTORS_NAME in sums or SENTENCES_NAME in sums

    def current_layout(self, want_sentences: bool) -> bool:
        """Whether the index has what this version writes: word weights, BM25 of today's index terms, and sentence
        vectors in the per-chunk layout exactly when they are wanted."""
        sums = self.manifest.checksums if self.manifest else {}
        stored = LEXICON_NAME in sums and NOTES_TEXT_NAME in sums and SENTENCES_NAME not in sums
        terms = self.manifest is not None and self.manifest.bm25_terms == BM25_TERMS
        return stored and terms and (SENTENCE_VECTORS_NAME in sums) == want_sentences


def _previous(index_dir: Path, embedder: str, chunker: dict, rebuild: bool) -> Previous:
    """The current index's vectors, if it was built the same way and is intact."""
    if rebuild or not index_exists(index_dir):
        return Previous({}, {}, None)
    try:
        old = read_index(index_dir)
    except StaleIndexError:
        return Previous({}, {}, None)
    if old.manifest.embedder != embedder or old.manifest.chunker != chunker:
        return Previous({}, {}, old.manifest)
    vectors = old.dense.vectors()
    return Previous({chunk.id: vectors[row] for row, chunk in enumerate(old.chunks)}, old.sentences, old.manifest)


def _sentence_texts(chunks: list[Chunk], limit: int) -> list[str] | None:
    """The distinct sentence texts of `chunks`, or None as soon as there are more than `limit`."""
    found: dict[str, None] = {}
    for chunk in chunks:
        found.update(dict.fromkeys(chunk.sentence_texts()))
        if len(found) > limit:
            return None
    return list(found)


def _embed(encoder: Embedder, texts: list[str], desc: str, unit: str, progress: bool) -> dict[str, np.ndarray]:
    """Vectors of `texts` by text, in batches, with a progress bar; similar lengths together, so batches pad less."""
    texts = sorted(dict.fromkeys(texts), key=len)
    found: dict[str, np.ndarray] = {}
    with tqdm(total=len(texts), desc=desc, unit=unit, disable=not progress or not texts, leave=False) as bar:
        for start in range(0, len(texts), encoder.call_size):
            batch = texts[start : start + encoder.call_size]
            found.update(zip(batch, encoder.embed_passages(batch)))
            bar.update(len(batch))
    return found


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
        previous = _previous(index_dir, embedder_name, settings.as_dict(), rebuild)
        known, old = previous.vectors, previous.manifest
        notes_path = str(Path(notes_dir).resolve())
        sentence_texts = _sentence_texts(chunks, SENTENCE_VECTORS_UP_TO)
        want_sentences = sentence_texts is not None
        if (old and known and previous.current_layout(want_sentences) and old.files == files and old.notes_dir == notes_path
                and old.chunk_count == len(chunks)):
            return BuildSummary(index_dir, len(files), len(chunks), 0, len(chunks), time.perf_counter() - started, notes.skipped, True)
        embedder = make_embedder(embedder_name)
        missing = [c for c in chunks if c.id not in known]
        reusable = dict(previous.sentences.items()) if want_sentences and previous.has_sentences() else {}
        new_sentences = [t for t in sentence_texts or () if t not in reusable]
        encoder = embedder.for_bulk(len(missing) + len(new_sentences))
        by_text = _embed(encoder, [c.embedding_text() for c in missing], "embedding", "chunk", progress)
        fresh = {c.id: by_text[c.embedding_text()] for c in missing}
        del by_text
        embedded = _embed(encoder, new_sentences, "embedding sentences", "sentence", progress)
        del encoder
        embedder.release_bulk()  # BM25 and the word weights come next: at 10k chunks the engine held ~0.5 GB
        sentences = (None if sentence_texts is None
                     else {t: embedded[t] if t in embedded else reusable[t] for t in sentence_texts})
        del embedded, reusable
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
            bm25_terms=BM25_TERMS,
        )
        known.clear()
        fresh.clear()
        named = len({c.source for c in chunks}) > 1  # a note's name tells it apart from other notes
        write_index(index_dir, manifest, chunks, FaissStore.build(vectors), BM25Index.build([c.bm25_text(named) for c in chunks]),
                    sentences, Lexicon.of_chunks(chunks), notes_text(chunks))
    return BuildSummary(
        index_dir, len(files), len(chunks), len(missing), len(chunks) - len(missing), time.perf_counter() - started, notes.skipped, False
    )
