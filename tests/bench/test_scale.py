"""The scale section: the folder it makes from man pages (with a fake pandoc), its cases, and its report lines."""

import gzip
import json
import os
import stat

from assistant.bench import report, scale


def _fake_tree(home, pages):
    """A cache as `_download` leaves it, with `pages` {"ja/man1/tar.1": paragraphs} as gzipped sources."""
    (home / "debs").mkdir(parents=True)
    (home / "debs" / "unpacked.json").write_text(json.dumps(list(scale.PACKAGES)))
    for page, paragraphs in pages.items():
        path = home / "debs" / "x" / "usr" / "share" / "man" / f"{page}.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress("\n".join(paragraphs).encode()))


def _fake_pandoc(tmp_path):
    """A `pandoc` that prints its input file as one Markdown section (the page's lines as paragraphs)."""
    script = tmp_path / "pandoc"
    script.write_text("#!/bin/sh\nfor last; do :; done\necho '## 説明'\necho\nsed 's/$/\\n/' \"$last\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def paragraph(i):
    return f"段落{i}の説明です。" * 30  # about 400 characters: one chunk each


def test_pages_come_in_order_until_the_chunk_count_and_stubs_are_left_out(tmp_path):
    home = tmp_path / "home"
    _fake_tree(home, {"ja/man1/a.1": [paragraph(i) for i in range(3)], "ja/man1/b.1": ["短い"],
                      "ja/man8/c.8": [paragraph(i) for i in range(4)], "man1/d.1": [paragraph(i) for i in range(5)]})
    pages = scale.rendered_pages(5, home, pandoc=_fake_pandoc(tmp_path))
    assert [p.path.name for p in pages] == ["a.1.md", "c.8.md"]  # b.1 is a stub; ja/man8 comes before the English man1
    assert all(p.chunks >= 3 for p in pages)
    assert (home / "pages" / "ja-man1" / "a.1.md").read_text(encoding="utf-8").startswith("# a(1)\n\n## 説明")
    folder, count, chunks = scale.case_folder(pages, 2, home)
    assert count == 1 and chunks == pages[0].chunks and sorted(os.listdir(folder)) == [".pages.json", "ja-man1-a.1.md"]
    os.utime(home / "pages" / "ja-man1" / "a.1.md", (0, 0))
    assert scale.rendered_pages(5, home, pandoc=_fake_pandoc(tmp_path)) == pages  # cached pages are not rendered again
    assert os.stat(home / "pages" / "ja-man1" / "a.1.md").st_mtime == 0


def test_too_few_chunks_and_a_missing_pandoc_skip_the_section_with_the_reason(tmp_path, monkeypatch):
    home = tmp_path / "home"
    _fake_tree(home, {"ja/man1/a.1": [paragraph(0)]})
    assert "--quick leaves it out" in scale.run(quick=True, workdir=tmp_path / "work", home=home)["skipped"]
    monkeypatch.setattr(scale, "FULL_SIZES", (10,))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no pandoc
    result = scale.run(quick=False, workdir=tmp_path / "work", home=home)
    assert "pandoc is not installed" in result["skipped"]
    try:
        scale.rendered_pages(10, home, pandoc=_fake_pandoc(tmp_path))
    except RuntimeError as exc:
        assert "fewer than 10" in str(exc)
    else:
        raise AssertionError("ten chunks from one page")


def _case(index_s, first_s, warm_s, rss=900.0):
    return {"pages": 500, "chunks": 10_002, "load_before": 1.0, "load_after": 1.5,
            "index": {"wall_s": index_s, "peak_rss_mb": rss}, "first_ask": {"wall_s": first_s, "retrieval_ms": 300.0},
            "second_ask": {"wall_s": first_s}, "warm": {"first_answer_s": 1.0, "warm_answer_s": warm_s, "peak_rss_mb": 700.0}}


def test_the_report_shows_each_case_and_judges_the_targets_on_10k():
    results = {"scale": {"packages": list(scale.PACKAGES), "questions": [],
                         "cases": {"1000": _case(20.0, 2.0, 0.5), "10000": _case(200.0, 2.5, 0.8, rss=2000.0),
                                   "50000": {"pages": 2600, "chunks": 50_100, "skipped": "RuntimeError: index failed"}}}}
    by_name = {t["name"]: t["met"] for t in report.targets(results)}
    assert by_name["scale: `index` of 10k chunks"] is False and by_name["scale: first `ask` on the new 10k index"] is True
    assert by_name["scale: peak RSS of `index`, 10k chunks"] is False and by_name["scale: warm answer, 10k chunks, median"] is True
    lines = report.scale_lines(results["scale"])
    rows = [line for line in lines if line.startswith("| 1,000 |")]
    assert len(rows) == 1 and "| 20.0 |" in rows[0]
    assert any(line.startswith("| 10,000 |") and "| 200 |" in line for line in lines)
    assert any("skipped: RuntimeError: index failed" in line for line in lines)


def test_no_scale_section_no_scale_targets():
    assert not any(t["name"].startswith("scale:") for t in report.targets({}))
