"""One redacted agent reply → a canned-response template.

Redaction left placeholders; the ones a template variable can fill become that variable
(``[FIRST_NAME]`` → ``{{ customer_first_name }}``), and so do the ticket's own number and order
numbers. Dates, times and the other placeholders (``[EMAIL]``, ``[PHONE]``, …) stay as visible
markers: they belong to one ticket and no variable fills them, so an admin must resolve them before
a draft can be accepted. The agent's literal text can hold ``{{`` or ``{%``; every ``{`` that could
open a Jinja tag is printed as a constant, so the result always passes ``kb.templates`` validation
and renders the agent's text unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from kb.templates import template_problems
from kb.vocabulary import VARIABLES
from training.mining.dates import DATE, TIME, mark_dates
from training.redact.fold import Folded, fold
from training.tenant_config import load_tenant_yaml, tenant_file

PLACEHOLDER_VARIABLES = {
    "[FIRST_NAME]": "customer_first_name",
    "[NAME]": "customer_name",
    "[AGENT_NAME]": "agent_name",
    "[ORDER_NUMBER]": "order_number",
    "[TICKET_NUMBER]": "ticket_number",
}
"""Redaction placeholders a variable can fill (the last two come from tenants' custom rules)."""
MARKER = re.compile(r"\[[A-Z][A-Z0-9_]{0,39}\]")
EXPRESSION = re.compile(r"\{\{.*?\}\}")
"""A ``{{ … }}`` expression in a template body: a variable, or a literal brace printed as a constant."""
_SENTINELS = {name: chr(0xE010 + n) for n, name in enumerate(sorted(VARIABLES))}
"""Each variable is one private-use character until the literal text around it is escaped: no pattern
for numbers or cue words can match inside it."""
_NAMES = {char: name for name, char in _SENTINELS.items()}
_SENTINEL = re.compile(f"[{min(_NAMES)}-{max(_NAMES)}]")
_PRIVATE = re.compile("[\ue000-\ue0ff]")
_PLACEHOLDER_RUN = re.compile(r"(\[(?:FIRST_NAME|NAME|AGENT_NAME)\])(?:[ \t]+\1)+")
"""An agent's first and last name redacted apart ("[AGENT_NAME] [AGENT_NAME]") is one name."""
_JINJA_OPEN = re.compile(f"\\{{(?=[{{%#{min(_NAMES)}-{max(_NAMES)}])")
_HONORIFIC_NAME = re.compile(
    r"\b(?:mr|mrs|ms|miss|dr|dhr|mevr|mevrouw|meneer|herr|frau|κ|κα|κυρία|κύριε)\.?\s+\[NAME\]", re.IGNORECASE
)
_NUMBER = r"#?(?=[a-z0-9-]*[0-9]{3})[a-z0-9][a-z0-9-]*[a-z0-9]"
"""Over folded (lower-case) text: at least three digits, letters and dashes allowed."""


def _words(words: str) -> str:
    """An alternation of cue words as they look folded (``αιτήματος`` → ``αιτηματοσ``), longest first."""
    folded = sorted({fold(w).replace("_", " ") for w in words.split()}, key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in folded)


ORDER_CUES = (
    "order ordernummer bestelling bestelnummer bestellung bestellnummer auftrag auftragsnummer παραγγελία"
)
TICKET_CUES = (
    "ticket ticketnummer ticketnr case request melding aanvraag anfrage vorgang vorgangsnummer αίτημα"
)
_CUE_TAIL = rf"(?:\s*(?:{_words('number nummer nr. nr no. no # : αριθμός αρ. σας σου')}))*\s*"
_ORDER_CUES = re.compile(
    rf"(?<!\w)(?:{_words(ORDER_CUES + ' παραγγελίας')}){_CUE_TAIL}(?P<number>{_NUMBER})(?!\w)"
)
_TICKET_CUES = re.compile(
    rf"(?<!\w)(?:{_words(TICKET_CUES + ' αιτήματος')}){_CUE_TAIL}(?P<number>#?[0-9]{{3,}})(?![\w-])"
)
_HASH_NUMBER = re.compile(r"(?<![\w#&])#(?P<number>[0-9]{3,})(?![\w-])")
DEFAULT_ORDER_PATTERNS = (r"\b[A-Z]{2,4}-[0-9]{4}-[0-9]{3,8}\b",)
"""``HP-2026-1187``: letters, a year, a sequence."""


class MiningRules(BaseModel):
    """A tenant's own order-number formats (``mining.yaml`` beside ``redaction.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_patterns: tuple[str, ...] = ()
    """Regular expressions for order numbers, tried before the built-in ones; a group named
    ``number`` limits the replacement to that part of the match."""

    @field_validator("order_patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as err:
                raise ValueError(
                    f"order pattern {pattern!r} does not compile ({err}); fix the regex"
                ) from err
            if compiled.fullmatch(""):
                raise ValueError(f"order pattern {pattern!r} matches the empty text; make it match a number")
        return patterns


MINING_FILE = "mining.yaml"


def mining_file(data_dir: Path, tenant: str) -> Path:
    return tenant_file(data_dir, tenant, MINING_FILE)


def load_mining_rules(data_dir: Path, tenant: str) -> MiningRules:
    """The tenant's ``mining.yaml``, or the defaults when it has none."""
    rules = load_tenant_yaml(data_dir, tenant, MINING_FILE, MiningRules, what="mining rules")
    return MiningRules() if rules is None else rules


@dataclass(frozen=True)
class Template:
    body: str
    variables: tuple[str, ...]
    markers: tuple[str, ...]
    """Visible markers left in the body, sorted: ``[DATE]``, ``[EMAIL]``, ..."""


def _var(name: str) -> str:
    return _SENTINELS[name]


def _replace(text: str, spans: Iterable[tuple[int, int]], replacement: str) -> str:
    """Replace non-overlapping spans (the first of overlapping ones wins)."""
    parts: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start >= last:
            parts += [text[last:start], replacement]
            last = end
    return "".join(parts) + text[last:]


def _group_spans(pattern: re.Pattern[str], text: str, folded: Folded | None = None) -> list[tuple[int, int]]:
    """Spans of the ``number`` group (or the whole match), in ``text``'s offsets."""
    source = folded.text if folded else text
    spans = []
    for match in pattern.finditer(source):
        group = "number" if "number" in pattern.groupindex else 0
        start, end = match.span(group)
        if source[start] == "#":  # "#48213" keeps its "#"; the number is the variable
            start += 1
        spans.append(folded.original_span(start, end) if folded else (start, end))
    return spans


def _joined(char: str) -> bool:
    return char.isalnum() or char in "_-"


def _literal_spans(text: str, needle: str) -> list[tuple[int, int]]:
    """Where ``needle`` stands as a whole token (not inside a longer number or code). A plain scan:
    a regex per ticket id would be compiled once per ticket."""
    spans = []
    start = text.find(needle)
    while start >= 0:
        end = start + len(needle)
        if not (start and _joined(text[start - 1])) and not (end < len(text) and _joined(text[end])):
            spans.append((start, end))
        start = text.find(needle, start + 1)
    return spans


def _order_numbers(text: str, patterns: Sequence[re.Pattern[str]], subject: str | None) -> str:
    spans = [span for pattern in patterns for span in _group_spans(pattern, text)]
    spans += _group_spans(_ORDER_CUES, text, Folded(text))
    if subject:  # a number the subject calls an order is an order number wherever the reply repeats it
        numbers = {subject[s:e] for p in patterns for s, e in _group_spans(p, subject)}
        numbers |= {subject[s:e] for s, e in _group_spans(_ORDER_CUES, subject, Folded(subject))}
        for number in numbers:
            spans += _literal_spans(text, number)
    return _replace(text, spans, _var("order_number"))


def _ticket_numbers(text: str, ticket_id: str | None) -> str:
    spans = _group_spans(_TICKET_CUES, text, Folded(text)) + _group_spans(_HASH_NUMBER, text)
    if ticket_id and any(c.isdigit() for c in ticket_id) and len(ticket_id) >= 4:
        spans += _literal_spans(text, ticket_id)
    return _replace(text, spans, _var("ticket_number"))


def _escape_jinja(text: str) -> str:
    return _JINJA_OPEN.sub("{{ '{' }}", text)


def templatise(
    reply: str,
    *,
    ticket_id: str | None = None,
    subject: str | None = None,
    order_patterns: Sequence[re.Pattern[str]] | None = None,
    validate: bool = True,
) -> Template:
    """The template for one redacted reply. ``ticket_id`` is the ticket's external id; ``subject``
    lends its order numbers; ``order_patterns`` (see ``compile_order_patterns``) replace the default.
    ``validate=False`` skips the Jinja parse (60 % of the time) for callers that check only the
    templates they keep (``check_template``)."""
    patterns = order_patterns if order_patterns is not None else compile_order_patterns(MiningRules())
    text = _PRIVATE.sub("", reply.replace("\r\n", "\n")).strip()
    text = _PLACEHOLDER_RUN.sub(r"\1", text)
    for placeholder, name in PLACEHOLDER_VARIABLES.items():
        text = text.replace(placeholder, _var(name))
    text = _order_numbers(text, patterns, subject)
    text = _ticket_numbers(text, ticket_id)
    text, _ = mark_dates(text)
    markers = tuple(sorted(set(MARKER.findall(text))))
    variables = tuple(sorted({_NAMES[c] for c in _SENTINEL.findall(text)}))
    body = _SENTINEL.sub(lambda m: "{{ " + _NAMES[m.group()] + " }}", _escape_jinja(text))
    template = Template(body=body, variables=variables, markers=markers)
    if validate:
        check_template(template)
    return template


def check_template(template: Template) -> None:
    """Raise if ``template`` fails ``kb.templates`` validation: a bug in ``templatise``, never bad
    input, because every literal ``{`` that could open a tag was escaped."""
    problems = template_problems(template.body, template.variables)
    if problems:
        raise AssertionError(f"templatise produced an invalid template: {problems[0]}")


def compile_order_patterns(rules: MiningRules) -> tuple[re.Pattern[str], ...]:
    """The tenant's patterns first, then the built-in ``HP-2026-1187`` shape; compile once per run."""
    return tuple(re.compile(p) for p in (*rules.order_patterns, *DEFAULT_ORDER_PATTERNS))


MARKER_NOTES = {
    DATE: "[DATE] stands for a date or weekday of one ticket; there is no date variable, so write the "
    "sentence without it (or with a general wording) before accepting.",
    TIME: "[TIME] stands for a time of day from one ticket; there is no time variable, so reword or "
    "remove it before accepting.",
}


def marker_notes(markers: Iterable[str], body: str = "") -> list[str]:
    """What the admin must do about each marker, plus a hint for a surname after a title."""
    notes = [
        MARKER_NOTES.get(
            marker,
            f"{marker} is a value redacted from one ticket (an address, a number, a name); no variable "
            "fills it, so replace it with fixed text or remove it before accepting.",
        )
        for marker in markers
    ]
    if _HONORIFIC_NAME.search(body.replace("{{ customer_name }}", "[NAME]")):
        notes.append(
            "A title is followed by {{ customer_name }}, the customer's full name (\"Dear Mr Jan "
            'Jansen"); check that the salutation reads well.'
        )
    return notes
