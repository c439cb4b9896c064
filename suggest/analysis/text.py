"""Turn what a helpdesk delivers (HTML e-mail, replies with quoted history, signatures) into the
text the customer actually wrote this time, and say what was removed.

Quoted history would make a follow-up look like the first message, and a signature full of
product names would sway the intent, so both are cut before any model sees the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from suggest.analysis.types import TextNote

MAX_ANALYSED_CHARS = 10_000
"""The encoder reads about 2,000 characters; keyword rules read this many. The rest is cut."""

_SKIP_TAGS = {"style", "script", "head", "title", "blockquote", "template"}
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote", "x_gmail_quote")
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
_HTML_HINT = re.compile(r"<(html|body|div|p|br|span|table|blockquote|a\s)[\s/>]", re.IGNORECASE)

_QUOTE_HEADERS = re.compile(
    r"""^\s*(?:
        (?:on|op|am|le|el|il|στις|την)\b.{0,200}?\b
        (?:wrote|schreef|schrieb|a\s+écrit|escribió|ha\s+scritto|έγραψε)\b[^\n]{0,160}:\s*$
      | -{2,}\s*(?:original\s+message|oorspronkelijk\s+bericht|αρχικό\s+μήνυμα|ursprüngliche\s+nachricht
                 |forwarded\s+message|doorgestuurd\s+bericht)\s*-{2,}
      | (?:from|van|από|von|de)\s*:\s.+\n
        \s*(?:sent|verzonden|date|datum|ημερομηνία|στάλθηκε|gesendet|envoyé)\s*:
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$", re.MULTILINE)
_MOBILE_FOOTERS = re.compile(
    r"^\s*(?:sent\s+from\s+my|verzonden\s+(?:vanaf|met)\s+mijn|verstuurd\s+vanaf\s+mijn|"
    r"στάλθηκε\s+από|εστάλη\s+από|get\s+outlook\s+for)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
_BLANK_RUNS = re.compile(r"\n\s*\n\s*\n+")
_INLINE_SPACE = re.compile(r"[ \t\f\v\u00a0]+")


@dataclass
class CleanText:
    text: str
    notes: list[TextNote] = field(default_factory=list)

    @property
    def has_letters(self) -> bool:
        return any(ch.isalpha() for ch in self.text)


class _HtmlText(HTMLParser):
    """Block-aware HTML to text that drops quoted replies and non-content elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._stack: list[tuple[str, bool]] = []  # open elements: tag, does it start a skipped region?
        self.dropped_quote = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in _VOID:
            return
        values = {name: (value or "").lower() for name, value in attrs}
        quoted = tag == "blockquote" or any(c in values.get("class", "") for c in _QUOTE_CLASSES)
        quoted = quoted or values.get("id", "") in _QUOTE_IDS
        skip = tag in _SKIP_TAGS or quoted
        self.dropped_quote = self.dropped_quote or (quoted and self._skip_depth == 0)
        self._stack.append((tag, skip))
        self._skip_depth += skip

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or all(open_tag != tag for open_tag, _ in self._stack):
            return  # a stray end tag closes nothing
        while self._stack:  # elements left unclosed inside this one close with it
            open_tag, skip = self._stack.pop()
            self._skip_depth -= skip
            if open_tag == tag:
                break
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth == 0:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.search(text[:5_000]))


def html_to_text(html: str) -> tuple[str, bool]:
    """Plain text of an HTML e-mail, and whether a quoted reply was dropped."""
    reader = _HtmlText()
    reader.feed(html)
    reader.close()
    return "".join(reader.parts), reader.dropped_quote


def _cut_quoted_history(text: str) -> tuple[str, bool]:
    lines = text.split("\n")
    kept = [line for line in lines if not line.lstrip().startswith(">")]
    removed = len(kept) != len(lines)
    text = "\n".join(kept)
    match = _QUOTE_HEADERS.search(text)
    if match and match.start() > 0 and text[: match.start()].strip():
        return text[: match.start()], True
    return text, removed


def _cut_signature(text: str) -> tuple[str, bool]:
    cut = False
    match = _SIGNATURE_DELIMITER.search(text)
    if match and text[: match.start()].strip():
        text, cut = text[: match.start()], True
    stripped = _MOBILE_FOOTERS.sub("", text)
    return stripped, cut or stripped != text


def _tidy(text: str) -> str:
    lines = [_INLINE_SPACE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def clean_ticket_text(text: str, *, html: bool | None = None, subject: str | None = None) -> CleanText:
    """The customer's own words in this message, subject first, at most ``MAX_ANALYSED_CHARS``."""
    notes: list[TextNote] = []
    if html or (html is None and looks_like_html(text)):
        text, dropped = html_to_text(text)
        notes.append(TextNote(code="html_stripped", detail="HTML tags were removed"))
        if dropped:
            notes.append(
                TextNote(code="quoted_history_removed", detail="a quoted earlier message was left out")
            )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, quoted = _cut_quoted_history(text)
    if quoted and not any(n.code == "quoted_history_removed" for n in notes):
        notes.append(TextNote(code="quoted_history_removed", detail="a quoted earlier message was left out"))
    text, signed = _cut_signature(text)
    if signed:
        notes.append(TextNote(code="signature_removed", detail="a signature or mobile footer was left out"))
    body = _tidy(text)
    title = _tidy(subject or "")
    combined = f"{title}\n\n{body}" if title and body else title or body
    if len(combined) > MAX_ANALYSED_CHARS:
        notes.append(
            TextNote(
                code="truncated",
                detail=f"only the first {MAX_ANALYSED_CHARS:,} of {len(combined):,} characters were analysed",
            )
        )
        combined = combined[:MAX_ANALYSED_CHARS]
    cleaned = CleanText(combined, notes)
    if not combined:
        notes.append(TextNote(code="empty", detail="there is no text left to analyse"))
    elif not cleaned.has_letters:
        notes.append(
            TextNote(code="no_letters", detail="the text has no words (only emoji, digits or symbols)")
        )
    return cleaned
