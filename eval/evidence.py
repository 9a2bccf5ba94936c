"""The DESIGN evidence-span rule: which chunks contain a gold evidence span."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from corpus.chunking import HEADING_SEPARATOR, Chunk
from corpus.text import evidence_form


class EvidenceMatcher:
    """Finds the chunks that contain an evidence span, normalising each chunk once.

    A span counts as found in a chunk when it is a substring of the chunk's text (the DESIGN rule).
    `match_headings=True` also accepts the chunk's own heading (the last part of its heading path), for gold
    sets whose spans are headings; ancestors such as "Amazon SageMaker" never count, they head dozens of chunks.
    """

    def __init__(self, chunks: Sequence[Chunk], *, match_headings: bool = False) -> None:
        self.chunks = tuple(chunks)
        self._texts = [evidence_form(c.text) for c in self.chunks]
        self._headings = [
            evidence_form(c.heading_path.split(HEADING_SEPARATOR)[-1]) if match_headings else "" for c in self.chunks
        ]

    def chunks_with(self, span: str) -> list[str]:
        """Ids of the chunks that contain `span`, in index order; none for a span that normalises to ''."""
        key = evidence_form(span)
        if not key:
            return []
        return [
            chunk.id
            for chunk, text, heading in zip(self.chunks, self._texts, self._headings)
            if key in text or (heading and key in heading)
        ]

    def relevant_ids(self, spans: Iterable[str]) -> set[str]:
        """Ids of the chunks that contain at least one of `spans` (a question's relevant chunks)."""
        return {chunk_id for span in spans for chunk_id in self.chunks_with(span)}
