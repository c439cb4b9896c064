"""Article bodies: sanitising, sections under headings, and passages that respect both."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from kb.chunking import MAX_PASSAGE_CHARS, chunk
from kb.content import plain_text, sections, snippet, to_safe_html

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<svg onload="alert(1)"></svg>',
    '<p style="background:url(javascript:alert(1))">x</p>',
]


class _Elements(HTMLParser):
    """Collects the elements and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_nothing_executable_survives(payload: str, fmt: str) -> None:
    parsed = _Elements()
    parsed.feed(to_safe_html(f"Before {payload} after", fmt))  # type: ignore[arg-type]
    assert not {"script", "iframe", "svg"} & set(parsed.tags)
    for name, value in parsed.attrs:
        assert not name.startswith("on") and name != "style"
        assert "javascript:" not in value.lower()


def test_markdown_keeps_structure_and_links_get_safe_rel() -> None:
    html = to_safe_html("## Steps\n\n1. **Open** the [app](https://example.com)\n", "markdown")
    assert "<h2>Steps</h2>" in html and "<strong>Open</strong>" in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_sections_follow_the_heading_path() -> None:
    html = to_safe_html("Intro.\n\n# A\n\nunder a\n\n## B\n\nunder b\n\n# C\n\nunder c", "markdown")
    assert [(s.headings, s.paragraphs) for s in sections(html)] == [
        ((), ["Intro."]),
        (("A",), ["under a"]),
        (("A", "B"), ["under b"]),
        (("C",), ["under c"]),
    ]
    assert plain_text(html) == "Intro.\n\nunder a\n\nunder b\n\nunder c"


def test_passages_never_cross_headings_or_the_size_limit() -> None:
    long_paragraph = " ".join(f"Sentence number {i} is here." for i in range(200))
    html = to_safe_html(f"## One\n\n{long_paragraph}\n\n## Two\n\nShort.", "markdown")
    passages = chunk(sections(html))
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)
    assert {p.heading for p in passages} == {"One", "Two"}
    assert passages[-1].text == "Short." and passages[-1].heading == "Two"
    rejoined = " ".join(p.text for p in passages if p.heading == "One")
    assert rejoined == long_paragraph, "splitting loses no text"
    assert [p.ordinal for p in passages] == list(range(len(passages)))


def test_a_word_longer_than_a_passage_is_cut_hard() -> None:
    passages = chunk(sections(to_safe_html("x" * (MAX_PASSAGE_CHARS * 2 + 5), "markdown")))
    assert [len(p.text) for p in passages] == [MAX_PASSAGE_CHARS, MAX_PASSAGE_CHARS, 5]


def test_snippets_cut_at_a_word() -> None:
    assert snippet("short text") == "short text"
    cut = snippet("word " * 100, limit=22)
    assert cut == "word word word word…"
