"""Bad input at every entry point (index, search, ask, batch, eval): odd characters, huge lines, huge folders,
vanishing files, symlinks, pipes. Each ends in exit 0 with a `skipped` line for what was left out, or in exit 2
with one clear line on stderr, never in a traceback or a hang."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import corpus.loading
from assistant.generators.registry import register_backend, unregister_backend
from tests.conftest import EchoGenerator
from tests.reliability.helpers import assert_clean_error, assert_ok, cli, read_jsonl, run_real, stderr_lines

MB = 1024 * 1024
ODD_QUESTIONS = {
    "control characters": "\x01\x02\x1b[31mL2正則化\x07とは？\x7f",
    "null bytes": "L2\x00正則化\x00とは？",
    "emoji": "🤖📚 L2正則化とは？ 🙏🏽👩‍💻",
    "right-to-left": "ما هو التنظيم L2؟ \u202eשלום\u202c 正則化",
    "line separators": "L2正則化\u2028とは\u2029？\x85",
    "zero-width and bom": "\ufeffL2\u200b正則化\u200dとは？",
    "combining marks": "L2正則化とは？" + "\u0301" * 50,
}


@pytest.fixture
def fake_backend():
    register_backend("fake-echo", lambda model, base_url: EchoGenerator())
    yield
    unregister_backend("fake-echo")


@pytest.fixture
def index_dir(notes_dir, tmp_path, capsys):
    index_dir = tmp_path / "index"
    assert_ok(cli(capsys, "index", "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash"))
    return index_dir


def index(capsys, notes: Path, index_dir: Path, *flags: str):
    return cli(capsys, "index", "--notes", notes, "--index-dir", index_dir, "--embedder", "fake-hash", *flags)


def skipped_lines(stderr: str) -> dict[str, str]:
    """{source: reason} from the `skipped SOURCE: REASON` lines of `index`."""
    lines = [line for line in stderr_lines(stderr) if line.startswith("skipped ")]
    return dict(line.removeprefix("skipped ").split(": ", 1) for line in lines)


# --- questions: search and ask ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ODD_QUESTIONS))
def test_odd_characters_in_a_question_are_answered(index_dir, capsys, fake_backend, kind):
    question = ODD_QUESTIONS[kind]
    found = cli(capsys, "search", question, "--json", "--index-dir", index_dir)
    assert_ok(found)
    assert isinstance(json.loads(found.stdout), list)
    asked = cli(capsys, "ask", question, "--json", "--backend", "fake-echo", "--index-dir", index_dir)
    assert_ok(asked)
    record = json.loads(asked.stdout)
    assert "\x00" not in record["question"] and record["answer"]


@pytest.mark.parametrize(
    "question, needle",
    [
        ("x" * MB, "the limit is 2,000"),
        ("合" * 100_000, "the limit is 2,000"),
        ("正則化 " * 200_000, "the limit is 2,000"),
        (" \t\u3000\n ", "the question is empty"),
        ("", "the question is empty"),
        ("\udcff\udcfe正則化", "not valid UTF-8"),  # what undecodable bytes in argv become
    ],
    ids=["1 MB", "100k CJK", "1 MB of words", "whitespace", "empty", "undecodable"],
)
@pytest.mark.parametrize("command", ["search", "ask"])
def test_unusable_questions_get_one_clear_line_and_exit_2(index_dir, capsys, fake_backend, command, question, needle):
    extra = ["--backend", "fake-echo"] if command == "ask" else []
    line = assert_clean_error(cli(capsys, command, question, "--index-dir", index_dir, *extra), needle)
    assert len(line) < 300  # the message names the problem; it does not echo a megabyte back


def test_a_question_of_only_null_bytes_is_refused_as_empty(index_dir, capsys):
    assert_clean_error(cli(capsys, "search", "\x00\x00\x00", "--index-dir", index_dir), "empty")


@pytest.mark.slow
def test_odd_questions_through_a_real_process(index_dir):
    for question in ("\x01\x1b[31m制御\x07", "🤖📚 正則化", "ما هو \u202eL2", "x" * 100_000):  # argv caps one argument at 128 KiB
        result = run_real("search", question, "--index-dir", index_dir)
        assert "Traceback" not in result.stderr
        if len(question) > 2000:
            assert_clean_error(result, "the limit is 2,000")
        else:
            assert_ok(result)
    # Bytes that are not UTF-8 reach Python as lone surrogates (PEP 383); they are refused, not crashed on.
    import subprocess
    import sys

    from tests.reliability.helpers import REPO

    done = subprocess.run([sys.executable.encode(), b"-m", b"tests.reliability.fake_cli", b"search", b"\xff\xfe\xe6\xad",
                           b"--index-dir", os.fsencode(index_dir)], capture_output=True, cwd=REPO)
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert done.stderr.decode().strip().startswith("error: the argument") and b"not valid UTF-8" in done.stderr


# --- notes: index ------------------------------------------------------------------------------------------


def test_odd_notes_are_indexed_and_unusable_ones_skipped_by_name(tmp_path, capsys):
    notes = tmp_path / "notes"
    notes.mkdir()
    files = {
        "control.md": "## 制御\n\n制御文字\x01\x02\x1b[31m入りの行\x07。\n",
        "emoji 🤖.md": "## 絵文字\n\n絵文字🤖📚を含むノート。\n",
        "rtl.md": "## RTL\n\nما هو التنظيم؟ \u202eשלום\u202c と日本語。\n",
        "separators.md": "## 区切り\n\n行区切り\u2028と段落区切り\u2029とNEL\x85を含む。\n",
        "bom-crlf.txt": "\ufeff## BOM\r\n\r\nBOMとCRLFのノート。\r\n",
        "long-line.md": "## 長い行\n\n" + "長" * MB + "\n",
        "long-heading.md": "## " + "見" * MB + "\n\n見出しが1 MBのノート。\n",  # crashed MeCab (a segfault) before
        "long-sentences.md": "## 文\n\n" + "これは文です。" * (MB // 7) + "\n",
    }
    for name, text in files.items():
        (notes / name).write_text(text, encoding="utf-8")
    (notes / "nul.md").write_bytes("## NUL\n\nNUL\x00入り\n".encode())
    (notes / "latin1.md").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (notes / "empty.md").write_text("  \n\n", encoding="utf-8")
    (notes / "huge.md").write_bytes(b"a" * (6 * MB))
    index_dir = tmp_path / "index"
    started = time.perf_counter()
    result = index(capsys, notes, index_dir)
    seconds = time.perf_counter() - started
    assert_ok(result)
    skipped = skipped_lines(result.stderr)
    assert set(skipped) == {"nul.md", "latin1.md", "empty.md", "huge.md"}
    assert "binary" in skipped["nul.md"] and "not UTF-8" in skipped["latin1.md"]
    assert "empty" in skipped["empty.md"] and "limit is 5 MB" in skipped["huge.md"]
    assert f"indexed {len(files)} files" in result.stdout and "4 skipped" in result.stdout
    assert seconds < 120, f"indexing ~2 MB of odd notes took {seconds:.1f} s"
    # MeCab drops Arabic and Hebrew words, so right-to-left text is found by the dense side only.
    for question, source, mode in [("絵文字🤖📚", "emoji 🤖.md", "bm25"), ("段落区切り", "separators.md", "bm25"),
                                   ("ما هو التنظيم؟ שלום", "rtl.md", "dense")]:
        found = cli(capsys, "search", question, "--json", "--k", "1", "--retriever", mode, "--index-dir", index_dir)
        assert_ok(found)
        assert json.loads(found.stdout)[0]["source"] == source


def test_a_notes_folder_of_10000_small_files(tmp_path, capsys):
    notes = tmp_path / "notes"
    for i in range(10_000):
        folder = notes / f"d{i // 1000}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"n{i:05d}.md").write_text(f"## ノート{i}\n\n項目{i}の説明。値は{i * 7}。\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    started = time.perf_counter()
    result = index(capsys, notes, index_dir)
    seconds = time.perf_counter() - started
    assert_ok(result)
    assert result.stdout.startswith("indexed 10000 files, 10000 chunks (10000 embedded")
    print(f"\n[reliability figure] 10,000 files indexed (fake-hash embedder) in {seconds:.1f} s")
    assert seconds < 120, f"10,000 small files took {seconds:.1f} s"
    found = cli(capsys, "search", "項目7777の説明", "--json", "--k", "1", "--retriever", "bm25", "--index-dir", index_dir)
    assert_ok(found)
    assert json.loads(found.stdout)[0]["source"] == "d7/n07777.md"
    again = index(capsys, notes, index_dir)
    assert_ok(again)
    assert "already up to date" in again.stdout


def test_files_that_vanish_mid_index_are_skipped_and_the_rest_indexed(notes_dir, tmp_path, capsys, monkeypatch):
    for name in ("gone.md", "gone-too.txt"):
        (notes_dir / name).write_text("## 消える\n\n消えるノート。\n", encoding="utf-8")
    listed = corpus.loading.note_paths

    def list_then_delete(root):
        paths = listed(root)
        for path in paths:  # deleted after the folder was listed, before the files are read
            if path.name.startswith("gone"):
                path.unlink()
        return paths

    monkeypatch.setattr(corpus.loading, "note_paths", list_then_delete)
    result = index(capsys, notes_dir, tmp_path / "index")
    assert_ok(result)
    skipped = skipped_lines(result.stderr)
    assert set(skipped) == {"gone.md", "gone-too.txt"} and all("deleted" in r for r in skipped.values())
    assert "indexed 2 files" in result.stdout
    monkeypatch.undo()
    # A file that vanishes after indexing makes the index stale, which readers say clearly.
    (notes_dir / "exam.txt").unlink()
    assert_clean_error(cli(capsys, "search", "試験", "--index-dir", tmp_path / "index"), "stale", "exam.txt removed")


def test_a_file_that_vanishes_between_stat_and_read(notes_dir, tmp_path, capsys, monkeypatch):
    real_open = os.open

    def open_then_vanish(path, flags, *args, **kwargs):
        if str(path).endswith("exam.txt"):
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(corpus.loading.os, "open", open_then_vanish)
    result = index(capsys, notes_dir, tmp_path / "index")
    assert_ok(result)
    assert skipped_lines(result.stderr) == {"exam.txt": "cannot be read (No such file or directory)"}


def test_symlinks_out_of_the_notes_folder_are_not_followed(notes_dir, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("## 秘密\n\n外のフォルダの秘密。\n", encoding="utf-8")
    (notes_dir / "secret-link.md").symlink_to(outside / "secret.md")
    (notes_dir / "passwd.md").symlink_to("/etc/passwd")
    (notes_dir / "outside-dir").symlink_to(outside, target_is_directory=True)
    (notes_dir / "loop.md").symlink_to(notes_dir / "loop.md")
    (notes_dir / "loop-dir").symlink_to(notes_dir, target_is_directory=True)
    (notes_dir / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (notes_dir / "inside-link.md").symlink_to(notes_dir / "ml.md")  # inside the folder: fine to follow
    index_dir = tmp_path / "index"
    result = index(capsys, notes_dir, index_dir)
    assert_ok(result)
    skipped = skipped_lines(result.stderr)
    assert set(skipped) == {"secret-link.md", "passwd.md", "loop.md", "dangling.md"}
    assert "outside the notes folder" in skipped["secret-link.md"] and "outside the notes folder" in skipped["passwd.md"]
    assert "symlink loop" in skipped["loop.md"] and "broken symlink" in skipped["dangling.md"]
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == ["exam.txt", "inside-link.md", "ml.md"]
    chunks = (index_dir / manifest["generation"] / "chunks.jsonl").read_text(encoding="utf-8")
    assert "秘密" not in chunks and "root:" not in chunks


@pytest.mark.timeout(60)
def test_a_named_pipe_does_not_hang_the_indexer(notes_dir, tmp_path, capsys):
    os.mkfifo(notes_dir / "pipe.md")
    result = index(capsys, notes_dir, tmp_path / "index")
    assert_ok(result)
    assert "not a regular file" in skipped_lines(result.stderr)["pipe.md"]


def test_odd_file_names(notes_dir, tmp_path, capsys):
    bad = os.fsencode(notes_dir) + b"/\xff\xfe-latin1-name.md"
    with open(bad, "wb") as handle:
        handle.write("## 名前\n\n名前が壊れたファイル。\n".encode())
    for name in ("改行\nを含む.md", "ما هو.md", "🤖.md", "-starts-with-dash.md", " spaced .md"):
        (notes_dir / name).write_text("## 名前\n\n変わった名前のファイル。\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    result = index(capsys, notes_dir, index_dir)
    assert_ok(result)
    assert "not valid UTF-8; rename it" in result.stderr and "\udcff" not in result.stderr
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == 7
    assert_ok(cli(capsys, "search", "変わった名前", "--index-dir", index_dir))


@pytest.mark.parametrize(
    "make, needle",
    [
        (lambda p: None, "notes folder not found"),
        (lambda p: p.write_text("x", encoding="utf-8"), "not a folder"),
        (lambda p: p.mkdir(), "has no notes files (.md, .markdown, .txt"),
        (lambda p: (p.mkdir(), (p / "a.md").write_bytes(b"\x00\x01\x02")), "no readable notes: a.md looks binary"),
        (lambda p: (p.mkdir(), (p / "a.md").symlink_to("/etc/hostname")), "no readable notes: a.md is a symlink"),
    ],
    ids=["missing", "a file", "empty", "only binary", "only an outside symlink"],
)
def test_unusable_notes_folders_exit_2(tmp_path, capsys, make, needle):
    make(tmp_path / "notes")
    assert_clean_error(index(capsys, tmp_path / "notes", tmp_path / "index"), needle)
    assert not (tmp_path / "index" / "manifest.json").exists()


@pytest.mark.parametrize("where", ["a file", "under a file", "in /proc"])
def test_an_unusable_index_folder_exits_2(notes_dir, tmp_path, capsys, where):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    index_dir = {"a file": tmp_path / "file", "under a file": tmp_path / "file" / "idx", "in /proc": Path("/proc/idx")}[where]
    assert_clean_error(index(capsys, notes_dir, index_dir), "cannot use", "as the index folder")


def test_bad_flags_exit_2(notes_dir, tmp_path, capsys):
    assert_clean_error(index(capsys, notes_dir, tmp_path / "i", "--max-chars", "0"), "--max-chars")
    assert_clean_error(cli(capsys, "index", "--embedder", "nope", "--notes", notes_dir, "--index-dir", tmp_path / "i"), "unknown embedder")
    assert_clean_error(cli(capsys, "search", "x", "--k", "-1"), "--k")
    assert_clean_error(cli(capsys, "ask", "x", "--temperature", "-1", "--index-dir", tmp_path / "i"), "temperature")
    assert_clean_error(cli(capsys, "ask", "x", "--top-p", "0", "--index-dir", tmp_path / "i"), "top_p")


# --- batch files -------------------------------------------------------------------------------------------


def test_a_batch_file_full_of_odd_lines(index_dir, tmp_path, capsys, fake_backend):
    good = {f"odd-{n}": q for n, q in enumerate(ODD_QUESTIONS.values())}
    lines = [json.dumps({"id": i, "question": q}, ensure_ascii=False) for i, q in good.items()]
    lines += [
        json.dumps({"id": "too-long", "question": "長" * MB}, ensure_ascii=False),  # a 1 MB line: answered? no, too long
        "{" + "x" * MB,  # a 1 MB line that is not JSON
        json.dumps({"id": "surrogate", "question": "\ud800"}),  # valid JSON, not a character
        json.dumps({"id": "\udfff", "question": "id is a lone surrogate"}),
        json.dumps({"id": "odd-0", "question": "duplicate id"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "n", "question": None}),
        json.dumps({"id": "", "question": "no id"}),
        "\x00\x01 garbage \x1b",
        "",
        "   ",
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli(capsys, "batch", "--input", path, "--output", out, "--index-dir", index_dir, "--backend", "fake-echo")
    assert_ok(result)
    records = read_jsonl(out)
    assert [r["id"] for r in records] == list(good)
    problems = [line for line in stderr_lines(result.stderr)]
    assert all(line.startswith("skipped ") and len(line) < 500 for line in problems), problems
    assert len(problems) == 9  # too-long (when answered), lines 9–16 of the file
    assert any("too-long" in line and "limit is 2,000" in line for line in problems)
    assert f"answered {len(good)} questions" in result.stdout


def test_a_plain_text_batch_file_with_odd_lines(index_dir, tmp_path, capsys, fake_backend):
    questions = [*ODD_QUESTIONS.values(), "長" * MB]
    path = tmp_path / "odd.txt"
    path.write_text("\n".join(q.replace("\x85", "") for q in questions) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli(capsys, "batch", "--input", path, "--output", out, "--index-dir", index_dir, "--backend", "fake-echo")
    assert_ok(result)
    assert [r["id"] for r in read_jsonl(out)] == [f"line-{n}" for n in range(1, len(ODD_QUESTIONS) + 1)]
    assert [line.split(":")[0] for line in stderr_lines(result.stderr)] == [f"skipped line-{len(questions)}"]


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"caf\xe9\n", "not UTF-8"),
        (bytes(range(256)) * 4, "not UTF-8"),
        (b"", "no usable questions"),
        (b"\n\n  \n", "no usable questions"),
        (b'{"id": 1}\n{bad\n', "no usable questions"),
    ],
    ids=["latin-1", "binary", "empty", "blank lines", "only bad lines"],
)
def test_unusable_batch_files_exit_2(index_dir, tmp_path, capsys, fake_backend, content, needle):
    path = tmp_path / "q.jsonl"
    path.write_bytes(content)
    result = cli(capsys, "batch", "--input", path, "--output", tmp_path / "o.jsonl", "--index-dir", index_dir, "--backend", "fake-echo")
    assert_clean_error(result, needle, allow_skipped=True)
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("case", ["missing input", "input is a folder", "output is a folder", "output under a file", "output is the input"])
def test_unusable_batch_paths_exit_2(index_dir, tmp_path, capsys, fake_backend, case):
    questions = tmp_path / "q.txt"
    questions.write_text("L2正則化とは？\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    source, output, flags = {
        "missing input": (tmp_path / "nope.jsonl", tmp_path / "o.jsonl", []),
        "input is a folder": (tmp_path / "folder", tmp_path / "o.jsonl", []),
        "output is a folder": (questions, tmp_path / "folder", []),
        "output under a file": (questions, tmp_path / "file" / "o.jsonl", []),
        "output is the input": (questions, questions, ["--resume"]),
    }[case]
    result = cli(capsys, "batch", "--input", source, "--output", output, *flags, "--index-dir", index_dir, "--backend", "fake-echo")
    assert_clean_error(result)
    assert questions.read_text(encoding="utf-8") == "L2正則化とは？\n"


# --- eval --------------------------------------------------------------------------------------------------


def gold_line(item_id: str, question: str, **extra) -> str:
    return json.dumps({"id": item_id, "question": question, "answer": "重みを小さくする", "evidence": [], **extra}, ensure_ascii=False)


def test_eval_with_odd_gold_questions(index_dir, tmp_path, capsys):
    # Each odd question is a question `search` and `ask` answer (see above), so eval scores every one of them:
    # exit 0 and all six in the retrieval figures. Their evidence is empty, so no chunk is relevant to any of them,
    # and the one line on stderr is the warning that names them.
    odd = {f"g{n}": q for n, q in enumerate(ODD_QUESTIONS.values()) if "\x85" not in q and "\u2028" not in q}
    assert list(odd) == ["g0", "g1", "g2", "g3", "g5", "g6"]  # the line-separator questions have their own test
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(gold_line(item_id, q) for item_id, q in odd.items()) + "\n", encoding="utf-8")
    result = cli(capsys, "eval", "--gold", gold, "--retrieval-only", "--report", tmp_path / "report", "--index-dir", index_dir)
    assert_ok(result)
    assert stderr_lines(result.stderr) == [
        "warning: evidence spans not found in any chunk (those spans cannot count as hits): g0, g1, g2, g3, g5, g6"
    ]
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["retrieval"]["n"] == 6
    assert report["retrieval"]["recall@10"] == 0.0
    assert report["config"]["retrieval_unscorable"] == list(odd)
    assert [q["id"] for q in report["per_question"]] == list(odd)
    assert all(q["retrieved"] for q in report["per_question"])  # each odd question was searched and got hits


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"caf\xe9\n", "not UTF-8"),
        (b"", "no questions"),
        (b"{bad json\n", "not valid JSON"),
        (("{" + "x" * MB + "\n").encode(), "not valid JSON"),
        (gold_line("g", "長" * MB).encode() + b"\n", "the query is 1,048,576 characters long; the limit is 20,000"),
        (b'{"id": "g", "question": "\\ud800", "answer": "x", "evidence": []}\n', "the query holds a lone surrogate"),
    ],
    ids=["latin-1", "empty", "bad JSON", "1 MB of bad JSON", "1 MB question", "lone surrogate"],
)
def test_eval_with_unusable_gold_files(index_dir, tmp_path, capsys, content, needle):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(content)
    result = cli(capsys, "eval", "--gold", gold, "--retrieval-only", "--report", tmp_path / "report", "--index-dir", index_dir)
    assert_clean_error(result, needle, allow_skipped=True)


def test_eval_scores_a_gold_question_holding_nul(index_dir, tmp_path, capsys):
    # NUL is a character like any other in a question (ask answers it too): scored, not refused.
    gold = tmp_path / "gold.jsonl"
    gold.write_text(gold_line("g", "NUL\x00入り") + "\n", encoding="utf-8")
    result = cli(capsys, "eval", "--gold", gold, "--retrieval-only", "--report", tmp_path / "report", "--index-dir", index_dir)
    assert_ok(result)
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["retrieval"]["n"] == 1 and report["per_question"][0]["question"] == "NUL\x00入り"


def test_eval_reads_gold_lines_holding_unicode_line_separators(index_dir, tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(gold_line("g1", "L2正則化\u2028とは？") + "\n" + gold_line("g2", "L2正則化\x85とは？") + "\n", encoding="utf-8")
    result = cli(capsys, "eval", "--gold", gold, "--retrieval-only", "--report", tmp_path / "report", "--index-dir", index_dir)
    assert_ok(result)
    assert json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))["retrieval"]["n"] == 2


def test_eval_with_an_odd_answers_file(index_dir, tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(gold_line("g1", "L2正則化とは？") + "\n", encoding="utf-8")
    answers = tmp_path / "answers.jsonl"
    for content, needle in [(b"caf\xe9\n", "not UTF-8"), (b"{x\n", "not valid JSON"), (b"", "no answers")]:
        answers.write_bytes(content)
        result = cli(capsys, "eval", "--gold", gold, "--answers", answers, "--report", tmp_path / "report", "--index-dir", index_dir)
        assert_clean_error(result, needle)
