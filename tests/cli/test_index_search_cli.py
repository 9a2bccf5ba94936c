"""End to end: `index` then `search` through the real CLI with the real default embedder."""

import json
import os

import pytest

from tests.conftest import NOTES_DIR, run_cli


@pytest.mark.slow
@pytest.mark.parametrize(
    "question, heading",
    [
        ("パイプモードの利点は？", "入力モードとストレージオプション"),
        ("合格ラインは何点？", "試験要項"),
        ("L2正則化とは？", "正則化"),
    ],
)
def test_search_puts_the_right_chunk_first(question, heading, default_index):
    result = run_cli("search", question, "--json", "--k", "3", "--index-dir", str(default_index))
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits[0]["heading_path"].endswith(heading)
    assert set(hits[0]) == {"rank", "chunk_id", "source", "heading_path", "text", "score", "location"}


@pytest.fixture(scope="module")
def default_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("idx")
    result = run_cli("index", "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("indexed 1 files,") and " s -> " in result.stdout
    return index_dir


@pytest.mark.slow
def test_search_builds_the_default_index_when_missing(tmp_path):
    result = run_cli("search", "試験時間は？", "--k", "1", env={"ASSISTANT_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "building it from" in result.stderr
    assert result.stdout.startswith("1. [")


@pytest.mark.slow
def test_stale_index_exits_2_with_fix(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("## A\n\nパイプモード。\n", encoding="utf-8")
    assert run_cli("index", "--notes", str(notes), "--index-dir", str(tmp_path / "i")).returncode == 0
    (notes / "a.md").write_text("## A\n\n変更。\n", encoding="utf-8")
    result = run_cli("search", "パイプ", "--index-dir", str(tmp_path / "i"))
    assert result.returncode == 2
    assert "stale: a.md edited" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["index", "--notes", "/no/such/folder"], "notes folder not found: /no/such/folder"),
        (["search", "   "], "the question is empty"),
        (["search", "x", "--k", "0"], "must be at least 1"),
        (["search", "x", "--retriever", "magic"], "invalid choice"),
        (["index", "--embedder", "nope"], "unknown embedder 'nope'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, tmp_path):
    result = run_cli(*args, env={"ASSISTANT_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_index_reports_skipped_files_and_still_indexes(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_text("## A\n\n良い。\n", encoding="utf-8")
    (notes / "bad.md").write_bytes(b"\xff\xfe\x00")
    os.symlink("/etc/passwd", notes / "passwd.md")
    result = run_cli("index", "--notes", str(notes), "--index-dir", str(tmp_path / "i"), "--embedder", "minilm")
    assert result.returncode == 0, result.stderr
    assert "skipped bad.md: looks binary" in result.stderr
    assert "skipped passwd.md: is a symlink that points outside" in result.stderr
    assert "indexed 1 files, 1 chunks" in result.stdout and "2 skipped" in result.stdout
