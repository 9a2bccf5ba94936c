"""Loading a notes folder: bad files are skipped with a reason, bad folders are refused."""

import os

import pytest

from corpus.errors import InputError
from corpus.loading import load_notes


def test_reads_md_and_txt_recursively(notes_dir):
    (notes_dir / "sub").mkdir()
    (notes_dir / "sub" / "deep.md").write_text("深い。", encoding="utf-8")
    (notes_dir / "image.png").write_bytes(b"\x89PNG")
    folder = load_notes(notes_dir)
    assert [d.source for d in folder.documents] == ["exam.txt", "ml.md", "sub/deep.md"]
    assert folder.skipped == ()


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("binary.md", b"abc\x00def", "binary"),
        ("latin1.txt", "caf\xe9 ".encode("latin-1") * 3, "not UTF-8"),
        ("empty.md", b"  \n", "empty"),
    ],
)
def test_unusable_files_are_skipped_with_a_reason(notes_dir, name, content, reason):
    (notes_dir / name).write_bytes(content)
    folder = load_notes(notes_dir)
    assert [s.source for s in folder.skipped] == [name]
    assert reason in folder.skipped[0].reason
    assert len(folder.documents) == 2


def test_huge_file_is_skipped(notes_dir):
    with open(notes_dir / "huge.md", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
        handle.seek(0)
        handle.write(b"big")
    folder = load_notes(notes_dir)
    assert folder.skipped[0].source == "huge.md" and "MB" in folder.skipped[0].reason


def test_symlink_outside_the_folder_is_not_followed(notes_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    os.symlink(secret, notes_dir / "link.md")
    os.symlink(tmp_path, notes_dir / "linkdir")
    folder = load_notes(notes_dir)
    assert all("TOP SECRET" not in d.text for d in folder.documents)
    assert [s.source for s in folder.skipped] == ["link.md"]
    assert "outside the notes folder" in folder.skipped[0].reason


def test_symlink_inside_the_folder_is_read(notes_dir):
    os.symlink(notes_dir / "ml.md", notes_dir / "alias.md")
    assert "alias.md" in [d.source for d in load_notes(notes_dir).documents]


@pytest.mark.parametrize("setup, message", [("missing", "not found"), ("empty", "has no notes files"), ("file", "not a folder")])
def test_bad_folders_are_refused(tmp_path, setup, message):
    path = tmp_path / "notes"
    if setup == "empty":
        path.mkdir()
    elif setup == "file":
        path.write_text("x")
    with pytest.raises(InputError, match=message):
        load_notes(path)


def test_folder_with_only_unreadable_files_is_refused(tmp_path):
    (tmp_path / "a.md").write_bytes(b"\x00\x01")
    with pytest.raises(InputError, match="no readable notes.*a.md"):
        load_notes(tmp_path)
