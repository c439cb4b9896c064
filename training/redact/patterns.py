"""Structured identifiers that carry their own proof: e-mail addresses, IBANs, card numbers, IP addresses.

Each finder takes the scan text (see ``spans``) and returns non-overlapping spans. Candidates come
from one cheap regular expression; only candidates are validated (mod-97, Luhn, ``ipaddress``), so a
message without such identifiers costs a few regex scans.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache

from schwifty import IBAN, registry
from schwifty.exceptions import SchwiftyException

from training.redact.spans import Span

_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`|~-])[\w!#$%&'*+/=?^`|~-][\w.!#$%&'*+/=?^`|~-]*"
    r"@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.[^\W\d_]{2,}(?![\w-])"
)


def find_emails(scan: str) -> list[Span]:
    if "@" not in scan:
        return []
    return [Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(scan)]


# A country code and two check digits, then alphanumerics with optional single spaces or dashes;
# the country's IBAN length decides where the IBAN ends. 30 more characters reach the longest IBAN (34).
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ -]?[A-Za-z0-9]){8,30}")
_ALNUM = re.compile(r"[A-Za-z0-9]")


@cache
def _iban_length(country: str) -> int | None:
    try:
        return registry.get_iban_spec(country).iban_length
    except SchwiftyException:
        return None


def _iban_end(scan: str, m: re.Match[str]) -> int | None:
    """Where the IBAN starting at ``m`` ends, or None when the candidate is no valid IBAN."""
    length = _iban_length(m.group()[:2].upper())
    if length is None:
        return None
    end, taken = m.start(), 0
    while taken < length and end < m.end():
        if _ALNUM.match(scan, end):
            taken += 1
        end += 1
    if taken < length or _ALNUM.match(scan, end):  # too short, or glued to more letters/digits
        return None
    try:
        IBAN(re.sub(r"[^A-Za-z0-9]", "", scan[m.start() : end]), validate_bban=False)
    except SchwiftyException:
        return None
    return end


def find_ibans(scan: str) -> list[Span]:
    """Each candidate is tried where it starts, and the search goes on right after it: a candidate
    that swallows the next group ("AB12 NL91ABNA…", two IBANs in a row) must not hide that group."""
    spans: list[Span] = []
    position = 0
    while m := _IBAN_START.search(scan, position):
        end = _iban_end(scan, m)
        if end is None:
            position = m.start() + 1
        else:
            spans.append(Span(m.start(), end, "iban"))
            position = end
    return spans


# Groups of digits separated by single spaces or dashes, not part of a word, an amount or a longer number.
_DIGIT_RUN = re.compile(r"(?<![\w.,])[0-9]+(?:[ -][0-9]+)*(?![\w]|[.,][0-9])")
_ENOUGH_DIGITS = re.compile(r"[0-9](?:[ -]?[0-9]){12}")
_GROUP = re.compile(r"[0-9]+")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_ends(sizes: list[int], seps: list[str], first: int) -> list[int]:
    """Group ends (exclusive) after ``first`` that form a card layout: 13-19 digits as one group,
    as groups of four (the last may be shorter), or as 4-6-4/4-6-5; one separator throughout."""
    if 13 <= sizes[first] <= 19:
        return [first + 1]
    if sizes[first] != 4:
        return []
    amex = first + 2 < len(sizes) and sizes[first + 1] == 6 and sizes[first + 2] in (4, 5)
    if amex and seps[first] == seps[first + 1]:
        return [first + 3]
    ends, total, index = [], 4, first + 1
    while (
        index < len(sizes)
        and seps[index - 1] == seps[first]
        and sizes[index] <= 4
        and total + sizes[index] <= 19
    ):
        total += sizes[index]
        if total >= 13:
            ends.append(index + 1)
        if sizes[index] < 4:
            break
        index += 1
    return ends


def find_cards(scan: str) -> list[Span]:
    """13-19 digits in a card's layout that pass Luhn; a number glued on with a space (a year) is left out."""
    if not _ENOUGH_DIGITS.search(scan):
        return []
    spans: list[Span] = []
    for run in _DIGIT_RUN.finditer(scan):
        groups = [(g.start(), g.end()) for g in _GROUP.finditer(scan, run.start(), run.end())]
        sizes = [end - start for start, end in groups]
        seps = [scan[groups[i][1]] for i in range(len(groups) - 1)]
        i = 0
        while i < len(groups):
            end = next(
                (
                    e
                    for e in reversed(_card_ends(sizes, seps, i))
                    if luhn_ok("".join(scan[s:t] for s, t in groups[i:e]))
                ),
                None,
            )
            if end is None:
                i += 1
                continue
            spans.append(Span(groups[i][0], groups[end - 1][1], "card"))
            i = end
    return spans


_IPV4 = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w]|\.[0-9])")
_IPV6 = re.compile(
    r"(?<![\w:.])(?=[0-9A-Fa-f]*:[0-9A-Fa-f]*:)"
    r"(?:[0-9A-Fa-f:]{2,29}(?<=:)(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f:]{2,39})(?![\w:]|\.[0-9])"
)
_IPV4_HINT = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]")
_VERSION_CUE = re.compile(
    r"(?:\bv|\bversion|\bversie|\bfirmware|\bfw|\bbuild|\brelease|\bέκδοση|\bεκδοση|\bupdate)\s*[:.]?\s*$",
    re.IGNORECASE,
)
_HEX = re.compile(r"[0-9A-Fa-f]")


def find_ips(scan: str) -> list[Span]:
    """IPv4 and IPv6 addresses ``ipaddress`` accepts; 4 numbers after "version"/"firmware" are kept."""
    spans: list[Span] = []
    if _IPV4_HINT.search(scan):
        for m in _IPV4.finditer(scan):
            if _VERSION_CUE.search(scan, max(0, m.start() - 20), m.start()):
                continue
            try:
                ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            spans.append(Span(m.start(), m.end(), "ip"))
    if scan.count(":") >= 2:
        for m in _IPV6.finditer(scan):
            candidate = m.group()
            if candidate.endswith(":") and not candidate.endswith("::"):  # "fe80::1: down"
                candidate = candidate[:-1]
            if len(_HEX.findall(candidate)) < 4:  # "a::b" in code, "::" alone
                continue
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            spans.append(Span(m.start(), m.start() + len(candidate), "ip"))
    return spans
