"""The customer's and the agents' own names, found case- and accent-insensitively on word boundaries.

Names come from the ticket's fields, so they are known per ticket: each list is parsed into
variants (full name, first name, surname with its particles, hyphen parts), and the text's words
are looked up in a dictionary of them, with no regex to compile per ticket. Greek parts match any
nominal ending and their Latin transliteration (``greek``). A single part that is also a common word
("Will", "May", "Ben") is redacted only where it reads as a name (capitalised, and not just the first
word of a sentence unless a comma or the end of a line follows it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from training.redact.fold import Folded, fold
from training.redact.greek import GREEK_ENDINGS, LATIN_ENDINGS, is_greek, split_ending, transliterate
from training.redact.spans import Span

_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
_GAP = re.compile(r"[\s\-‐‑'.,]{1,3}")
_HONORIFIC_WORDS = (
    "mr mrs ms miss mx dr prof sir dhr mevr mw herr frau κ κα κοσ κυρια κυριοσ mme mlle m sr sra srta"
)
_HONORIFICS = frozenset(_HONORIFIC_WORDS.split())
_PARTICLE_WORDS = "van der den de het ter ten te von zu vom zum la le du di da del della dos das do y af op t"
_PARTICLES = frozenset(_PARTICLE_WORDS.split())
MIN_PART = 2


@dataclass(frozen=True)
class Part:
    stem: str
    endings: frozenset[str] | None = None
    """None: the exact word (a Latin-script word may take a possessive s, kept outside the span)."""

    def end_in(self, token: str, last: bool) -> int | None:
        """Characters of ``token`` that are the name, or None when it is not this part."""
        if self.endings is None:
            if token == self.stem:
                return len(token)
            if last and token == self.stem + "s" and not is_greek(token):
                return len(self.stem)
            return None
        if token.startswith(self.stem) and (token == self.stem or token[len(self.stem) :] in self.endings):
            return len(token)
        return None


@dataclass(frozen=True)
class Variant:
    parts: tuple[Part, ...]
    kind: str
    source: str
    """The name's own folded words, e.g. "ελπιδα" for a part that also matches "ελπίδες"."""


def _parts(tokens: list[str]) -> list[tuple[Part, ...]]:
    """The tokens as written, and for Greek tokens the inflected and transliterated forms."""
    if not any(is_greek(t) for t in tokens):
        return [tuple(Part(t) for t in tokens)]
    greek, latin = [], []
    for token in tokens:
        split = split_ending(token, GREEK_ENDINGS) if is_greek(token) else None
        if split is None:
            greek.append(Part(token))
            latin.append(Part(transliterate(token)))
        else:
            greek.append(Part(split[0], frozenset(GREEK_ENDINGS)))
            latin.append(Part(transliterate(split[0]), frozenset(LATIN_ENDINGS)))
    return [tuple(greek), tuple(latin)]


def _words(name: str) -> list[list[str]]:
    """Folded words of a name field as letter tokens; honorifics dropped, "Last, First" turned around."""
    if "@" in name:  # an e-mail address in a name field is not a name
        return []
    if name.count(",") == 1:
        last, first = name.split(",")
        name = f"{first} {last}"
    words = [_LETTERS.findall(fold(word)) for word in name.split()]
    words = [w for w in words if w]
    while len(words) > 1 and "".join(words[0]) in _HONORIFICS:
        words = words[1:]
    return words


def _name_pieces(name: str, first_kind: str, name_kind: str) -> Iterable[tuple[list[str], str]]:
    words = _words(name)
    if not words:
        return
    flat = [t for w in words for t in w]
    yield flat, name_kind if len(words) > 1 else first_kind
    yield from ((w, first_kind) for w in _hyphen_parts(words[0]))
    if len(words) == 1:
        return
    k = len(words) - 1
    while k > 1 and "".join(words[k - 1]) in _PARTICLES:
        k -= 1
    yield [t for w in words[k:] for t in w], name_kind
    yield from (
        (w, name_kind) for word in words[1:] if "".join(word) not in _PARTICLES for w in _hyphen_parts(word)
    )
    yield [*words[0], *(t for w in words[k:] for t in w)], name_kind
    yield [*(t for w in words[k:] for t in w), *words[0]], name_kind


def _hyphen_parts(word: list[str]) -> Iterable[list[str]]:
    yield word
    if len(word) > 1:
        yield from ([t] for t in word if len(t) >= MIN_PART and t not in _PARTICLES)


