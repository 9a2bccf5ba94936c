"""The default notes must be the seed article, verbatim, minus web-page chrome, with Markdown structure."""

import re
import unicodedata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTES = REPO / "corpus" / "notes" / "mla-c01-study-notes.md"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_de6e8445f0b46890.txt"

# Web-page chrome in the scraped seed: Qiita UI text, like/stock counters and image captions.
CHROME_TEXT = {
    "Delete article",
    "Deleted articles cannot be recovered.",
    "Draft of this article would be also deleted.",
    "Are you sure you want to delete this article?",
    "Register as a new user and use Qiita more conveniently",
    "You get articles that match your needs",
    "You can efficiently read back useful information",
    "You can use dark theme",
    "What you can do with signing up",
    # stand-alone image captions (alt text of screenshots)
    "AWS MLA スコアレポート01",
    "AWS MLA スコアレポート02",
    "AWS MLAバッジ",
    "AWS Certifications",
}
CHROME_PATTERNS = [
    re.compile(r"^\d+$"),  # bare like/stock counters
    re.compile(r"\.png$"),  # image file names
]
LIST_MARKER = re.compile(r"^(?:•|\d+\.)\s+")

MARKDOWN_CHARS = re.compile(r"[|#*`\->•]")
WHITESPACE = re.compile(r"\s+")


def normalise(text: str, nfkc: bool = True) -> str:
    if nfkc:
        text = unicodedata.normalize("NFKC", text)
    text = text.replace("<br>", "")
    text = WHITESPACE.sub("", text)
    return MARKDOWN_CHARS.sub("", text)


def is_chrome(line: str) -> bool:
    core = LIST_MARKER.sub("", line.strip())
    return core in CHROME_TEXT or any(p.search(core) for p in CHROME_PATTERNS)


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    if not SEED.exists():
        pytest.skip(f"seed not found: {SEED}")
    return [ln for ln in SEED.read_text(encoding="utf-8").splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def content_lines(seed_lines) -> list[str]:
    return [ln for ln in seed_lines if not is_chrome(ln)]


@pytest.fixture(scope="module")
def notes() -> str:
    return NOTES.read_text(encoding="utf-8")


def test_chrome_definition_is_sane(seed_lines, content_lines):
    dropped = [ln for ln in seed_lines if is_chrome(ln)]
    # 2 delete dialogs x 4, sign-up block 5, counters 7, images 10
    assert len(dropped) == 30, dropped
    assert content_lines[0] == "AWS Certified Machine Learning Engineer - Associate受験時の記録"
    assert content_lines[-1].startswith("列単位の分析はParquet")


def test_every_content_line_is_kept_in_order(content_lines, notes):
    haystack = normalise(notes)
    pos = 0
    for line in content_lines:
        needle = normalise(line)
        found = haystack.find(needle, pos)
        assert found >= 0, f"seed line missing or out of order: {line!r}"
        pos = found + len(needle)


def test_text_is_verbatim_and_nothing_added(content_lines, notes):
    # Without NFKC: full-width/half-width characters must match the seed exactly, and
    # once Markdown markup is removed the notes hold exactly the seed's content, no more.
    body = "\n".join(ln for ln in notes.splitlines() if not ln.startswith("```"))
    assert normalise(body, nfkc=False) == normalise("\n".join(content_lines), nfkc=False)


def test_chrome_is_absent(notes):
    for marker in ("Delete article", "Register as a new user", "What you can do with signing up",
                   ".png", "スクリーンショット", "スコアレポート", "AWS MLAバッジ", "AWS Certifications"):
        assert marker not in notes, marker
    assert not [ln for ln in notes.splitlines() if re.fullmatch(r"\s*\d+\s*", ln)]


def _headings(notes: str) -> list[tuple[int, str]]:
    out = []
    for ln in notes.splitlines():
        m = re.match(r"^(#{1,6}) (.+)$", ln)
        if m:
            out.append((len(m.group(1)), m.group(2).strip()))
    return out


def test_heading_structure(notes):
    heads = _headings(notes)
    assert [h for h in heads if h[0] == 1] == [
        (1, "AWS Certified Machine Learning Engineer - Associate受験時の記録")
    ]
    expected = [
        (2, "この記事の概要"), (2, "試験の概要"), (3, "◼︎ 試験要項"), (3, "◼︎ 出題範囲"),
        (2, "勉強開始前の状態"), (2, "受験前に参考にした記事"), (2, "勉強に使ったもの"),
        (3, "1. WEB問題集(非公式)"), (2, "勉強(試験準備)の流れ"), (3, "1. 試験ガイドを読む"),
        (2, "勉強時間"), (2, "受験後"), (2, "勉強になったことメモ"),
        (3, "AWSのAI/MLサービス"), (3, "機械学習基礎"), (4, "ハイパーパラメータ"),
        (5, "バッチサイズ"), (5, "エポック"), (5, "max_depth"), (4, "モデルの評価指標"),
        (3, "Amazon SageMaker"), (4, "入力モードとストレージオプション"),
        (3, "Amazon Redshift"), (4, "権限の管理"), (3, "Amazon Q in QuickSight"),
        (3, "Amazon Bedrock"), (4, "推論パラメータ"), (3, "AWS Compute Optimizer"),
        (3, "構造化データと非構造化データ"), (3, "JSON Lines"), (3, "Parquet"),
    ]
    it = iter(heads)
    for h in expected:  # each present, in this order
        assert any(h == got for got in it), f"heading missing or out of order: {h}"
    # heading levels never skip a level going down
    prev = 1
    for level, text in heads:
        assert level <= prev + 1, (level, text)
        prev = level


def test_tables_and_code(notes):
    lines = notes.splitlines()
    seps = [i for i, ln in enumerate(lines) if re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", ln)]
    assert len(seps) >= 4
    for i in seps:
        ncols = lines[i].count("|") - 1
        assert lines[i - 1].startswith("|") and lines[i - 1].count("|") - 1 == ncols
        assert lines[i + 1].startswith("|") and lines[i + 1].count("|") - 1 == ncols
    assert "| Knouledge Distillation(蒸留) |" in notes
    assert "```sql\nGRANT SELECT FOR TABLES IN DATABASE Sales_db TO alice WITH GRANT OPTION;" in notes
    assert "• " not in notes
