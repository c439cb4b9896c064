"""Heading-aware passages: each passage stays under one heading and under MAX_PASSAGE_CHARS.

E5 reads at most 512 tokens; about 1,000 characters keeps a passage well inside that and focused
on one topic, so a match points at the part of an article that answers the ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.content import Section

MAX_PASSAGE_CHARS = 1_000
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True)
class Passage:
    ordinal: int
    heading: str
    """The heading path, joined with " › "; empty for text before the first heading."""
    text: str

    def embedding_text(self, title: str) -> str:
        """What the model reads: the article title and heading give the passage its context."""
        return "\n".join(part for part in (title, self.heading, self.text) if part)


def _pieces(paragraph: str) -> list[str]:
    """Split one over-long paragraph at sentence ends, then hard at the limit."""
    if len(paragraph) <= MAX_PASSAGE_CHARS:
        return [paragraph]
    out: list[str] = []
    current = ""
    for whole in _SENTENCE_END.split(paragraph):
        sentence = whole
        while len(sentence) > MAX_PASSAGE_CHARS:
            out.append(sentence[:MAX_PASSAGE_CHARS])
            sentence = sentence[MAX_PASSAGE_CHARS:]
        if current and len(current) + 1 + len(sentence) > MAX_PASSAGE_CHARS:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


def chunk(sections: list[Section]) -> list[Passage]:
    """Passages in reading order. Paragraphs under one heading are packed together up to the limit."""
    passages: list[Passage] = []
    for section in sections:
        heading = " › ".join(section.headings)
        current = ""
        for paragraph in section.paragraphs:
            for piece in _pieces(paragraph):
                if current and len(current) + 1 + len(piece) > MAX_PASSAGE_CHARS:
                    passages.append(Passage(len(passages), heading, current))
                    current = piece
                else:
                    current = f"{current}\n{piece}" if current else piece
        if current:
            passages.append(Passage(len(passages), heading, current))
    return passages
