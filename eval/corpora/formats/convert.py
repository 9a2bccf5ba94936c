"""Render Markdown notes as a saved blog page (HTML), a PDF and a Word file, to measure the readers on known text.

    python eval/corpora/formats/convert.py [--notes corpus/notes] [--out eval/corpora/formats]

HTML: markdown-it-py renders the note the way a blog engine does, inside a page with navigation, a sidebar, an ad,
comments, a footer, scripts and hidden elements. PDF: fpdf2 lays out the same HTML in A4 with IPAexGothic (Debian
fonts-ipaexfont-gothic), one outline entry per heading. DOCX: python-docx with Word's built-in heading and table styles.
"""

from __future__ import annotations

import argparse
import html
import re
from pathlib import Path

from markdown_it import MarkdownIt

# A TrueType font: fpdf2 writes CFF fonts (Noto CJK) with an encoding that pdfminer and pypdf misread.
FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")  # Debian fonts-ipaexfont-gothic
PAGE = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{title} - Tech Notes Blog</title>
<script>window.dataLayer = []; var tracker = "トラッキングスクリプトの文字列";</script>
<script type="application/ld+json">{{"@type": "BlogPosting", "headline": "{title}", "description": "構造化データの説明文"}}</script>
<style>.hidden {{ display: none; }}</style>
</head>
<body>
<header class="site-header">
  <a href="/">Tech Notes Blog</a>
  <nav class="global-nav"><ul><li><a href="/">ホーム</a></li><li><a href="/tags">タグ一覧</a></li>
  <li><a href="/trend">トレンド</a></li><li><a href="/login">ログイン</a></li><li><a href="/signup">新規登録</a></li></ul></nav>
</header>
<div class="container">
<main>
<article class="post">
<div class="post-meta">投稿日 2025年02月13日 · <a href="/tags/aws">AWS</a> <a href="/tags/ml">機械学習</a></div>
{body}
<div class="share-buttons"><a href="#">シェアする</a> <a href="#">いいね</a> <a href="#">ストック</a></div>
</article>
<section class="comments" id="comments">
  <h2>コメント</h2>
  <div class="comment"><p class="comment-author">guest_user</p><p>とても参考になりました！私も来月受験予定です。</p></div>
  <div class="comment"><p class="comment-author">ml_engineer</p><p>SageMakerの部分の説明がわかりやすいですね。</p></div>
  <form><textarea placeholder="コメントを書く"></textarea><button>投稿する</button></form>
</section>
</main>
<aside class="sidebar">
  <div class="ad"><p>広告</p><p>今なら無料体験実施中！オンライン講座で資格取得をサポートします。</p></div>
  <h3>関連記事</h3>
  <ul><li><a href="/a/1">AWS認定ソリューションアーキテクト合格体験記</a></li><li><a href="/a/2">Pythonで始める機械学習入門</a></li></ul>
  <h3>人気のタグ</h3>
  <ul><li>Python</li><li>AWS</li><li>Docker</li></ul>
</aside>
</div>
<div class="hidden">隠し要素のテキストは索引に入ってはいけない</div>
<div hidden>hidden属性のテキスト</div>
<div style="display:none">インラインスタイルで隠された文章</div>
<footer class="site-footer"><p>© 2025 Tech Notes Blog. All rights reserved.</p>
<nav><a href="/about">運営会社</a> <a href="/privacy">プライバシーポリシー</a> <a href="/terms">利用規約</a></nav></footer>
<script>document.write("スクリプトが書き込む文章");</script>
</body>
</html>
"""


def markdown_html(text: str, breaks: bool = True) -> str:
    """The note as its blog shows it. Qiita (where the bundled note was posted) turns every newline inside a paragraph
    into <br>, as the saved page's text shows (one line per source line); CommonMark would join them into one line."""
    return MarkdownIt("commonmark", {"html": False, "breaks": breaks}).enable("table").render(text)


def title_of(text: str, fallback: str) -> str:
    match = re.search(r"(?m)^# (.+)$", text)
    return match.group(1).strip() if match else fallback


def blog_page(text: str, stem: str, breaks: bool = True) -> str:
    return PAGE.format(title=html.escape(title_of(text, stem)), body=markdown_html(text, breaks))


def pdf_bytes(text: str, stem: str, font_size: float = 10.5, page_numbers: bool = False, breaks: bool = True) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import TextStyle

    class Paged(FPDF):
        def footer(self) -> None:
            if page_numbers:
                self.set_y(-15)
                self.cell(0, 10, f"- {self.page_no()} -", align="C")

    pdf = Paged(format="A4")
    pdf.set_title(title_of(text, stem))
    for style in ("", "B", "I", "BI"):  # one weight stands in for bold and italic (table headers ask for bold)
        pdf.add_font("IPAexGothic", style=style, fname=str(FONT))
    pdf.set_font("IPAexGothic", size=font_size)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    styles = {f"h{n}": TextStyle(font_family="IPAexGothic", font_size_pt=size * font_size / 10.5, t_margin=4, b_margin=2)
              for n, size in zip(range(1, 7), (20, 16, 13.5, 12, 11, 11))}
    body = markdown_html(text, breaks)
    # fpdf2 draws <pre> in Courier, which has no Japanese glyphs; code keeps its lines in the CJK font instead.
    body = re.sub(r"<pre><code[^>]*>(.*?)</code></pre>", lambda m: "<p>" + m.group(1).strip().replace("\n", "<br>") + "</p>",
                  body, flags=re.S)
    body = body.replace("<code>", "").replace("</code>", "")
    pdf.write_html(body, tag_styles=styles, font_family="IPAexGothic", table_line_separators=True)
    return bytes(pdf.output())


def docx_bytes(text: str, stem: str) -> bytes:
    import io

    import docx

    document = docx.Document()
    in_fence, table = False, None
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            document.add_paragraph(line, style="No Spacing")
            continue
        if line.lstrip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells):
                continue
            if table is None:
                table = document.add_table(rows=0, cols=len(cells))
                table.style = "Table Grid"
            row = table.add_row().cells
            for cell, value in zip(row, cells):
                cell.text = value
            continue
        table = None
        if match := re.match(r"^(#{1,6})\s+(.*)$", line):
            document.add_heading(match.group(2).strip(), level=len(match.group(1)))
        elif match := re.match(r"^\s*[-*]\s+(.*)$", line):
            document.add_paragraph(match.group(1), style="List Bullet")
        elif line.strip():
            document.add_paragraph(line.strip())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=Path, default=Path("corpus/notes"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    for note in sorted(args.notes.glob("*.md")):
        text = note.read_text(encoding="utf-8")
        for kind, suffix, make in (("html", ".html", blog_page), ("pdf", ".pdf", pdf_bytes), ("docx", ".docx", docx_bytes)):
            folder = args.out / kind
            folder.mkdir(parents=True, exist_ok=True)
            result = make(text, note.stem)
            target = folder / (note.stem + suffix)
            target.write_bytes(result.encode("utf-8") if isinstance(result, str) else result)
            print(f"{target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
