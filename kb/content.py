"""Article bodies: Markdown or HTML in, sanitised HTML and plain-text sections out.

Everything goes through one path: Markdown is rendered to HTML (raw HTML inside Markdown is shown
as text, not passed through), HTML is sanitised with ammonia (nh3), and the sanitised HTML is read
into sections under their headings. Chunking and snippets work on those sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

import nh3
from markdown_it import MarkdownIt

BodyFormat = Literal["markdown", "html"]

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {"p", "li", "pre", "blockquote", "tr", "div", "br", "dt", "dd", "table", "ul", "ol", "section"}
_SPACES = re.compile(r"\s+")


def to_safe_html(body: str, body_format: BodyFormat) -> str:
    """Sanitised HTML for display: no scripts, no event handlers, no ``javascript:`` links."""
    html = _MARKDOWN.render(body) if body_format == "markdown" else body
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


@dataclass
class Section:
    """A run of paragraphs under one heading path, e.g. ``("Error codes", "E05")``."""

    headings: tuple[str, ...]
    paragraphs: list[str] = field(default_factory=list)


class _SectionReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections = [Section(())]
        self._path: list[tuple[int, str]] = []
        self._buf: list[str] = []
        self._heading_level = 0

    def _flush(self) -> str:
        text = _SPACES.sub(" ", "".join(self._buf)).strip()
        self._buf = []
        return text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HEADINGS or tag in _BLOCKS:
            self._end_paragraph()
        if tag in _HEADINGS:
            self._heading_level = _HEADINGS[tag]

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS and self._heading_level:
            title = self._flush()
            level, self._heading_level = self._heading_level, 0
            if title:
                self._path = [(lv, t) for lv, t in self._path if lv < level] + [(level, title)]
                self.sections.append(Section(tuple(t for _, t in self._path)))
        elif tag in _BLOCKS:
            self._end_paragraph()

    def handle_data(self, data: str) -> None:
        self._buf.append(data)

    def _end_paragraph(self) -> None:
        if self._heading_level:
            return
        text = self._flush()
        if text:
            self.sections[-1].paragraphs.append(text)

    def close(self) -> None:
        super().close()
        self._heading_level = 0
        self._end_paragraph()


def sections(safe_html: str) -> list[Section]:
    """The text of ``safe_html`` grouped by heading; sections without text are dropped."""
    reader = _SectionReader()
    reader.feed(safe_html)
    reader.close()
    return [s for s in reader.sections if s.paragraphs]


def plain_text(safe_html: str) -> str:
    return "\n\n".join("\n".join(s.paragraphs) for s in sections(safe_html))


def snippet(text: str, limit: int = 240) -> str:
    """The first ``limit`` characters of ``text``, cut at a word boundary."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"
