"""Several requests in one message: find the request-sized parts of a ticket.

A whole-ticket intent distribution cannot tell "unsure between two intents" from "asks two
things", so a ticket that is laid out like several requests (list items, several questions, or
words such as "three things") is cut into parts, and each part is classified on its own
(``Pipeline``). Two or more distinct confident intents make the ``multiple_intents`` trigger.
Tickets without that layout are never split, which keeps the usual ticket at one embedding.
Questions and announcing words only count when the whole ticket is not clearly one intent: an
e-mail often asks two questions about one thing, or "also" adds a detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from suggest.analysis.matching import fold

MIN_PART_WORDS = 3
"""Shorter parts ("Hi Anna,", "Thanks, Laura") carry no request of their own."""
ONE_INTENT = 0.9
"""Whole-ticket confidence at which several questions are taken as one request."""
_LIST_ITEM = re.compile(
    r"(?:^|(?<=[:;,]))[ \t]*\d{1,2}[.)]\s+|(?<=\s)\d{1,2}\)\s+|^[ \t]*[-*•]\s+", re.MULTILINE
)
"""Numbered items: "1." or "1)" at a line start or after ":", ";" or ",", and "2)" anywhere; not a
number ending a sentence ("The bill is 45. I paid 30."). Bullets only at a line start."""
_SENTENCE_END = re.compile(r"(?<=[.?!;:\u037e])\s+|\n+")
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_CLAUSE = re.compile(r",\s+")


def looks_like_several(text: str, announcer: re.Pattern[str] | None, *, confidence: float = 0.0) -> bool:
    """Laid out like several requests: two list items; or, when the whole ticket's intent
    ``confidence`` is below ``ONE_INTENT``, two questions or an announcing phrase."""
    if len(_LIST_ITEM.findall(text)) >= 2:
        return True
    if confidence >= ONE_INTENT:
        return False
    marks = text.count("?") + text.count("\u037e")
    if _GREEK.search(text):  # Greek writes its question mark as ";"
        marks += text.count(";")
    questions = marks >= 2
    return questions or (announcer is not None and announcer.search(fold(text)) is not None)


def request_parts(text: str) -> list[str]:
    """The ticket cut at list items, sentence ends and commas ("a few things: X, Y, and Z")."""
    pieces = (p for chunk in _LIST_ITEM.split(text) for p in _SENTENCE_END.split(chunk))
    return _substantial(clause for piece in pieces for clause in _CLAUSE.split(piece))


def _substantial(pieces: Iterable[str]) -> list[str]:
    stripped = (piece.strip(" \t\n,;:-") for piece in pieces)
    return [part for part in stripped if len(part.split()) >= MIN_PART_WORDS]
