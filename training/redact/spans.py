"""Spans found by the detectors, and the masked copy of the text that later detectors scan.

Every detector scans the same *scan text*: the message with existing placeholders and the spans
accepted so far overwritten by :data:`MASK`. Masking keeps offsets equal to the original text's, and
since no pattern matches ``MASK``, a later detector can neither overlap an earlier span nor join the
text on both sides of it into a new match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

MASK = "\x00"
"""Overwrites protected characters in the scan text; a real NUL in a message is scanned as a space."""


class Span(NamedTuple):
    start: int
    end: int
    kind: str


def scan_text(text: str) -> str:
    """The text as detectors see it before anything is masked."""
    return text.replace(MASK, " ") if MASK in text else text


def mask(scan: str, spans: Iterable[tuple[int, int]]) -> str:
    """``scan`` with each span overwritten by :data:`MASK` (same length, same offsets)."""
    parts: list[str] = []
    last = 0
    for start, end in sorted(spans):
        parts.append(scan[last:start])
        parts.append(MASK * (end - start))
        last = end
    parts.append(scan[last:])
    return "".join(parts)


def usable(scan: str, spans: Iterable[Span]) -> list[Span]:
    """Non-empty spans that touch no masked character, in order, without overlaps (first one wins)."""
    kept: list[Span] = []
    last_end = -1
    for span in sorted(spans):
        if span.start >= span.end or span.start < last_end or MASK in scan[span.start : span.end]:
            continue
        kept.append(span)
        last_end = span.end
    return kept
