"""Readers for HTML, PDF, Word and Obsidian notes: real files made by real tools, and each reader's bad inputs."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from corpus import readers
from corpus.chunking import chunk_document
from corpus.loading import Document, Skipped, load_notes, read_document
from corpus.readers import UnreadableFile, read
from index.builder import build_index
from index.retriever import Hit
from index.storage import read_index

FORMATS = Path(__file__).parents[1] / "data" / "formats"
DEFAULT_NOTES = Path(__file__).parents[2] / "corpus" / "notes"
# Text that only the page's boilerplate, scripts and hidden elements hold (eval/corpora/formats/convert.py PAGE).
NOT_CONTENT = ["ホーム", "タグ一覧", "ログイン", "とても参考", "無料体験", "関連記事", "人気のタグ", "隠し要素", "hidden属性",
               "インラインスタイル", "スクリプトが書き込む", "トラッキング", "構造化データの説明文", "All rights", "プライバシー",
               "シェアする", "投稿日", "コメントを書く"]


def chunks_of(path: Path, name: str | None = None):
    document = read_document(path.parent, path)
    assert isinstance(document, Document), document
    return chunk_document(document)


def fpdf():
    fpdf2 = pytest.importorskip("fpdf")
    pdf = fpdf2.FPDF(format="A4")
    pdf.set_font("helvetica", size=12)
    return pdf


# --- Markdown and Obsidian ---------------------------------------------------------------------------------------

def test_plain_markdown_is_read_as_it_was_so_chunk_ids_do_not_move():
    note = DEFAULT_NOTES / "mla-c01-study-notes.md"
    document = read_document(DEFAULT_NOTES, note)
    assert document.text == note.read_text(encoding="utf-8") and not document.title and not document.tags
    chunks = chunk_document(document)
    # No location or tags on a Markdown note's chunks: the stored records are the same four fields as before.
    assert all(set(c.as_record()) == {"id", "source", "heading_path", "text"} for c in chunks)
    assert all(Hit(c, 1.0, 1).as_dict()["location"] == c.heading_path for c in chunks)


def test_obsidian_front_matter_wikilinks_and_nested_folders(tmp_path):
    vault = tmp_path / "vault"
    (vault / "AWS" / "SageMaker").mkdir(parents=True)
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "workspace.md").write_text("# not a note", encoding="utf-8")
    (vault / "AWS" / "SageMaker" / "推論.md").write_text(
        "---\ntitle: SageMaker の推論\ntags: [aws, '#sagemaker']\naliases: [inference]\n---\n"
        "[[Amazon SageMaker|SageMaker]] のサーバーレス推論は [[コールドスタート]] を避けられる。"
        "詳しくは [[料金#サーバーレス]] を見る。![[diagram.png]]\n", encoding="utf-8")
    notes = load_notes(vault)
    assert [d.source for d in notes.documents] == ["AWS/SageMaker/推論.md"]
    document = notes.documents[0]
    assert document.title == "SageMaker の推論" and document.tags == ("aws", "sagemaker")
    [chunk] = chunk_document(document)
    assert chunk.text == "SageMaker のサーバーレス推論は コールドスタート を避けられる。詳しくは 料金 > サーバーレス を見る。"
    assert chunk.heading_path == "SageMaker の推論"  # the title names a note without headings
    assert chunk.tags == ("aws", "sagemaker") and Hit(chunk, 1.0, 1).as_dict()["tags"] == ["aws", "sagemaker"]


@pytest.mark.parametrize("front", ["---\n: not: yaml: [\n---\n", "---\n- a list\n---\n"])
def test_front_matter_that_is_not_a_mapping_stays_text(front):
    reading = read((front + "本文。\n").encode(), "a.md")
    assert reading.text.startswith("---") and not reading.title


def test_wikilinks_in_code_are_left_alone():
    assert read(b"```\n[[keep]]\n```\n[[a|b]]", "a.md").text == "```\n[[keep]]\n```\nb"


# --- HTML ----------------------------------------------------------------------------------------------------------

def test_a_saved_blog_page_keeps_its_headings_and_tables_and_none_of_its_boilerplate():
    chunks = chunks_of(FORMATS / "blog.html")
    paths = {c.heading_path for c in chunks}
    assert {"推論オプション", "推論オプション > サーバーレス推論", "入力モード", "ハイパーパラメータ調整"} <= paths
    table = next(c for c in chunks if "| 非同期推論 |" in c.text)
    assert "| 推論オプション | 推奨ケース |" in table.text and "|---|---|" in table.text
    assert any('estimator = Estimator(input_mode="Pipe")' in c.text for c in chunks)
    everything = "\n".join(c.embedding_text() for c in chunks)
    assert not [w for w in NOT_CONTENT if w in everything]
    assert Hit(table, 1.0, 1).as_dict()["location"] == "推論オプション"


def test_a_pandoc_page_without_article_or_main_keeps_its_headings():
    chunks = chunks_of(FORMATS / "pandoc.html")
    assert {"推論オプション", "推論オプション > サーバーレス推論", "English section"} <= {c.heading_path for c in chunks}


def test_scripts_styles_and_hidden_elements_never_reach_the_text():
    page = ("<html><head><title>t</title><style>p{color:red}</style></head><body><main><h1>表題</h1>"
            "<p>見える本文です。ここは索引に入る文章です。</p><script>var secret='スクリプト文字列';</script>"
            "<noscript>ノースクリプト文字列</noscript><template><p>テンプレート文字列</p></template>"
            "<p hidden>hidden属性の文字列</p><p aria-hidden=\"true\">aria文字列</p><p style=\"display: none\">非表示の文字列</p>"
            "<p style=\"visibility:hidden\">不可視の文字列</p><div class=\"d-none\">d-none文字列</div>"
            "<!-- コメント文字列 --><p>二つ目の段落も本文です。</p></main></body></html>")
    text = read(page.encode(), "p.html").text
    assert "見える本文です" in text and "二つ目の段落" in text
    for hidden in ["スクリプト", "ノースクリプト", "テンプレート", "hidden属性", "aria", "非表示", "不可視", "d-none", "コメント", "color"]:
        assert hidden not in text


def test_an_html_page_in_shift_jis_is_decoded():
    page = '<html><head><meta charset="shift_jis"></head><body><article><h2>見出し</h2><p>日本語の本文です。</p></article></body></html>'
    assert "日本語の本文です。" in read(page.encode("shift_jis"), "sjis.html").text


def test_a_page_of_nothing_but_navigation_and_scripts_is_skipped():
    with pytest.raises(UnreadableFile, match="has no"):
        read(b"<html><body><script>document.write('x')</script></body></html>", "empty.html")


# --- PDF -----------------------------------------------------------------------------------------------------------

def test_a_japanese_pdf_gives_sections_with_their_pages():
    chunks = chunks_of(FORMATS / "notes.pdf")
    by_path = {c.heading_path: c for c in chunks}
    assert by_path["推論オプション > サーバーレス推論"].location == "p. 1"
    mode = by_path["入力モード"]
    assert mode.location == "p. 2" and Hit(mode, 1.0, 1).as_dict()["location"] == "p. 2"
    # Lines joined into sentences without spaces inside Japanese; list items stay lines; the page number is gone.
    assert "パイプモードではファイルをダウンロードせずにデータを直接ストリーミングするため、スループットが向上し、" in mode.text
    assert "\n- パイプモード" in mode.text  # the PDF's bullet glyph as Markdown's list marker
    text = "\n".join(c.text for c in chunks)
    assert "- 1 -" not in text and "- 2 -" not in text
    table = next(c for c in chunks if "| 非同期推論 |" in c.text)
    assert "| リアルタイム推論 | 低レイテンシのオンライン推論、最大60秒 |" in table.text
    english = " ".join(c.text for c in chunks if c.heading_path == "English section")
    assert "Gradient boosting builds an ensemble of shallow trees, each fitting the residual errors" in english
    document = read_document(FORMATS, FORMATS / "notes.pdf")
    assert document.title == "SageMaker 学習ノート"


def test_a_sentence_cut_by_a_page_break_is_finished_on_its_first_page(tmp_path):
    pdf = fpdf()
    pdf.add_page()
    pdf.start_section("Boosting")
    pdf.multi_cell(0, 8, "Filler line. " * 600 + "The learning rate scales the contribution of every tree in the ensemble.")
    path = tmp_path / "long.pdf"
    path.write_bytes(bytes(pdf.output()))
    chunks = chunks_of(path)
    assert {c.location for c in chunks} >= {"p. 1", "p. 2"}
    finished = [c for c in chunks if "The learning rate scales the contribution of every tree in the ensemble." in c.text]
    assert finished, "the last sentence was cut"
    assert "Filler line. Filler line." in finished[0].text  # lines 8 mm apart are still one paragraph
    assert all(c.heading_path == "long" or c.heading_path == "Boosting" for c in chunks)


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_pdf_lines_the_author_broke_stay_lines_and_lines_the_page_wrapped_are_joined():
    # lines.pdf: fpdf2 from lines.md, where newlines are <br> as on the blog the notes come from.
    by_path = {c.heading_path: c for c in chunks_of(FORMATS / "lines.pdf")}
    assert by_path["改行のある段落"].text.split("\n") == [
        "JSONを複数行出力するフォーマット", "ファイル出力する場合、拡張子は.jsonl", "列単位ではなく、行単位で分析するデータに適している。"]
    wrapped = by_path["折り返すだけの段落"].text.split("\n")
    assert wrapped[0].startswith("マネージドウォームプールを利用すると、") and wrapped[0].endswith("レイテンシを大幅に短縮できる。")
    assert wrapped[1] == ("Gradient boosting builds an ensemble of shallow decision trees, each one fitting the residual errors "
                          "left by all of the trees that came before it, so that the ensemble improves step by step.")


def test_pdf_table_cells_stay_in_their_columns_and_the_last_row_keeps_its_wrapped_lines():
    table = next(c for c in chunks_of(FORMATS / "lines.pdf") if c.heading_path == "出題範囲").text
    rows = [[_squeezed(cell) for cell in line.strip("|").split("|")] for line in table.split("\n") if line.startswith("| 第")]
    # The first line of a wrapped cell is justified word by word ("第   3   分野:   ML"); the last row has no rule under it.
    assert rows == [["第1分野:機械学習(ML)のためのデータ準備", "28%"],
                    ["第3分野:MLワークフローのデプロイとオーケストレーション", "22%"],
                    ["第4分野:MLソリューションのモニタリング、保守、セキュリティ", "24%"]]
    assert "\n表の後の段落は表の最後の行に入らない。" in table


def test_pdf_header_row_with_an_empty_cell_heads_its_table_and_bullets_are_list_markers():
    section = next(c for c in chunks_of(FORMATS / "lines.pdf") if c.heading_path == "試験要項").text.split("\n")
    # fpdf2 draws no rule above a header row; its empty cell is a column all the same.
    assert [_squeezed(line) for line in section[:3]] == ["|項目||", "|---|---|", "|問題数|65問(うち15問は採点対象外)|"]
    assert section[-2:] == ["- ファイルモード", "- パイプモード: データを直接ストリーミングする"]


def test_a_line_broken_at_the_foot_of_a_page_is_not_finished_from_the_next_page(tmp_path):
    pdf = fpdf()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    full = "Gradient boosting fits each new shallow tree to the residual errors of the ensemble so"
    for n in range(40):
        pdf.text(20, 20 + 6 * n, full)
    pdf.text(20, 260, "The three ensemble methods")  # no full stop, but the next page's first word would fit after it
    pdf.add_page()
    pdf.text(20, 20, "Boosting, bagging and stacking combine weak learners.")
    path = tmp_path / "foot.pdf"
    path.write_bytes(bytes(pdf.output()))
    pages = {c.location: c.text for c in chunks_of(path)}
    assert pages["p. 1"].endswith("residual errors of the ensemble so The three ensemble methods")
    assert pages["p. 2"] == "Boosting, bagging and stacking combine weak learners."


def test_one_line_running_past_the_margin_does_not_make_the_others_look_broken(tmp_path):
    pdf = fpdf()
    pdf.add_page()
    full = "a tree is fitted to the residual errors of all the trees that came before it in the"
    lines = [full] * 3 + [full + " https://example.org/boosting"] + [full] * 3 + ["end of the paragraph."]
    for n, line in enumerate(lines):
        pdf.text(20, 20 + 6 * n, line)
    path = tmp_path / "overflow.pdf"
    path.write_bytes(bytes(pdf.output()))
    chunks = chunks_of(path)
    assert not any("\n" in c.text for c in chunks) and chunks[-1].text.endswith("in the end of the paragraph.")


def test_a_quotation_set_narrower_than_the_page_is_still_wrapped_text(tmp_path):
    pdf = fpdf()
    pdf.add_page()
    body = "Gradient boosting fits each new shallow tree to the residual errors of the ensemble so"
    quote = "the learning rate scales the contribution of every tree in the"
    lines = [(20, body)] * 3 + [(40, quote)] * 4 + [(40, "whole ensemble.")]
    for n, (x, line) in enumerate(lines):
        pdf.text(x, 20 + 6 * n, line)
    path = tmp_path / "quote.pdf"
    path.write_bytes(bytes(pdf.output()))
    chunks = chunks_of(path)
    assert not any("\n" in c.text for c in chunks) and chunks[-1].text.endswith("in the whole ensemble.")


def test_the_bundled_notes_as_pdf_keep_every_last_table_row_whole():
    pdf = Path(__file__).parents[2] / "eval" / "corpora" / "formats" / "pdf" / "mla-c01-study-notes.pdf"
    text = _squeezed("\n".join(c.text for c in chunks_of(pdf)))
    for row in ("|非同期推論|リクエストをキューに入れる必要がある推論、および大きなペイロードサイズや長時間の処理を要する推論、最大60分|",
                "|KnouledgeDistillation(蒸留)|モデルを圧縮しながら精度を維持し、より大きな教師モデルからより小さなモデルの一般化を"
                "促進し、多用途で効率的なモデル設計をサポートする。|"):
        assert row in text


def test_html_line_breaks_stay_lines():
    by_path = {c.heading_path: c for c in chunks_of(FORMATS / "lines.html")}
    assert [line for line in by_path["改行のある段落"].text.split("\n") if line] == [
        "JSONを複数行出力するフォーマット", "ファイル出力する場合、拡張子は.jsonl", "列単位ではなく、行単位で分析するデータに適している。"]


@pytest.mark.parametrize("case, reason", [
    ("encrypted", "password-protected PDF"),
    ("truncated", "cannot be read as PDF"),
    ("garbage", "cannot be read as PDF"),
    ("no text layer", "has no text layer"),
])
def test_bad_pdfs_are_skipped_with_their_reason(tmp_path, case, reason):
    good = (FORMATS / "notes.pdf").read_bytes()
    if case == "encrypted":
        pdf = fpdf()
        pdf.set_encryption(owner_password="owner", user_password="secret")
        pdf.add_page()
        pdf.cell(0, 10, "A secret note.")
        data = bytes(pdf.output())
    elif case == "truncated":
        data = good[: len(good) // 3]
    elif case == "garbage":
        data = b"%PDF-1.7\n" + bytes(range(256)) * 50
    else:
        pdf = fpdf()
        pdf.add_page()
        pdf.rect(20, 20, 100, 50, style="F")  # a scan is an image; a drawing has no text either
        data = bytes(pdf.output())
    (tmp_path / "bad.pdf").write_bytes(data)
    result = read_document(tmp_path, tmp_path / "bad.pdf")
    assert isinstance(result, Skipped) and reason in result.reason, result


# --- Word ----------------------------------------------------------------------------------------------------------

def test_a_pandoc_docx_keeps_headings_lists_and_tables():
    chunks = chunks_of(FORMATS / "notes.docx")
    paths = {c.heading_path for c in chunks}
    assert {"推論オプション", "推論オプション > サーバーレス推論", "入力モード", "English section"} <= paths
    table = next(c for c in chunks if "| 非同期推論 |" in c.text)
    assert "| 推論オプション | 推奨ケース |\n|---|---|" in table.text
    assert any("- パイプモード" in c.text for c in chunks)


def test_docx_hidden_text_is_left_out_and_custom_heading_styles_count():
    docx = pytest.importorskip("docx")
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    style = document.styles.add_style("章タイトル", WD_STYLE_TYPE.PARAGRAPH)
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "1")
    style.element.get_or_add_pPr().append(level)
    document.add_paragraph("独自の見出し", style="章タイトル")
    paragraph = document.add_paragraph("見える文。")
    paragraph.add_run("隠し文字").font.hidden = True
    buffer = io.BytesIO()
    document.save(buffer)
    text = read(buffer.getvalue(), "custom.docx").text
    assert "## 独自の見出し" in text and "見える文。" in text and "隠し文字" not in text


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("case, reason", [
    ("zip of something else", "a zip without word/document.xml"),
    ("not a zip", "not a zip package"),
    ("old or protected", "password-protected or old-format"),
    ("damaged xml", "cannot be read as Word"),
    ("zip bomb", "unpacks to"),
])
def test_bad_docx_files_are_skipped_with_their_reason(tmp_path, monkeypatch, case, reason):
    data = {
        "zip of something else": _zip({"photos/a.jpg": b"\xff\xd8\xff" + b"0" * 100, "readme.txt": b"hello"}),
        "not a zip": "これはWordではありません".encode(),
        "old or protected": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "damaged xml": _zip({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"}),
        "zip bomb": (FORMATS / "notes.docx").read_bytes(),
    }[case]
    if case == "zip bomb":
        monkeypatch.setattr("corpus.readers.docx.MAX_UNPACKED_BYTES", 1000)
    (tmp_path / "bad.docx").write_bytes(data)
    result = read_document(tmp_path, tmp_path / "bad.docx")
    assert isinstance(result, Skipped) and reason in result.reason, result


# --- the folder as a whole ---------------------------------------------------------------------------------------

def test_a_mixed_folder_indexes_every_good_file_and_names_every_bad_one(tmp_path):
    notes = tmp_path / "notes"
    (notes / "web").mkdir(parents=True)
    for name in ("blog.html", "notes.pdf", "notes.docx"):
        shutil.copy(FORMATS / name, notes / ("web" if name.endswith("html") else "") / name if name.endswith("html") else notes / name)
    (notes / "memo.md").write_text("# メモ\n\n## 早期停止\n\n改善しないジョブを止める。\n", encoding="utf-8")
    (notes / "huge.html").write_bytes(b"<html><body><p>" + b"a" * (50 * 2**20) + b"</p></body></html>")
    (notes / "locked.pdf").write_bytes(b"%PDF-1.4\n%broken")
    (notes / "fake.docx").write_bytes(_zip({"a.txt": b"x"}))
    loaded = load_notes(notes)
    assert sorted(d.source for d in loaded.documents) == ["memo.md", "notes.docx", "notes.pdf", "web/blog.html"]
    skipped = {s.source: s.reason for s in loaded.skipped}
    assert set(skipped) == {"huge.html", "locked.pdf", "fake.docx"}
    assert "the limit is 10 MB" in skipped["huge.html"]
    summary = build_index(notes, tmp_path / "index", embedder_name="fake-hash", progress=False, notes=loaded)
    assert summary.files == 4 and len(summary.skipped) == 3
    stored = read_index(tmp_path / "index")
    assert {c.source for c in stored.chunks} == {"memo.md", "notes.docx", "notes.pdf", "web/blog.html"}
    pdf_pages = {c.location for c in stored.chunks if c.source == "notes.pdf"}
    assert pdf_pages == {"p. 1", "p. 2", "p. 3"}
    records = [json.loads(line) for line in (tmp_path / "index" / stored.manifest.generation / "chunks.jsonl").read_text().splitlines()]
    assert all("location" not in r for r in records if r["source"] != "notes.pdf")
    # Indexing again changes no chunk id.
    again = [c.id for d in load_notes(notes).documents for c in chunk_document(d)]
    assert again == [c.id for c in stored.chunks]


def test_the_freshness_check_hashes_converted_files_without_reading_them_again(tmp_path, monkeypatch):
    shutil.copy(FORMATS / "notes.pdf", tmp_path / "notes.pdf")
    (tmp_path / "memo.md").write_text("メモ", encoding="utf-8")
    first = load_notes(tmp_path)
    known = {d.source: d.sha256 for d in first.documents}
    calls = []
    real = readers.read
    monkeypatch.setattr(readers, "read", lambda data, name: calls.append(name) or real(data, name))
    again = load_notes(tmp_path, reuse=known)
    assert calls == ["memo.md"] and {d.source: d.sha256 for d in again.documents} == known
    (tmp_path / "notes.pdf").write_bytes((FORMATS / "notes.pdf").read_bytes() + b"\n%edited")
    changed = load_notes(tmp_path, reuse=known)
    assert calls[-1] == "notes.pdf" and {d.source: d.sha256 for d in changed.documents}["notes.pdf"] != known["notes.pdf"]


def test_a_reader_library_is_not_imported_at_start_up():
    import subprocess
    import sys

    code = "import corpus.loading, index.retriever, sys; print(sorted(m for m in ('trafilatura', 'pdfminer', 'docx', 'frontmatter') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "[]"
