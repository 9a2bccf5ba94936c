"""Rebuild notes/ from the man page sources in sources/ (Debian manpages-ja and manpages) with pandoc."""

# Usage (see README.md for how the sources and pandoc were obtained):
#   python3 convert.py --pandoc /tmp/mpdl/pandoc.sh
# Only the standard library is used. Text is never edited: pandoc converts, whole sections may be dropped,
# and a title heading "# name(section)" is put on top.

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import tempfile
from pathlib import Path

# (language, man page as in the Debian package, sections dropped with everything under them)
PAGES = [
    ("ja", "man5/crontab.5", []),
    ("ja", "man5/hosts.5", []),
    ("ja", "man1/date.1", []),
    ("ja", "man1/tar.1", [
        "出力ストリームに関する選択", "ファイル属性の操作", "拡張ファイル属性", "デバイスの選択と交換",
        "ローカルファイルの選択", "ファイル名の変更", "ファイル名のマッチングに関するオプション", "情報出力", "互換オプション",
    ]),
    ("ja", "man1/ls.1", []),
    ("ja", "man5/services.5", []),
    ("ja", "man5/fstab.5", []),
    ("ja", "man1/timeout.1", []),
    ("ja", "man5/resolv.conf.5", []),
    ("ja", "man1/xz.1", [
        "カスタム圧縮フィルターチェーン", "ロボットモード", "ストリーム化されている/されていない .lzma ファイル",
        "サポートされない .lzma ファイル", "ゴミデータ", "情報", "複数ファイルの並行圧縮処理",
    ]),
    ("en", "man7/hier.7", []),
    ("en", "man7/pipe.7", []),
    ("en", "man7/signal.7", [
        "Interruption of system calls and library functions by signal handlers",
        "Interruption of system calls and library functions by stop signals",
    ]),
    ("en", "man7/utf-8.7", []),
]

_HEADING = re.compile(r"^(#{1,6}) (.*)$")


def drop_sections(markdown: str, dropped: list[str]) -> str:
    """The Markdown without the sections whose heading text is in `dropped` (each with its subsections)."""
    kept: list[str] = []
    skip_level = 0
    in_code = False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match:
            level = len(match.group(1))
            if skip_level and level <= skip_level:
                skip_level = 0
            if not skip_level and match.group(2).strip() in dropped:
                skip_level = level
        if not skip_level:
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n") + "\n"


def convert(source: Path, pandoc: str) -> str:
    """The man page as GitHub Markdown, one paragraph per line, sections as ## and subsections as ###."""
    with tempfile.NamedTemporaryFile("wb", suffix=".man") as raw:
        raw.write(gzip.decompress(source.read_bytes()))
        raw.flush()
        result = subprocess.run(
            [pandoc, "-f", "man", "-t", "gfm", "--wrap=none", "--shift-heading-level-by=1", raw.name],
            check=True, capture_output=True, text=True,
        )
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=Path, default=Path(__file__).parent / "sources",
                        help="folder with ja/ and en/ holding the gzipped man sources")
    parser.add_argument("--pandoc", default="pandoc")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "notes")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for lang, page, dropped in PAGES:
        name, section = Path(page).name.rsplit(".", 1)
        body = drop_sections(convert(args.sources / lang / f"{Path(page).name}.gz", args.pandoc), dropped)
        target = args.out / f"{name}.{section}.md"
        target.write_text(f"# {name}({section})\n\n{body}", encoding="utf-8")
        print(f"{target.name}: {len(body)} characters")


if __name__ == "__main__":
    main()
