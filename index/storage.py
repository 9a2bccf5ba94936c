"""Write and read an index folder atomically: files go to a new generation folder, then the manifest flips."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from corpus.chunking import Chunk
from corpus.errors import InputError
from index.bm25 import BM25Index
from index.faiss_store import FaissStore
from index.manifest import MANIFEST_NAME, Manifest, StaleIndexError, check_compatible
from index.sentences import ChunkSentenceVectors, Lexicon, SentenceVectors, TextSentenceVectors, save_chunk_sentences

VECTORS_NAME = "vectors.faiss"
CHUNKS_NAME = "chunks.jsonl"
BM25_NAME = "bm25"
# Vectors of each chunk's sentences (`Chunk.sentence_texts`), so that answers need not embed them (index.sentences):
# the rows, chunk by chunk, and where each chunk's rows start. Optional: a large index leaves them out (answers embed the
# sentences of the chunks they retrieve), and an index without them still loads.
SENTENCE_VECTORS_NAME = "sentence_vectors.npy"
SENTENCE_OFFSETS_NAME = "sentence_offsets.npy"
# The layout before: one file keyed by sentence text, read whole. Still read; `index` rewrites it in the new layout.
SENTENCES_NAME = "sentences.npz"
# Word weights over the notes' sentences (index.sentences.Lexicon); optional: without it the first answer counts them.
LEXICON_NAME = "lexicon.json"
# The notes in comparable form (index.sentences.notes_text); optional, as the word weights.
NOTES_TEXT_NAME = "notes_text.txt"


@dataclass(frozen=True)
class StoredIndex:
    """An index loaded from disk: its manifest, chunks (row order) and both search structures."""

    manifest: Manifest
    chunks: tuple[Chunk, ...]
    dense: FaissStore
    bm25: BM25Index
    sentences: Mapping[str, np.ndarray] = field(default_factory=TextSentenceVectors)
    lexicon_path: Path | None = None

    @cached_property
    def lexicon(self) -> Lexicon | None:
        """The word weights counted when the index was built; None for an index written without them."""
        if self.lexicon_path is None:
            return None
        try:
            return Lexicon.load(self.lexicon_path)
        except (OSError, ValueError, KeyError) as exc:
            raise StaleIndexError(f"the index's word weights cannot be read ({exc.__class__.__name__}); "
                                  "run `python -m assistant index --rebuild`") from exc

    @cached_property
    def notes_text(self) -> str | None:
        """The notes in comparable form as stored when the index was built; None for an index written without it."""
        path = self.lexicon_path.with_name(NOTES_TEXT_NAME) if self.lexicon_path else None
        if path is None or not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise StaleIndexError(f"the index's notes text cannot be read ({exc.__class__.__name__}); "
                                  "run `python -m assistant index --rebuild`") from exc


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        _fsync_dir(path)
    _fsync_dir(folder)


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def file_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, keyed by relative path."""
    sums = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        sums[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return sums


@contextlib.contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock so that two writers never interleave in one index folder."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / ".lock", "w")
    except OSError as exc:
        raise InputError(f"cannot use {index_dir} as the index folder: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise InputError(f"another process is writing the index in {index_dir}; wait for it to finish") from exc
        yield


def save_sentences(folder: Path, chunks: list[Chunk], sentences: Mapping[str, np.ndarray], dim: int) -> None:
    """The sentence vectors of `chunks` in the per-chunk layout (index.sentences)."""
    save_chunk_sentences(folder / SENTENCE_VECTORS_NAME, folder / SENTENCE_OFFSETS_NAME, chunks, sentences, dim)


def load_sentences(path: Path) -> dict[str, np.ndarray]:
    """The legacy `sentences.npz`, whole."""
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return dict(zip(data["texts"].tolist(), data["vectors"]))


def write_index(index_dir: Path, manifest: Manifest, chunks: list[Chunk], dense: FaissStore, bm25: BM25Index,
                sentences: Mapping[str, np.ndarray] | None = None, lexicon: Lexicon | None = None,
                notes_text: str | None = None) -> Manifest:
    """Persist a new generation, then point the manifest at it; the old index stays loadable until then."""
    generation = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    staging = index_dir / f".{generation}.tmp"
    final = index_dir / generation
    try:
        staging.mkdir(parents=True)
        dense.save(staging / VECTORS_NAME)
        with open(staging / CHUNKS_NAME, "w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(json.dumps(chunk.as_record(), ensure_ascii=False) + "\n")
        bm25.save(staging / BM25_NAME)
        if sentences is not None:
            save_sentences(staging, chunks, sentences, dense.dim)
        if lexicon is not None:
            lexicon.save(staging / LEXICON_NAME)
        if notes_text is not None:
            with open(staging / NOTES_TEXT_NAME, "w", encoding="utf-8") as handle:
                handle.write(notes_text)
        _fsync_tree(staging)
        checksums = file_checksums(staging)
        os.rename(staging, final)
        _fsync_dir(index_dir)
        manifest = replace(manifest, generation=generation, checksums=checksums, created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        write_text_atomically(index_dir / MANIFEST_NAME, manifest.to_json())
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if final.exists() and _current_generation(index_dir) != generation:
            shutil.rmtree(final, ignore_errors=True)
        raise InputError(f"cannot write the index in {index_dir}: {exc.strerror or exc}; the previous index is unchanged") from exc
    _remove_old_generations(index_dir, keep=generation)
    return manifest


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    for path in index_dir.iterdir():
        if path.is_dir() and path.name != keep and (path.name.startswith("gen-") or path.name.startswith(".gen-")):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(f".{MANIFEST_NAME}.tmp-"):  # left by a writer killed mid-rename; we hold the lock
            path.unlink(missing_ok=True)


def _current_generation(index_dir: Path) -> str | None:
    """The generation the manifest points at; None when there is no readable manifest (a first build)."""
    try:
        return read_manifest(index_dir).generation
    except InputError:
        return None


def read_manifest(index_dir: Path) -> Manifest:
    manifest = Manifest.from_path(index_dir / MANIFEST_NAME)
    check_compatible(manifest, index_dir)
    return manifest


def index_exists(index_dir: Path) -> bool:
    return (index_dir / MANIFEST_NAME).is_file()


def read_index(index_dir: Path, verify: bool = True) -> StoredIndex:
    """The index in `index_dir`; StaleIndexError if files are missing or fail their checksums."""
    if not index_exists(index_dir):
        raise InputError(f"no index in {index_dir}; build it with `python -m assistant index --index-dir {index_dir}`")
    manifest = read_manifest(index_dir)
    folder = index_dir / manifest.generation
    repair = f"run `python -m assistant index --rebuild --index-dir {index_dir}` to repair it"
    if verify:
        actual = file_checksums(folder) if folder.is_dir() else {}
        bad = sorted(name for name, digest in manifest.checksums.items() if actual.get(name) != digest)
        if bad:
            raise StaleIndexError(f"the index in {index_dir} is corrupted ({', '.join(bad[:3])} missing or changed); {repair}")
    try:
        # Only "\n" ends a record: splitlines() would also split chunk texts holding U+2028 or U+0085.
        lines = (folder / CHUNKS_NAME).read_text(encoding="utf-8").split("\n")
        chunks = tuple(Chunk(**json.loads(line)) for line in lines if line)
        dense = FaissStore.load(folder / VECTORS_NAME)
        bm25 = BM25Index.load(folder / BM25_NAME, len(chunks))
        sentences = _stored_sentences(folder, chunks)
    except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile) as exc:
        raise StaleIndexError(f"the index in {index_dir} cannot be read ({exc.__class__.__name__}); {repair}") from exc
    if dense.size != len(chunks) or len(chunks) != manifest.chunk_count:
        raise StaleIndexError(f"the index in {index_dir} is inconsistent ({dense.size} vectors, {len(chunks)} chunks); {repair}")
    lexicon = folder / LEXICON_NAME
    return StoredIndex(manifest, chunks, dense, bm25, sentences, lexicon if lexicon.is_file() else None)


def _stored_sentences(folder: Path, chunks: tuple[Chunk, ...]) -> SentenceVectors:
    """The sentence vectors in whichever layout the index has, opened lazily; empty when it has none."""
    if (folder / SENTENCE_VECTORS_NAME).is_file() and (folder / SENTENCE_OFFSETS_NAME).is_file():
        return ChunkSentenceVectors(chunks, folder / SENTENCE_VECTORS_NAME, folder / SENTENCE_OFFSETS_NAME)
    legacy = folder / SENTENCES_NAME
    if legacy.is_file():
        return TextSentenceVectors(lambda: load_sentences(legacy))
    return TextSentenceVectors()
