"""Japanese-aware word tokens for BM25: MeCab (fugashi + unidic-lite) surface forms, lower-cased and NFKC-normalised."""

from __future__ import annotations

import functools
import unicodedata

# Particles, auxiliaries and punctuation carry no topic; dropping them sharpens BM25.
_SKIPPED_POS = {"助詞", "助動詞", "補助記号", "空白"}
# MeCab (through fugashi) crashes the process on one very long input (a segfault from about 600,000 characters
# without a line break), so text is tagged in slices; chunks and questions are far shorter than a slice.
_MAX_SLICE = 10_000


@functools.cache
def _tagger():
    import fugashi

    return fugashi.Tagger()


def word_tokens(text: str) -> list[str]:
    """Content-word tokens of `text` (Japanese or English)."""
    normal = unicodedata.normalize("NFKC", text).lower()
    tokens = []
    for start in range(0, len(normal), _MAX_SLICE):
        for word in _tagger()(normal[start : start + _MAX_SLICE]):
            if word.feature.pos1 in _SKIPPED_POS:
                continue
            surface = word.surface.strip()
            if surface:
                tokens.append(surface)
    return tokens
