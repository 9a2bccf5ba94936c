"""Open the retriever for an index folder: build the default index when it is missing, refuse a stale one."""

from __future__ import annotations

import sys
from pathlib import Path

from corpus.errors import InputError
from corpus.loading import load_notes
from index.builder import build_index
from index.embedders import make_embedder
from index.manifest import check_fresh
from index.retriever import Retriever
from index.storage import index_exists, read_index

from assistant.paths import DEFAULT_NOTES_DIR, default_index_dir

# An index without stored word weights (index.storage.LEXICON_NAME) makes the first answer count them: a few
# seconds per 1,000 chunks, so from this size on the user is told how to store them.
UPGRADE_HINT_FROM = 2_000


def open_retriever(index_dir: Path | None = None, say=lambda message: print(message, file=sys.stderr)) -> Retriever:
    """A Retriever over `index_dir` (default: the data folder's index of the default notes)."""
    index_dir = Path(index_dir) if index_dir else default_index_dir()
    if not index_exists(index_dir):
        if index_dir != default_index_dir():
            raise InputError(f"no index in {index_dir}; build it with `python -m assistant index --index-dir {index_dir}`")
        say(f"no index yet in {index_dir}; building it from {DEFAULT_NOTES_DIR} first")
        say(build_index(DEFAULT_NOTES_DIR, index_dir).line())
    stored = read_index(index_dir)
    notes_dir = Path(stored.manifest.notes_dir)
    if not notes_dir.is_dir():
        raise InputError(
            f"the notes folder {notes_dir} that the index in {index_dir} was built from is gone; "
            f"run `python -m assistant index --notes DIR --index-dir {index_dir}`"
        )
    # Files that did not change are only hashed: converting every PDF again on each question would cost seconds.
    check_fresh(stored.manifest, load_notes(notes_dir, reuse=stored.manifest.files), index_dir)
    if stored.lexicon_path is None and len(stored.chunks) >= UPGRADE_HINT_FROM:
        say(f"the index in {index_dir} was written by an older version: each process counts its word weights over all "
            f"{len(stored.chunks):,} chunks before the first answer; `python -m assistant index --notes {notes_dir} "
            f"--index-dir {index_dir}` stores them once (without embedding again)")
    return Retriever(stored, make_embedder(stored.manifest.embedder))
