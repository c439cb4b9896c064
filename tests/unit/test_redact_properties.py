"""Properties of redaction over generated texts: idempotence, honest counts, no Jinja, nothing left behind."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from training.redact import PLACEHOLDERS, RedactionRules, Redactor

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
def test_redaction_is_idempotent_and_counts_what_it_replaced(
    text: str, names: list[str], agents: list[str], which: int
) -> None:
    redactor = REDACTORS[which]
    first = redactor.redact(text, names=names, agent_names=agents)
    second = redactor.redact(first.text, names=names, agent_names=agents)

    assert second.text == first.text
    assert sum(second.counts.values()) == 0
    for kind, count in first.counts.items():
        placeholder = PLACEHOLDERS.get(kind, f"[{kind.upper()}]")
        assert first.text.count(placeholder) - text.count(placeholder) == count
    for jinja in ("{{", "{%", "}}"):
        assert first.text.count(jinja) <= text.count(jinja)


@settings(max_examples=200, deadline=None)
@given(
    injected=st.lists(st.sampled_from([*STRUCTURED, "Papadopoulou", "Μαρίας"]), min_size=1, max_size=5),
    filler=st.lists(st.sampled_from(FILLER + LOOK_ALIKES), max_size=8),
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
