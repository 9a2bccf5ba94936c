"""Word notes (.docx) via python-docx: headings from paragraph styles (or outline levels), tables as Markdown tables.

Body paragraphs and tables are read in document order; list paragraphs become "- " items; hidden text (Word's
"Hidden" font effect) is left out, as are headers, footers, comments and tracked deletions.
"""

from __future__ import annotations

import io
import re
import zipfile

from corpus.readers import Reading, UnreadableFile

# A .docx is a zip; its XML is parsed in memory. Past this much unpacked XML it is a zip bomb, not notes.
MAX_UNPACKED_BYTES = 200 * 2**20
_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*(\d)$", re.I)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old binary .doc, or a password-protected .docx


def read(data: bytes, name: str) -> Reading:
    _check_package(data)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document(io.BytesIO(data))
    # python-docx looks a paragraph's style up anew each time (seconds for a long file): look each id up once.
    styles = {s.style_id: s for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default_style = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    lines: list[str] = []
    title = (document.core_properties.title or "").strip()
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = _visible_text(block)
            if not text.strip():
                continue
            style_object = styles.get(block._p.style, default_style)
            style = style_object.name if style_object is not None else ""
            level = _heading_level(block, style, style_object)
            if style == "Title":
                title = title or text
                lines.append(f"# {text}")
            elif level:
                lines.append(f"\n{'#' * level} {text}\n")
            elif style.startswith("List") or block._p.pPr is not None and block._p.pPr.numPr is not None:
                lines.append(f"- {text}")
            else:
                lines.append(text)
        elif isinstance(block, Table):
            lines.append("\n" + _table_markdown(block) + "\n")
    return Reading(text=re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n"), title=" ".join(title.split())[:300])


def _check_package(data: bytes) -> None:
    """UnreadableFile unless the bytes are a Word package of a sane unpacked size."""
    if data.startswith(_OLE_MAGIC):
        raise UnreadableFile("is a password-protected or old-format (.doc) Word file; save it as an unprotected .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            unpacked = sum(info.file_size for info in package.infolist())
    except zipfile.BadZipFile:
        raise UnreadableFile("is not a Word document (not a zip package)") from None
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise UnreadableFile("is not a Word document (a zip without word/document.xml)")
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableFile(f"unpacks to {unpacked / 2**20:.0f} MB; the limit is {MAX_UNPACKED_BYTES / 2**20:.0f} MB")


def _visible_text(paragraph) -> str:
    """The paragraph's text without runs formatted as hidden; line breaks inside it become spaces."""
    from docx.text.run import Run

    parts = []
    for item in paragraph.iter_inner_content():
        runs = [item] if isinstance(item, Run) else list(getattr(item, "runs", []))  # a hyperlink holds runs
        parts.extend(run.text for run in runs if not run.font.hidden)
    return " ".join("".join(parts).replace("\t", " ").split("\n")).strip()


def _heading_level(paragraph, style: str, current) -> int:
    """1–6 for a heading: its style's name ("Heading 2", "見出し 2") or an outline level (custom heading styles)."""
    if match := _HEADING_STYLE.match(style):
        return min(int(match.group(1)), 6)
    properties = [paragraph._p.pPr]
    for _ in range(10):  # the style, then the styles it is based on
        if current is None:
            break
        properties.append(current.element.pPr)
        current = current.base_style
    for element in properties:
        found = element.find(_W + "outlineLvl") if element is not None else None
        if found is not None:
            value = found.get(_W + "val", "9")
            return int(value) + 1 if value.isdigit() and int(value) < 6 else 0
    return 0


def _table_markdown(table) -> str:
    """A Markdown table: the first row as its header; merged cells repeat their text, as python-docx gives them."""
    rows = []
    for row in table.rows:
        cells = [" ".join(c.text.split()).replace("|", "\\|") for c in row.cells]
        rows.append("| " + " | ".join(cells) + " |")
    if not rows:
        return ""
    width = rows[0].count(" | ") + 1
    return "\n".join([rows[0], "|" + "---|" * width, *rows[1:]])
