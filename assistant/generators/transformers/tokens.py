"""The bytes each token of a vocabulary writes, indexed by those bytes (TokenTable)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


def _unicode_to_byte() -> dict[str, int]:
    """The inverse of GPT-2's bytes_to_unicode table, used by byte-level BPE vocabularies."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(printable, codes)}


def token_bytes_from_pieces(
    pieces: Sequence[str | None], special_ids: Iterable[int], *, byte_level: bool
) -> list[bytes | None]:
    """The bytes each token adds to the output, or None for special tokens that add no text.

    SentencePiece-style pieces (Gemma, Llama 2) use "▁" for a space and "<0xNN>" for byte fallback;
    byte-level BPE pieces (GPT-2, Llama 3, SmolLM) spell each byte as one printable character.
    """
    special = set(special_ids)
    table = _unicode_to_byte() if byte_level else {}
    out: list[bytes | None] = []
    for token_id, piece in enumerate(pieces):
        if piece is None or token_id in special:
            out.append(None)
        elif byte_level:
            try:
                out.append(bytes(table[ch] for ch in piece))
            except KeyError:  # an added token written as plain text
                out.append(piece.encode("utf-8"))
        elif m := _BYTE_PIECE.match(piece):
            out.append(bytes([int(m.group(1), 16)]))
        else:
            out.append(piece.replace("\u2581", " ").encode("utf-8"))
    return out


class TokenTable:
    """Every token's bytes, indexed by those bytes, so allowed tokens are found by slicing the sources.

    Looking up source[e:e+l] for each length l costs O(positions × longest token) per step, instead of a
    Python loop over a 262k vocabulary.
    """

    def __init__(self, token_bytes: Sequence[bytes | None], eos_ids: Iterable[int]) -> None:
        self.token_bytes = list(token_bytes)
        self.by_bytes: dict[bytes, list[int]] = defaultdict(list)
        for token_id, b in enumerate(self.token_bytes):
            if b:
                self.by_bytes[b].append(token_id)
        self.max_len = max((len(b) for b in self.by_bytes), default=0)
        self.eos_ids = tuple(sorted(set(eos_ids)))

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, eos_ids: Iterable[int]) -> "TokenTable":
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        special = set(tokenizer.all_special_ids)
        for token_id, added in getattr(tokenizer, "added_tokens_decoder", {}).items():
            if getattr(added, "special", False):
                special.add(token_id)
        return cls(token_bytes_from_pieces(pieces, special, byte_level=_is_byte_level(tokenizer)), eos_ids)


def _is_byte_level(tokenizer: Any) -> bool:
    decoder_obj = getattr(getattr(tokenizer, "backend_tokenizer", None), "decoder", None)
    if decoder_obj is None:
        return False
    decoder = json.loads(decoder_obj.__getstate__())  # just the decoder's JSON, not the whole 12 MB tokenizer
    parts = decoder.get("decoders", [decoder]) if decoder.get("type") == "Sequence" else [decoder]
    return any(part.get("type") == "ByteLevel" for part in parts)
