"""The bundled notes converted to HTML, PDF and Word (eval/corpora/formats), each indexed with the real embedder:
retrieval on the dev questions stays within 0.03 recall@5 of the Markdown notes (issue: note formats)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]
FORMATS = REPO / "eval" / "corpora" / "formats"


def recall_at_5(notes: Path, work: Path) -> float:
    index_dir, report = work / "index", work / "report"
    built = run_cli("index", "--notes", str(notes), "--index-dir", str(index_dir))
    assert built.returncode == 0, built.stderr
    scored = run_cli("eval", "--gold", str(REPO / "eval" / "gold" / "dev.jsonl"), "--retrieval-only",
                     "--index-dir", str(index_dir), "--report", str(report))
    assert scored.returncode == 0, scored.stderr
    return json.loads((report / "report.json").read_text(encoding="utf-8"))["retrieval"]["recall@5"]


def test_every_format_retrieves_as_well_as_the_markdown_notes(tmp_path):
    markdown = recall_at_5(REPO / "corpus" / "notes", tmp_path / "md")
    for kind in ("html", "pdf", "docx"):
        assert recall_at_5(FORMATS / kind, tmp_path / kind) >= markdown - 0.03, kind
