"""Postal codes: unambiguous formats anywhere, bare numbers only where the text says it is an address.

A Dutch ``1234 AB`` or a British ``SW1A 1AA`` is a postcode wherever it appears (in upper case).
A bare ``10115`` could be an order number, a year or an amount, so 4- and 5-digit formats are only
matched after a cue word ("postcode", "PLZ", "Τ.Κ.", "code postal", ...) or in an address:
after "street number," or on the line after one, followed by a capitalised city name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from training.redact.spans import Span


@dataclass(frozen=True)
class PostalFormat:
    code: str
    """The code alone, in any case; used after a cue or in an address."""
    anywhere: str | None = None
    """An upper-case form distinctive enough to match without context."""


_UNIT_WORDS = (
    "AM PM KG KM MB GB KB TB MW KW GW CM MM ML CL DL MG HZ PS PK AD BC CE US UK EU OK XL TV PC EN OF OR IN AT"
)
_UNITS = "|".join([*_UNIT_WORDS.split(), "TO", "IS", "IT"])
"""Two capitals after four digits that are a unit or a word, not a Dutch postcode ("1500 KM", "2026 EN")."""
_FOUR = r"[1-9][0-9]{3}"
FORMATS: dict[str, PostalFormat] = {
    "NL": PostalFormat(
        r"[1-9][0-9]{3} ?(?![Ss][AaDdSs])[A-Za-z]{2}", rf"[1-9][0-9]{{3}} ?(?!SA|SD|SS|{_UNITS})[A-Z]{{2}}"
    ),
    "GB": PostalFormat(
        r"(?:[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}|[Gg][Ii][Rr] ?0[Aa][Aa])",
        r"(?:[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9](?!GB|MB|KB|TB)[A-Z]{2}|GIR ?0AA)",
    ),
    "PT": PostalFormat(r"[1-9][0-9]{3}-[0-9]{3}"),
    "US": PostalFormat(r"[0-9]{5}(?:-[0-9]{4})?"),
    "PL": PostalFormat(r"[0-9]{2}-[0-9]{3}"),
    "GR": PostalFormat(r"[1-8][0-9]{2} ?[0-9]{2}"),
    "SE": PostalFormat(r"[1-9][0-9]{2} ?[0-9]{2}"),
    "DE": PostalFormat(r"[0-9]{5}"),
    "FR": PostalFormat(r"[0-9]{5}"),
    "IT": PostalFormat(r"[0-9]{5}"),
    "FI": PostalFormat(r"[0-9]{5}"),
    "ES": PostalFormat(r"(?:0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}"),
    "BE": PostalFormat(_FOUR),
    "AT": PostalFormat(_FOUR),
    "CH": PostalFormat(_FOUR),
    "LU": PostalFormat(_FOUR),
    "DK": PostalFormat(_FOUR),
    "NO": PostalFormat(r"[0-9]{4}"),
}
"""In priority order: longer and lettered formats first, so "1234 AB" is not read as a 4-digit code."""
SUPPORTED_COUNTRIES = frozenset(FORMATS)

_CUES = (
    r"post\s?code|postal\s+code|zip(?:\s?code)?|plz|postleitzahl|code\s+postal|c[óo]digo\s+postal|c\.\s?p\."
    r"|τ\.\s?κ\.?|τκ|ταχ(?:υδρομικ[οό]ς|\.)\s?κ[ωώ]δ(?:ικας|\.)?|postnummer|postinumero|npa"
)
_AFTER_CUE = r"[\s:.#=-]*(?:(?:is|ist|es|est|είναι)\s*:?\s*)?(?:[a-z]{1,2}-\s?)?"
_CUE_NEEDLES = ("post", "zip", "plz", "τ.κ", "τκ", "ταχ", "digo", "c.p", "npa")
"""Cheap substring checks (on the lower-cased text) before the cue pattern runs."""
_NOT_CITY = {
    "euro",
    "euros",
    "eur",
    "usd",
    "gbp",
    "dollar",
    "dollars",
    "pond",
    "pounds",
    "kwh",
    "stuks",
    "stück",
}
_HOUSE_NUMBER = re.compile(r"(?<![\w.,])[0-9]{1,4}(?: ?[a-zA-Z])?(?![\w.,]|[.,][0-9])")


class PostcodeFinder:
    def __init__(self, countries: tuple[str, ...]) -> None:
        chosen = [fmt for code, fmt in FORMATS.items() if code in countries]
        codes = "|".join(dict.fromkeys(f"(?:{fmt.code})" for fmt in chosen))
        anywhere = "|".join(f"(?:{fmt.anywhere})" for fmt in chosen if fmt.anywhere)
        self._anywhere = re.compile(rf"(?<![\w-])(?:{anywhere})(?![\w-])") if anywhere else None
        self._cued = (
            re.compile(rf"(?<!\w)(?:{_CUES})(?![^\W\d_]){_AFTER_CUE}(?P<code>{codes})(?![\w-])", re.I)
            if codes
            else None
        )
        # Starts with a literal comma or line break, which the regex engine can scan for quickly.
        self._address = (
            re.compile(
                rf"[,\n][ \t]*(?:[A-Za-z]{{1,2}}-)?(?P<code>{codes})(?![\w-])[ \t]+(?P<city>[^\W\d_]+)"
            )
            if codes
            else None
        )

    def find(self, scan: str) -> list[Span]:
        spans: list[Span] = []
        if self._anywhere is not None:
            spans += [Span(m.start(), m.end(), "postcode") for m in self._anywhere.finditer(scan)]
        lowered = scan.lower()
        if self._cued is not None and any(needle in lowered for needle in _CUE_NEEDLES):
            spans += [Span(m.start("code"), m.end("code"), "postcode") for m in self._cued.finditer(scan)]
        if self._address is not None and ("," in scan or "\n" in scan):
            for m in self._address.finditer(scan):
                if self._looks_like_address(scan, m):
                    spans.append(Span(m.start("code"), m.end("code"), "postcode"))
        return _first_of_overlaps(spans)

    @staticmethod
    def _looks_like_address(scan: str, m: re.Match[str]) -> bool:
        """A capitalised city after the code, and a house number just before the comma or line break."""
        city = m.group("city")
        if not city[0].isupper() or city.casefold() in _NOT_CITY:
            return False
        separator = m.start()
        line_start = scan.rfind("\n", 0, separator) + 1
        before = scan[max(line_start, separator - 60) : separator]
        return bool(_HOUSE_NUMBER.search(before)) and any(c.isalpha() for c in before)


def _first_of_overlaps(spans: list[Span]) -> list[Span]:
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept
