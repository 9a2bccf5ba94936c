"""Rebuild the fixtures in this folder from source.md (see README.md here for the tools and versions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2] / "eval" / "corpora" / "formats"))
import convert  # noqa: E402

text = (HERE / "source.md").read_text(encoding="utf-8")
# These four were made before convert.py rendered newlines as <br> (breaks=False keeps them as they were).
(HERE / "blog.html").write_text(convert.blog_page(text, "source", breaks=False), encoding="utf-8")
# A large font spreads the note over pages, so that sections and a sentence cross page breaks; page numbers in the
# footer are what the reader must drop.
(HERE / "notes.pdf").write_bytes(convert.pdf_bytes(text, "source", font_size=20, page_numbers=True, breaks=False))
subprocess.run(["pandoc", "source.md", "-o", "notes.docx"], cwd=HERE, check=True)
subprocess.run(["pandoc", "-s", "source.md", "-o", "pandoc.html", "--metadata", "title=SageMaker 学習ノート"], cwd=HERE, check=True)
# Lines broken by the author and lines wrapped by the page; a bordered table whose cells wrap, with a justified line
# spaced out word by word and a last row with no rule under it.
lines = (HERE / "lines.md").read_text(encoding="utf-8")
(HERE / "lines.pdf").write_bytes(convert.pdf_bytes(lines, "lines"))
(HERE / "lines.html").write_text(convert.blog_page(lines, "lines"), encoding="utf-8")