def build_variants(names: Iterable[str], agent_names: Iterable[str]) -> list[Variant]:
    """Customer variants before agent ones, longest first; each token sequence once (first kind wins)."""
    pieces = [p for n in names for p in _name_pieces(n, "first_name", "name")]
    pieces += [p for n in agent_names for p in _name_pieces(n, "agent_name", "agent_name")]
    seen: set[tuple[Part, ...]] = set()
    variants: list[Variant] = []
    for tokens, kind in pieces:
        if len(tokens) == 1 and (len(tokens[0]) < MIN_PART or tokens[0] in _PARTICLES):
            continue
        for parts in _parts(tokens):
            if parts not in seen:
                seen.add(parts)
                variants.append(Variant(parts, kind, " ".join(tokens)))
    variants.sort(key=lambda v: (-len(v.parts), -sum(len(p.stem) for p in v.parts)))
    return variants


class NameFinder:
    """Finds one ticket's names; build once per ticket (``Redactor`` caches them)."""

    def __init__(self, variants: list[Variant], ambiguous: frozenset[str]) -> None:
        self._ambiguous = ambiguous
        self._by_first: dict[str, list[Variant]] = {}
        for variant in variants:
            self._by_first.setdefault(variant.parts[0].stem, []).append(variant)
        self._needles = tuple(self._by_first)
        self._latin_stems = any(
            part.endings is not None and not is_greek(part.stem) for v in variants for part in v.parts
        )

    def find(self, scan: str) -> list[Span]:
        folded = Folded(scan)
        if not any(needle in folded.text for needle in self._needles):
            return []
        text = folded.text
        tokens = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        spans: list[Span] = []
        i = 0
        while i < len(tokens):
            found = self._match_at(text, tokens, i)
            if found is None:
                i += 1
                continue
            variant, end, count = found
            start, stop = folded.original_span(tokens[i][0], end)
            if not self._ambiguous_alone(variant, text[tokens[i][0] : tokens[i][1]]) or _reads_as_name(
                scan, start, stop
            ):
                spans.append(Span(start, stop, variant.kind))
                i += count
            else:
                i += 1
        return spans

    def _ambiguous_alone(self, variant: Variant, token: str) -> bool:
        return len(variant.parts) == 1 and (token in self._ambiguous or variant.source in self._ambiguous)

    def _keys(self, token: str) -> list[str]:
        keys = [token]
        if token.endswith("s"):
            keys.append(token[:-1])
        endings = GREEK_ENDINGS if is_greek(token) else LATIN_ENDINGS if self._latin_stems else ()
        keys += [token[: -len(e)] for e in endings if token.endswith(e) and len(token) > len(e)]
        return keys

    def _match_at(self, text: str, tokens: list[tuple[int, int]], i: int) -> tuple[Variant, int, int] | None:
        best: tuple[Variant, int, int] | None = None
        for key in self._keys(text[tokens[i][0] : tokens[i][1]]):
            for variant in self._by_first.get(key, ()):
                end = _variant_end(text, tokens, i, variant)
                if end is not None and (
                    best is None or (len(variant.parts), end) > (len(best[0].parts), best[1])
                ):
                    best = (variant, end, len(variant.parts))
                    break  # variants are sorted longest first
        return best


def _variant_end(text: str, tokens: list[tuple[int, int]], i: int, variant: Variant) -> int | None:
    """Where ``variant`` ends in the folded text when it starts at token ``i``."""
    if i + len(variant.parts) > len(tokens):
        return None
    end = None
    for offset, part in enumerate(variant.parts):
        start, stop = tokens[i + offset]
        if offset and not _GAP.fullmatch(text, tokens[i + offset - 1][1], start):
            return None
        length = part.end_in(text[start:stop], last=offset == len(variant.parts) - 1)
        if length is None:
            return None
        end = start + length
    return end


def _reads_as_name(original: str, start: int, end: int) -> bool:
    """Capitalised (not shouted); a sentence's first word only when a comma or a line end follows."""
    word = original[start:end]
    if not word[:1].isupper() or (len(word) > 1 and word.isupper()):
        return False
    before = original[:start].rstrip(" \t")
    if before and before[-1] not in '.!?…\n\r:;"“«(':
        return True
    after = original[end:].lstrip(" \t")
    return not after or after[0] in ",!\n\r"
