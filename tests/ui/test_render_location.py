"""The sources panel names the page of a PDF passage; other passages show their heading path as before."""

from __future__ import annotations

from types import SimpleNamespace

from corpus.chunking import Chunk
from index.retriever import Hit
from ui.render import sources_html


def panel(chunk: Chunk) -> str:
    answer = SimpleNamespace(abstained=False, grounded=None, support=[], hits=[Hit(chunk, 0.5, 1)], timings=None,
                             resolved_question=None, question="q", confidence=None)
    return sources_html(answer)


def test_a_pdf_passage_shows_its_page():
    html = panel(Chunk("c1", "textbook.pdf", "第2章 > 推論", "リアルタイム推論は最大60秒。", "p. 12"))
    assert "textbook.pdf#c1" in html and '<span class="sa-location"> · p. 12</span>' in html
    assert "第2章 &gt; 推論" in html


def test_a_markdown_passage_shows_no_page():
    assert "sa-location" not in panel(Chunk("c2", "notes.md", "推論", "リアルタイム推論は最大60秒。"))
