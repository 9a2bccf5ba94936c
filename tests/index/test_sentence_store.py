"""Sentence vectors and word weights stored with the index: the per-chunk layout read lazily, the legacy
`sentences.npz` layout still read and upgraded, and large notes that store no sentence vectors."""

import json

import numpy as np
import pytest

from index import builder, storage
from index.builder import build_index
from index.embedders import make_embedder
from index.sentences import ChunkSentenceVectors, Lexicon, TextSentenceVectors, notes_text
from index.storage import read_index

FAKE = "fake-hash"


def build(notes_dir, index_dir, **kwargs):
    return build_index(notes_dir, index_dir, embedder_name=FAKE, progress=False, **kwargs)


def _counting(monkeypatch) -> list[str]:
    """Every text the fake embedder embeds as a passage from now on."""
    embedder = make_embedder(FAKE)
    asked: list[str] = []
    real = type(embedder).embed_passages
    monkeypatch.setattr(type(embedder), "embed_passages", lambda self, texts: asked.extend(texts) or real(self, texts))
    return asked


def _to_legacy_layout(index_dir) -> dict[str, np.ndarray]:
    """Rewrite a built index as the previous version wrote it: sentences.npz keyed by text, no word weights."""
    manifest = json.loads((index_dir / "manifest.json").read_text())
    folder = index_dir / manifest["generation"]
    by_text = dict(read_index(index_dir).sentences.items())
    with open(folder / storage.SENTENCES_NAME, "wb") as handle:
        np.savez(handle, texts=np.array(list(by_text), dtype=np.str_), vectors=np.stack(list(by_text.values())))
    for name in (storage.SENTENCE_VECTORS_NAME, storage.SENTENCE_OFFSETS_NAME, storage.LEXICON_NAME, storage.NOTES_TEXT_NAME):
        (folder / name).unlink()
        del manifest["checksums"][name]
    manifest["checksums"][storage.SENTENCES_NAME] = storage.file_checksums(folder)[storage.SENTENCES_NAME]
    (index_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return by_text


def test_sentence_vectors_are_stored_per_chunk_and_read_only_when_asked(notes_dir, tmp_path):
    build(notes_dir, tmp_path / "idx")
    stored = read_index(tmp_path / "idx")
    assert isinstance(stored.sentences, ChunkSentenceVectors)
    assert stored.sentences._arrays is None  # nothing read yet: `search` never touches them
    embedder = make_embedder(FAKE)
    chunk = max(stored.chunks, key=lambda c: len(c.sentence_texts()))
    got = stored.sentences.of(chunk)
    assert len(got) == len(chunk.sentence_texts()) > 1
    np.testing.assert_allclose(np.stack(got), embedder.embed_passages(chunk.sentence_texts()), atol=1e-6)
    vectors, _ = stored.sentences._arrays
    assert isinstance(vectors, np.memmap) and vectors.dtype == np.float32  # mapped, not read into memory


def test_a_chunk_the_index_does_not_know_gets_no_stored_vectors(notes_dir, tmp_path):
    from corpus.chunking import Chunk

    build(notes_dir, tmp_path / "idx")
    stored = read_index(tmp_path / "idx")
    stranger = Chunk(id="not-in-this-index", source="x.md", heading_path="X", text="一文目。二文目。")
    assert stored.sentences.of(stranger) == [None] * len(stranger.sentence_texts())


def test_word_weights_are_counted_at_index_time(notes_dir, tmp_path):
    build(notes_dir, tmp_path / "idx")
    stored = read_index(tmp_path / "idx")
    assert stored.lexicon == Lexicon.of_chunks(stored.chunks)
    assert stored.notes_text == notes_text(stored.chunks) and "l2" in stored.notes_text
    assert stored.lexicon.documents == sum(len(c.sentence_texts()) for c in stored.chunks) > 0


def test_a_legacy_index_still_answers_and_index_upgrades_it_without_embedding(notes_dir, tmp_path, monkeypatch):
    build(notes_dir, tmp_path / "idx")
    by_text = _to_legacy_layout(tmp_path / "idx")
    legacy = read_index(tmp_path / "idx")
    assert isinstance(legacy.sentences, TextSentenceVectors) and legacy.lexicon is None
    chunk = legacy.chunks[0]
    assert [v.tolist() for v in legacy.sentences.of(chunk)] == [by_text[t].tolist() for t in chunk.sentence_texts()]
    asked = _counting(monkeypatch)
    summary = build(notes_dir, tmp_path / "idx")
    assert not summary.up_to_date and summary.embedded == 0 and asked == []  # chunks and sentences reused
    upgraded = read_index(tmp_path / "idx")
    assert storage.SENTENCES_NAME not in upgraded.manifest.checksums and upgraded.lexicon is not None
    assert isinstance(upgraded.sentences, ChunkSentenceVectors)
    assert {t: v.tolist() for t, v in upgraded.sentences.items()} == {t: v.tolist() for t, v in by_text.items()}
    assert build(notes_dir, tmp_path / "idx").up_to_date


def test_large_notes_store_no_sentence_vectors_and_answers_embed_only_retrieved_chunks(notes_dir, tmp_path, monkeypatch):
    from assistant.answer.evidence import EvidenceSelector
    from assistant.answer.question import Question
    from assistant.answer.words import NotesVocabulary
    from index.retriever import Retriever

    monkeypatch.setattr(builder, "SENTENCE_VECTORS_UP_TO", 3)
    asked = _counting(monkeypatch)
    build(notes_dir, tmp_path / "idx")
    stored = read_index(tmp_path / "idx")
    sentences = {t for c in stored.chunks for t in c.sentence_texts()}
    assert len(sentences) > 3 and not (set(asked) & sentences)  # none embedded at index time
    assert storage.SENTENCE_VECTORS_NAME not in stored.manifest.checksums and stored.lexicon is not None
    assert build(notes_dir, tmp_path / "idx").up_to_date
    embedder = make_embedder(FAKE)
    hits = Retriever(stored, embedder).search("L2正則化", k=1, mode="hybrid")
    selector = EvidenceSelector(embedder, NotesVocabulary.build(stored.chunks, lexicon=stored.lexicon),
                                stored=stored.sentences)
    asked.clear()
    ranked = selector.select(Question.analyse("L2正則化とは？"), hits)
    assert ranked and set(asked) == set(hits[0].chunk.sentence_texts())  # just the retrieved chunk's sentences
    asked.clear()
    assert selector.select(Question.analyse("L2正則化とは？"), hits) == ranked and asked == []  # cached


def test_answers_read_the_same_vectors_from_either_layout(notes_dir, tmp_path):
    from assistant.answer.evidence import EvidenceSelector
    from assistant.answer.question import Question
    from assistant.answer.words import NotesVocabulary
    from index.retriever import Retriever

    build(notes_dir, tmp_path / "idx")
    embedder = make_embedder(FAKE)
    results = []
    for layout in ("per chunk", "legacy"):
        if layout == "legacy":
            _to_legacy_layout(tmp_path / "idx")
        stored = read_index(tmp_path / "idx")
        hits = Retriever(stored, embedder).search("試験時間", k=3, mode="hybrid")
        selector = EvidenceSelector(embedder, NotesVocabulary.build(stored.chunks, lexicon=stored.lexicon),
                                    stored=stored.sentences)
        results.append(selector.select(Question.analyse("試験時間は何分？"), hits))
    assert results[0] == results[1] and results[0]


def test_damaged_word_weights_name_the_repair(notes_dir, tmp_path):
    from index.manifest import StaleIndexError

    build(notes_dir, tmp_path / "idx")
    stored = read_index(tmp_path / "idx")
    stored.lexicon_path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(StaleIndexError, match="--rebuild"):
        read_index(tmp_path / "idx", verify=False).lexicon


def test_a_large_legacy_index_tells_how_to_store_its_word_weights(notes_dir, tmp_path, monkeypatch):
    from assistant import retrieval

    build(notes_dir, tmp_path / "idx")
    said: list[str] = []
    retrieval.open_retriever(tmp_path / "idx", say=said.append)
    _to_legacy_layout(tmp_path / "idx")
    retrieval.open_retriever(tmp_path / "idx", say=said.append)
    assert said == []  # a small index: counting its word weights is instant
    monkeypatch.setattr(retrieval, "UPGRADE_HINT_FROM", 1)
    retrieval.open_retriever(tmp_path / "idx", say=said.append)
    assert len(said) == 1 and "older version" in said[0] and f"--index-dir {tmp_path / 'idx'}" in said[0]
    build(notes_dir, tmp_path / "idx")
    retrieval.open_retriever(tmp_path / "idx", say=said.append)
    assert len(said) == 1
