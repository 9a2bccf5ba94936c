"""Saved web pages (.html, .htm): the main content as Markdown (headings h1–h6, tables, code), via trafilatura.

Navigation, sidebars, ads, comments, footers, scripts, styles, forms and hidden elements are left out: hidden ones are
removed before extraction (the `hidden` attribute, aria-hidden, inline display:none or visibility:hidden, common
"hidden" classes), the rest is trafilatura's boilerplate removal. Chosen over readability-lxml + markdownify by a
measurement on the notes rendered as a blog page and on seven real saved pages: eval/corpora/formats/README.md.
"""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.readers import Reading, UnreadableFile

# Elements whose text is never content. Forms hold placeholder and button text; template, noscript and iframe hold
# markup that a browser would not show as the page's text.
_NEVER_TEXT = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "form",
               "button", "select", "textarea", "input", "dialog")
_HIDDEN_CLASSES = {"hidden", "d-none", "is-hidden", "visually-hidden", "sr-only", "screen-reader-text", "invisible"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Markdown escapes trafilatura adds to plain text ("max\_depth", "100\~1000"); "\|" inside a table cell stays.
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~<>])")
_FENCE = re.compile(r"^\s*(```|~~~)")


@lru_cache(maxsize=1)
def _config():
    from trafilatura.settings import use_config

    config = use_config()
    # A short note is still a note: trafilatura's defaults drop or re-extract pages with under 250 characters of text.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # its timeout uses signals, which only work in the main thread
    return config


def read(data: bytes, name: str) -> Reading:
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(data)
    if tree is None:
        raise UnreadableFile("is not an HTML page that can be parsed")
    remove_invisible(tree)
    if not tree.xpath("//article|//main|//*[@role='main']"):
        _wrap_body(tree)
    text = trafilatura.extract(
        tree, output_format="markdown", include_tables=True, include_formatting=True, include_comments=False,
        include_links=False, include_images=False, with_metadata=True, deduplicate=False, config=_config(),
    )
    if not text or not text.strip():
        raise UnreadableFile("has no main text that could be extracted (an empty page, or only navigation?)")
    body, title = _split_metadata(text)
    return Reading(text=_without_repeated_headings(unescape_markdown(body)), title=title)


def _without_repeated_headings(text: str) -> str:
    """A heading said twice in a row once: pandoc's title block repeats the page's <h1>."""
    kept: list[str] = []
    last_heading = None
    for line in text.split("\n"):
        if line.startswith("#"):
            if line == last_heading:
                continue
            last_heading = line
        elif line.strip():
            last_heading = None
        kept.append(line)
    return "\n".join(kept)


def remove_invisible(tree) -> None:
    """Drop, in place, every element a reader of the page would not see, and its text."""
    doomed = tree.xpath("|".join(f"//{tag}" for tag in _NEVER_TEXT))
    for element in tree.iter():
        if not isinstance(element.tag, str):
            doomed.append(element)  # comments and processing instructions
            continue
        attributes = element.attrib
        if ("hidden" in attributes or attributes.get("aria-hidden", "").lower() == "true"
                or _HIDDEN_STYLE.search(attributes.get("style", ""))
                or _HIDDEN_CLASSES.intersection(attributes.get("class", "").split())):
            doomed.append(element)
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()  # keeps the tail text, which belongs to the parent


def _wrap_body(tree) -> None:
    """Put the body's content in an <article>: pages without article/main (pandoc, old blogs) otherwise lose headings."""
    from lxml import etree

    body = tree.find(".//body")
    if body is None:
        return
    article = etree.SubElement(body, "article")
    article.text, body.text = body.text, None
    for child in list(body):
        if child is not article:
            article.append(child)


def _split_metadata(text: str) -> tuple[str, str]:
    """trafilatura's YAML header (title, date, …) and the Markdown after it."""
    match = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if not match:
        return text, ""
    title = re.search(r"(?m)^title: (.*)$", match.group(1))
    return text[match.end():], (title.group(1).strip().strip('"') if title else "")


def unescape_markdown(text: str) -> str:
    """Text as written on the page: trafilatura's backslash escapes removed outside code and table rows."""
    lines = text.split("\n")
    in_fence = False
    for n, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            if line.lstrip().startswith("|"):
                lines[n] = _ESCAPE.sub(lambda m: m.group(0) if m.group(1) == "|" else m.group(1), line)
            else:
                lines[n] = _ESCAPE.sub(r"\1", line)
    return "\n".join(lines).strip("\n")
