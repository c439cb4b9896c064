"""Phone numbers: cheap windows of digits first, then ``phonenumbers`` validates each plausible piece.

``PhoneNumberMatcher`` over a whole message costs about 0.2 ms per region, so it only ever sees short
windows, and only for regions where the digits could be a number at all: a national number must
start with the region's trunk prefix where that is ``0`` (NL/BE/DE/GB/FR) and have one of its lengths, which
keeps order numbers such as ``2026-1187`` out. Dates, time ranges, amounts and numbers right after
"#" are never phone numbers here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatcher

from training.redact.spans import MASK, Span

_WINDOW = re.compile(r"(?:(?<![\w+\-/.])|(?<=[0-9])(?=\+))(?:\+[ \t]?)?\(?[0-9][0-9 \t\u00a0()./\-]*[0-9]")
"""A window starts after a non-word character, or at a ``+`` glued to digits: "…4567+31 20…" holds two
numbers, and the second must be found in the same pass as the first."""
_SEVEN_DIGITS = re.compile(r"[0-9](?:[ \t\u00a0()./\-]{0,3}[0-9]){6}")
_CHUNK = re.compile(r"[^ \t\u00a0]+")
_NOT_PHONE = re.compile(
    r"(?<![0-9])(?:(?:19|20)[0-9]{2}-[0-9]{1,2}-[0-9]{1,2}"  # 2026-11-23
    r"|[0-9]{1,2}([./-])[0-9]{1,2}\1(?:19|20)[0-9]{2}"  # 23.11.2026, 23/11/2026
    r"|[0-2]?[0-9][.:h][0-5][0-9] ?[-–] ?[0-2]?[0-9][.:h][0-5][0-9]"  # 09.00-17.00
    r"|[0-2]?[0-9][:h][0-5][0-9](?::[0-5][0-9])?"  # 14:30, 14h30
    r"|[0-9]{1,4}\.[0-9]\.[0-9]{1,4}(?:\.[0-9]{1,4})?)(?![0-9])"  # versions 1.2.3, 2.4.1.7
)
_AMOUNT_BEFORE = re.compile(r"[€$£¥]\s?$")
_AMOUNT_AFTER = re.compile(
    r"^(?:[.,][0-9]{1,2}(?![0-9])|\s?(?:€|eur\b|euro|usd\b|gbp\b|chf\b|kr\b|,-)(?!\s?[0-9]))", re.I
)
_ORDER_BEFORE = re.compile(r"#\s?$")
"""Right after "#" a number is a reference; after words like "order" it may still be a phone number."""
_MIN_DIGITS, _MAX_DIGITS = 7, 17


@cache
def _region_shape(region: str) -> tuple[str | None, frozenset[int]]:
    """The trunk prefix and the national-number lengths of a region."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return None, frozenset()
    return metadata.national_prefix, frozenset(metadata.general_desc.possible_length or ())


class PhoneFinder:
    """Finds valid phone numbers for the given regions, and ``+``/``00`` numbers for any country."""

    def __init__(self, regions: tuple[str, ...]) -> None:
        self._regions = regions
        self._idd_region = next(
            (
                r
                for r in regions
                if (m := PhoneMetadata.metadata_for_region(r)) and m.international_prefix == "00"
            ),
            None,
        )

    def find(self, scan: str) -> list[Span]:
        if not _SEVEN_DIGITS.search(scan):
            return []
        cleaned = _NOT_PHONE.sub(lambda m: MASK * len(m.group()), scan)
        spans: list[Span] = []
        for window in _WINDOW.finditer(cleaned):
            if sum(c.isdigit() for c in window.group()) >= _MIN_DIGITS:
                spans.extend(self._in_window(cleaned, window.start(), window.end()))
        return [s for s in spans if not self._excluded(scan, s)]

    def _in_window(self, scan: str, start: int, end: int) -> Iterator[Span]:
        """The longest valid number from each chunk on, so "06 12345678 12" still yields the phone."""
        chunks = [(m.start(), m.end()) for m in _CHUNK.finditer(scan, start, end)]
        i = 0
        while i < len(chunks):
            found = self._longest_from(scan, chunks, i)
            if found is None:
                i += 1
                continue
            yield Span(found[0], found[1], "phone")
            while i < len(chunks) and chunks[i][0] < found[1]:
                i += 1

    def _longest_from(self, scan: str, chunks: list[tuple[int, int]], first: int) -> tuple[int, int] | None:
        start = chunks[first][0]
        ends: list[int] = []
        digits = 0
        opening = scan[start : chunks[first][1]]
        # GR/ES numbers have no trunk prefix; written in groups, they never open with 5+ digits,
        # while a list of numbers ("95028 2947 21732") does.
        single_chunk_only = opening[0] not in "0+(" and sum(c.isdigit() for c in opening) > 4
        for index in range(first, len(chunks)):
            chunk = scan[chunks[index][0] : chunks[index][1]]
            chunk_digits = sum(c.isdigit() for c in chunk)
            if digits >= _MIN_DIGITS and chunk_digits >= 3 and chunk[0] in "0+(":
                # "06-12345678 030 1234567": a new number may start here, so a number before it wins.
                found = self._longest_valid(scan, start, ends)
                if found is not None:
                    return found
            digits += chunk_digits
            if digits > _MAX_DIGITS:
                break
            if digits >= _MIN_DIGITS:
                ends.append(chunks[index][1])
            if single_chunk_only:
                break
        return self._longest_valid(scan, start, ends)

    def _longest_valid(self, scan: str, start: int, ends: list[int]) -> tuple[int, int] | None:
        for end in reversed(ends):
            piece = scan[start:end]
            for region in self._candidate_regions(piece):
                for match in PhoneNumberMatcher(piece, region, leniency=Leniency.VALID):
                    return start + match.start, start + match.end
        return None

    def _candidate_regions(self, piece: str) -> list[str]:
        digits = "".join(c for c in piece if c.isdigit())
        if piece.startswith("+"):
            return ["ZZ"] if 8 <= len(digits) <= 15 else []
        if digits.startswith("00"):
            return [self._idd_region] if self._idd_region and 10 <= len(digits) <= 17 else []
        regions = []
        for region in self._regions:
            prefix, lengths = _region_shape(region)
            with_prefix = (
                bool(prefix)
                and digits.startswith(prefix or "")
                and len(digits) - len(prefix or "") in lengths
            )
            # A trunk prefix "0" is always written in Europe; "1" (NANP) and others are often left out.
            without_prefix = prefix != "0" and len(digits) in lengths
            if with_prefix or without_prefix:
                regions.append(region)
        return regions

    @staticmethod
    def _excluded(scan: str, span: Span) -> bool:
        before = scan[max(0, span.start - 40) : span.start]
        after = scan[span.end : span.end + 6]
        return bool(
            _AMOUNT_BEFORE.search(before) or _AMOUNT_AFTER.match(after) or _ORDER_BEFORE.search(before)
        )
