"""Greek names change their ending with the case (Μαρία, της Μαρίας; Γιώργος, τον Γιώργο, Γιώργο μου),
and customers often write them in Latin letters (Giorgos). A Greek name part is therefore matched
by its stem plus any common nominal ending, in Greek letters and in one standard transliteration.

Everything here works on folded text (lower case, no accents, final sigma as σ).
"""

from __future__ import annotations

GREEK_ENDINGS = ("ουσ", "οσ", "ου", "ασ", "ησ", "ωσ", "εσ", "ισ", "οι", "ων", "α", "η", "ο", "ε", "ω", "ι")
"""Longest first, so the stem is as short as the grammar allows."""
LATIN_ENDINGS = ("ous", "os", "ou", "as", "is", "es", "oi", "on", "a", "i", "o", "e")
MIN_STEM = 3
"""Shorter stems (Ζωή, Νίκη's "νικ" is the limit) would match too many unrelated words."""

_DIGRAPHS = {
    "ου": "ou",
    "αι": "ai",
    "ει": "ei",
    "οι": "oi",
    "αυ": "av",
    "ευ": "ev",
    "γγ": "ng",
    "μπ": "mp",
    "ντ": "nt",
}
_LATIN = "a v g d e z i th i k l m n x o p r s t y f ch ps o"
_LETTERS = dict(zip("αβγδεζηθικλμνξοπρστυφχψω", _LATIN.split(), strict=True))


def is_greek(token: str) -> bool:
    return any("\u0370" <= c <= "\u03ff" for c in token)


def split_ending(token: str, endings: tuple[str, ...]) -> tuple[str, str] | None:
    """``(stem, ending)`` when the token has a known ending and a long enough stem."""
    for ending in endings:
        if token.endswith(ending) and len(token) - len(ending) >= MIN_STEM:
            return token[: -len(ending)], ending
    return None


def transliterate(token: str) -> str:
    """The usual Latin spelling of folded Greek ("παπαδοπουλου" -> "papadopoulou")."""
    out: list[str] = []
    i = 0
    while i < len(token):
        pair = _DIGRAPHS.get(token[i : i + 2])
        if pair is not None:
            out.append(pair)
            i += 2
            continue
        out.append(_LETTERS.get(token[i], token[i]))
        i += 1
    return "".join(out)
