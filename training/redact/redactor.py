"""``Redactor``: every detector over one message, placeholders in, repeated until nothing is left.

Detectors run in a fixed order on a masked copy of the text (``spans``): e-mail addresses first (they
contain names and digits), then the checksummed IBANs and card numbers (before phone numbers eat
their digits), IP addresses, the tenant's custom rules, phone numbers, postal codes, and names last.
Placeholders already in the text are masked, so they are never changed. A message is redacted again
until a pass finds nothing, which makes ``redact`` idempotent by construction: its output is always
a text on which a pass finds nothing. A second pass is only needed where a replacement frees a
neighbour a detector refused while it was glued on ("PLZ 10115+44 20 7946 0958"); ``passes`` says
how many were needed, so tests can hold the finders to that.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from suggest.errors import InputError
from training.redact.ambiguous import AMBIGUOUS_NAMES
from training.redact.fold import fold
from training.redact.names import NameFinder, build_variants
from training.redact.patterns import find_cards, find_emails, find_ibans, find_ips
from training.redact.phones import PhoneFinder
from training.redact.postcodes import PostcodeFinder
from training.redact.rules import PLACEHOLDERS, RedactionRules, placeholder
from training.redact.spans import Span, mask, scan_text, usable

Detector = Callable[[str], list[Span]]
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: Counter[str] = field(default_factory=Counter)
    """Type -> number of spans replaced in this text."""
    passes: int = 0
    """Passes that replaced something: 0 for a clean text, 1 when one pass found everything."""


class Redactor:
    """Compiles a tenant's rules once; ``redact`` is then safe and cheap to call millions of times."""

    def __init__(self, rules: RedactionRules | None = None) -> None:
        self.rules = rules if rules is not None else RedactionRules()
        placeholders = [*PLACEHOLDERS.values(), *(placeholder(name) for name in self.rules.custom)]
        self._protected = re.compile("|".join(re.escape(p) for p in placeholders))
        custom = [_custom_detector(name, re.compile(pattern)) for name, pattern in self.rules.custom.items()]
        # (detector, needs a digit): a message without digits skips the digit-based detectors.
        self._detectors: list[tuple[Detector, bool]] = [
            (find_emails, False),
            (find_ibans, True),
            (find_cards, True),
            (find_ips, False),
            *((detect, False) for detect in custom),
            (PhoneFinder(self.rules.phone_regions).find, True),
            (PostcodeFinder(self.rules.postal_countries).find, True),
        ]
        self._ambiguous = AMBIGUOUS_NAMES | {fold(name) for name in self.rules.ambiguous_names}
        self._name_finder = lru_cache(maxsize=256)(self._build_name_finder)

    def redact(self, text: str, *, names: Sequence[str] = (), agent_names: Sequence[str] = ()) -> Redacted:
        """``text`` with every span found replaced by its placeholder, and the counts per type."""
        _check(text, names, agent_names)
        detectors = self._detectors
        finder = self._name_finder(tuple(names), tuple(agent_names))
        if finder is not None:
            detectors = [*detectors, (finder.find, False)]
        counts: Counter[str] = Counter()
        passes = 0
        while spans := self._one_pass(text, detectors):
            counts.update(span.kind for span in spans)
            text = _replace(text, spans)
            passes += 1
        return Redacted(text, counts, passes)

    def _one_pass(self, text: str, detectors: list[tuple[Detector, bool]]) -> list[Span]:
        scan = scan_text(text)
        if "[" in scan:
            scan = mask(scan, (m.span() for m in self._protected.finditer(scan)))
        digits = _DIGIT.search(scan) is not None
        accepted: list[Span] = []
        for detect, needs_digit in detectors:
            if needs_digit and not digits:
                continue
            found = usable(scan, detect(scan))
            if found:
                accepted += found
                scan = mask(scan, ((s.start, s.end) for s in found))
        return sorted(accepted)

    def _build_name_finder(self, names: tuple[str, ...], agent_names: tuple[str, ...]) -> NameFinder | None:
        variants = build_variants(names, agent_names)
        return NameFinder(variants, self._ambiguous) if variants else None


def _custom_detector(name: str, pattern: re.Pattern[str]) -> Detector:
    def find(scan: str) -> list[Span]:
        return [Span(m.start(), m.end(), name) for m in pattern.finditer(scan)]

    return find


def _replace(text: str, spans: list[Span]) -> str:
    parts: list[str] = []
    last = 0
    for span in spans:
        parts += (text[last : span.start], placeholder(span.kind))
        last = span.end
    parts.append(text[last:])
    return "".join(parts)


def _check(text: object, names: object, agent_names: object) -> None:
    if not isinstance(text, str):
        raise InputError(
            f"redact expected the message text as a str, found {type(text).__name__}; pass the text"
        )
    for label, value in (("names", names), ("agent_names", agent_names)):
        if isinstance(value, str):
            raise InputError(f"{label} expected a sequence of names, found one str; pass {label}=(name,)")
        if not all(isinstance(item, str) for item in value):  # type: ignore[attr-defined]
            raise InputError(f"{label} expected names as str; convert each name with str() or leave it out")
