"""Markdown notes, Obsidian's extras included: YAML front matter (title, tags) and [[wikilinks]] shown as their text.

A note without front matter or wikilinks is read byte for byte as before, so its chunk ids do not change.
"""

from __future__ import annotations

import re

from corpus.readers import Reading
from corpus.readers.plain import decode_text

# [[target]], [[target|alias]], [[target#heading]], [[#heading]]; a leading ! embeds a file (an image, a PDF).
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n|]*)(?:\|([^\[\]\n]*))?\]\]")
_FENCE = re.compile(r"^\s*(```|~~~)")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n")


def read(data: bytes, name: str) -> Reading:
    text = decode_text(data)
    title, tags = "", ()
    if _FRONT_MATTER.match(text):
        text, title, tags = _split_front_matter(text)
    if "[[" in text:
        text = wikilinks_as_text(text)
    return Reading(text=text, title=title, tags=tags)


def _split_front_matter(text: str) -> tuple[str, str, tuple[str, ...]]:
    """The body, the title and the tags; a block that is not valid YAML (or not a mapping) stays in the text."""
    import frontmatter
    import yaml

    handler = frontmatter.YAMLHandler()
    try:
        block, body = handler.split(text)
        metadata = handler.load(block) if block.strip() else {}
    except (yaml.YAMLError, ValueError, TypeError):
        return text, "", ()
    if not isinstance(metadata, dict):  # a list or a string: a Markdown rule and text, not front matter
        return text, "", ()
    title = metadata.get("title")
    title = " ".join(title.split()) if isinstance(title, str) else ""
    return body, title[:300], _tags(metadata.get("tags", metadata.get("tag")))


def _tags(value: object) -> tuple[str, ...]:
    """Tags as Obsidian accepts them: a list, or one string split at commas and spaces; a leading # dropped."""
    if isinstance(value, str):
        items = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        items = [v for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    else:
        return ()
    return tuple(dict.fromkeys(t for t in (str(i).strip().lstrip("#") for i in items) if t))


def wikilinks_as_text(text: str) -> str:
    """[[note|alias]] → alias, [[note#part]] → note > part, ![[embed]] → nothing; code blocks are left alone."""
    lines = text.split("\n")
    in_fence = False
    for n, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and "[[" in line:
            lines[n] = _WIKILINK.sub(_link_text, line)
    return "\n".join(lines)


def _link_text(match: re.Match) -> str:
    embed, target, alias = match.group(1), match.group(2).strip(), match.group(3)
    if embed:
        return ""
    if alias is not None and alias.strip():
        return alias.strip()
    note, _, part = target.partition("#")
    part = part.lstrip("^")  # [[note#^block-id]] points at a block; its id is not text
    return " > ".join(p for p in (note.strip(), part.strip()) if p)
