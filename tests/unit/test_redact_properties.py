"""Properties of redaction over generated texts: honest counts, no Jinja, few passes, nothing left behind;
and of the path that stores tickets (``to_record``): idempotent, no injected PII in any stored field.

``Redactor.redact`` repeats passes until one finds nothing, so redacting its output again changes
nothing by construction; what can fail is how many passes it needed (a finder that refuses a value
glued to its neighbour leaves it to the next pass) and the e-mail pre-pass ``to_record`` runs
outside that loop.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.store.history import TicketRecord
from training.history.ingest import to_record
from training.history.types import Author, HistoryTicket, Message
from training.redact import PLACEHOLDERS, RedactionReport, RedactionRules, Redactor

EMAILS = ["maria.p@example.gr", "j.de-vries@bedrijf.nl", "info+tickets@hp.example.com"]
PHONES = ["06-12345678", "+31 20 123 4567", "+44 20 7946 0958", "6912345678", "030 12345678", "0470 12 34 56"]
IBANS = [
    "NL91ABNA0417164300",
    "NL91 ABNA 0417 1643 00",
    "DE89 3704 0044 0532 0130 00",
    "GR1601101250000000012300695",
]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"]
IPS = ["192.168.1.20", "10.0.0.1", "2001:db8::8a2e:370:7334"]
POSTCODES = ["1015 CJ", "SW1A 1AA", "PLZ 10115", "Τ.Κ. 546 22"]
NAME_WORDS = [
    "Maria",
    "Papadopoulou",
    "Maria Papadopoulou",
    "Μαρία",
    "Μαρίας",
    "Will",
    "will",
    "Berg",
    "Anne-Marie",
]
LOOK_ALIKES = ["HP-2026-1187", "2026-11-23", "€ 1.234,56", "14:30", "v2.4.1.7", "1.2.3", "E05", "error 4021"]
IBAN_TRAPS = ["DE12", "AB12", "NL12 3456"]
"""Words an IBAN candidate starts with that would swallow a real IBAN written after them."""
PLACEHOLDER_BITS = [
    *PLACEHOLDERS.values(),
    "[ORDER_NUMBER]",
    "[X_RULE]",
    "[",
    "]",
    "[EMAIL",
    "NAME]",
    "{{",
    "}}",
]
STRUCTURED = EMAILS + PHONES + IBANS + CARDS + IPS

ALPHABET = "abcdefxyzABCMNQ0123456789 .,:;-+@/()[]_'\n\x00αβγΜαρίαςéëßİ€"
FILLER = [
    "the",
    "order",
    "is",
    "late",
    "bedankt",
    "voor",
    "Danke",
    "σας",
    "ευχαριστώ",
    "please",
    "call",
    "me",
    "on",
]

REDACTORS = [
    Redactor(),
    Redactor(RedactionRules(custom={"order_number": r"HP-[0-9]{4}-[0-9]{4}", "x_rule": r"x+y?"})),
    Redactor(RedactionRules(postal_countries=("GR", "DE", "US"), phone_regions=("US", "GR"))),
]
NAME_FIELDS = [
    "Maria Papadopoulou",
    "Μαρία Παπαδοπούλου",
    "Will May",
    "Jan van der Berg",
    "Anne-Marie Dubois",
    "Al",
]

fragments = st.one_of(
    st.text(alphabet=ALPHABET, max_size=12),
    st.sampled_from(STRUCTURED + POSTCODES + NAME_WORDS + LOOK_ALIKES + PLACEHOLDER_BITS),
)
separators = st.sampled_from(["", " ", ", ", "\n", "-", ".", ":"])
texts = st.lists(st.tuples(fragments, separators), max_size=12).map(
    lambda parts: "".join(a + b for a, b in parts)
)
name_lists = st.lists(st.sampled_from(NAME_FIELDS), max_size=2)


@settings(max_examples=300, deadline=None)
@given(text=texts, names=name_lists, agents=name_lists, which=st.integers(0, len(REDACTORS) - 1))
@example(text="NL91ABNA0417164300 NL91ABNA0417164300 NL91ABNA0417164300.", names=[], agents=[], which=0)
@example(text="+31 20 123 4567+31 20 123 4567+31 20 123 4567", names=[], agents=[], which=0)
def test_redaction_counts_what_it_replaced_in_at_most_two_passes(
    text: str, names: list[str], agents: list[str], which: int
) -> None:
    """A second pass is for a value freed by a replacement next to it ("PLZ 10115+44 20 7946 0958");
    a third would mean a finder skips values in a row, which the loop would hide."""
    first = REDACTORS[which].redact(text, names=names, agent_names=agents)

    assert first.passes <= 2
    assert (first.passes == 0) == (sum(first.counts.values()) == 0)
    for kind, count in first.counts.items():
        placeholder = PLACEHOLDERS.get(kind, f"[{kind.upper()}]")
        assert first.text.count(placeholder) - text.count(placeholder) == count
    for jinja in ("{{", "{%", "}}"):
        assert first.text.count(jinja) <= text.count(jinja)


@settings(max_examples=200, deadline=None)
@given(
    injected=st.lists(st.sampled_from([*STRUCTURED, "Papadopoulou", "Μαρίας"]), min_size=1, max_size=5),
    filler=st.lists(st.sampled_from(FILLER + LOOK_ALIKES + IBAN_TRAPS), max_size=8),
    seed=st.randoms(use_true_random=False),
)
def test_injected_pii_between_words_never_survives(
    injected: list[str], filler: list[str], seed: random.Random
) -> None:
    words = [*filler, *injected]
    seed.shuffle(words)
    text = " ".join(words)
    result = REDACTORS[0].redact(text, names=["Maria Papadopoulou", "Μαρία Παπαδοπούλου"])
    for value in injected:
        assert value not in result.text
    assert sum(result.counts.values()) >= len(injected)
    for value in LOOK_ALIKES:
        assert result.text.count(value) == text.count(value)


CUSTOMERS = ["Maria Papadopoulou", "Μαρία Παπαδοπούλου", "Jan van der Berg", "Anne-Marie Dubois"]
AGENTS = ["Daan Visser", "Noor Bakker", "Lucas Martin"]
CUSTOMER_EMAILS = ["kim@intranet", "maria.p@example.gr", "J.de-Vries@Bedrijf.nl"]
"""``kim@intranet`` has no top-level domain: only the import's pre-pass of the ticket's addresses finds it."""
KEPT = [*FILLER, *LOOK_ALIKES, *IBAN_TRAPS, "[ORDER_NUMBER]", "[NAME]", "[EMAIL]", "[X_RULE]"]
STORE_REDACTORS = REDACTORS[:2]


@st.composite
def tickets(draw: st.DrawFn) -> tuple[HistoryTicket, list[str]]:
    """A ticket whose texts mix kept words with PII: its own names and addresses, its agents' names
    (each agent writes one message, as redaction knows only the agents of the thread), structured values."""
    names = draw(st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=2, unique=True))
    emails = draw(st.lists(st.sampled_from(CUSTOMER_EMAILS), max_size=2, unique=True))
    agents = draw(st.lists(st.sampled_from(AGENTS), max_size=2, unique=True))
    pii = st.sampled_from([*STRUCTURED, *names, *emails, *(e.upper() for e in emails), *agents])

    def text(min_size: int = 1) -> str:
        words = draw(st.lists(st.one_of(st.sampled_from(KEPT), pii), min_size=min_size, max_size=10))
        return " ".join(words)

    extra = draw(st.lists(st.sampled_from([Author.CUSTOMER, Author.SYSTEM]), max_size=2))
    people = [(Author.CUSTOMER, None), *((Author.AGENT, a) for a in agents), *((a, None) for a in extra)]
    messages = tuple(
        Message(author, text(), datetime(2024, 3, 1, tzinfo=UTC), name, n == 0 or draw(st.booleans()))
        for n, (author, name) in enumerate(people)
    )
    ticket = HistoryTicket(
        source="jsonl",
        external_id="T-1",
        subject=text(0) or None,
        messages=messages,
        customer_names=tuple(names),
        customer_emails=tuple(emails),
        tags=tuple(draw(st.lists(st.sampled_from([*KEPT, *STRUCTURED, *emails]), max_size=3))),
        fields={"intent": "billing", "note": text(0)},
        language=draw(st.sampled_from([None, "en"])),
    )
    return ticket, [*STRUCTURED, *names, *emails, *agents]


def _texts(ticket: HistoryTicket) -> list[str]:
    return [ticket.subject or "", *(m.text for m in ticket.messages), *ticket.tags, *ticket.fields.values()]


def _stored(record: TicketRecord) -> list[str]:
    return [record.subject or "", *(m["text"] for m in record.thread), *record.tags, *record.fields.values()]


def _again(ticket: HistoryTicket, record: TicketRecord) -> HistoryTicket:
    """The stored texts as a ticket with the same people, as a second import of them would read it."""
    messages = tuple(
        Message(m.author, stored["text"], m.created_at, m.author_name, m.public)
        for m, stored in zip(ticket.messages, record.thread, strict=True)
    )
    return HistoryTicket(
        source=ticket.source,
        external_id=ticket.external_id,
        subject=record.subject,
        messages=messages,
        customer_names=ticket.customer_names,
        customer_emails=ticket.customer_emails,
        tags=tuple(record.tags),
        fields=dict(record.fields),
        language=ticket.language,
    )


@settings(max_examples=150, deadline=None)
@given(generated=tickets(), which=st.integers(0, len(STORE_REDACTORS) - 1))
@example(
    generated=(
        HistoryTicket(
            "jsonl",
            "T-1",
            None,
            (Message(Author.CUSTOMER, "DE12 NL91ABNA0417164300 KIM@INTRANET please", None),),
            customer_emails=("kim@intranet",),
        ),
        ["NL91ABNA0417164300", "kim@intranet"],
    ),
    which=0,
)
def test_stored_tickets_keep_no_pii_and_storing_them_again_changes_nothing(
    generated: tuple[HistoryTicket, list[str]], which: int
) -> None:
    ticket, pii = generated
    redactor = STORE_REDACTORS[which]
    record = to_record(ticket, redactor, RedactionReport())
    stored = _stored(record)

    for value in pii:
        assert [t for t in stored if value.lower() in t.lower()] == [], value
    unclaimed = [v for v in LOOK_ALIKES if not any(re.search(r, v) for r in redactor.rules.custom.values())]
    for before, after in zip(_texts(ticket), stored, strict=True):
        for kept in ("[ORDER_NUMBER]", "[NAME]", "[EMAIL]", "[X_RULE]", *unclaimed):
            assert after.count(kept) >= before.count(kept), kept

    report = RedactionReport()
    assert to_record(_again(ticket, record), redactor, report) == record
    assert report.total == 0
