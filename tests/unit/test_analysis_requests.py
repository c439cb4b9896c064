"""Finding the request-sized parts of a ticket laid out like several requests."""

from __future__ import annotations

import pytest

from suggest.analysis.policy import load_policy
from suggest.analysis.requests import looks_like_several, request_parts

ANNOUNCER = load_policy().pattern("several_requests")


@pytest.mark.parametrize(
    "text",
    [
        "1. refund the cleaning\n2. reset my password",
        "three things please: 1) my invoice is wrong; 2) the charger is red",
        "- new address\n- new bank account",
        "Can I get a refund? And why does my password not work?",
        "Hi, a few things: my invoice, my login and my address",
        "hoi! 3 vraagjes: kan de afspraak later, wat kost een laadpaal",
        "Verder wil ik de afspraak verzetten.",
        "Καλημέρα, τρία πράγματα: προσφορά, συντήρηση και εφαρμογή",
        "Επίσης, η εφαρμογή δεν δείχνει δεδομένα.",
    ],
)
def test_layouts_of_several_requests_are_recognised(text: str) -> None:
    assert looks_like_several(text, ANNOUNCER)


@pytest.mark.parametrize(
    "text",
    [
        "My parcel is late, where is it?",
        "The inverter shows E05 since this morning and the LED is red.",
        "Mijn laadpaal doet het niet meer sinds gisteren.",
    ],
)
def test_an_ordinary_ticket_is_not_split(text: str) -> None:
    assert not looks_like_several(text, ANNOUNCER)


@pytest.mark.parametrize(
    "text", ["Where is my parcel? When will it arrive?", "My parcel is late. Also, the box was wet."]
)
def test_questions_or_also_in_a_clearly_single_intent_ticket_are_one_request(text: str) -> None:
    assert looks_like_several(text, ANNOUNCER, confidence=0.5)
    assert not looks_like_several(text, ANNOUNCER, confidence=0.95)


def test_a_list_is_split_however_sure_the_whole_ticket_is() -> None:
    assert looks_like_several("1. my invoice\n2. my login", ANNOUNCER, confidence=0.99)


def test_without_an_announcer_pattern_only_the_layout_counts() -> None:
    assert not looks_like_several("a few things: my invoice and my login", None)
    assert looks_like_several("1. my invoice\n2. my login", None)


def test_parts_are_cut_at_inline_list_items() -> None:
    text = "Hi, three things please: 1) my May invoice is wrong; 2) the charger shows a red light; 3) address"
    assert request_parts(text) == [
        "three things please",
        "my May invoice is wrong",
        "the charger shows a red light",
    ]


def test_parts_are_cut_at_sentences_and_commas() -> None:
    text = "Could you send a quote? Also, the app shows no data since Sunday, and my invoice never came."
    assert request_parts(text) == [
        "Could you send a quote?",
        "the app shows no data since Sunday",
        "and my invoice never came.",
    ]


def test_a_dash_inside_a_line_is_not_a_bullet() -> None:
    text = "We move in August - how does that work - and who takes the battery"
    assert not looks_like_several(text, None, confidence=0.99)
    assert looks_like_several("- new address\n  - new bank account", None, confidence=0.99)


def test_numbers_ending_sentences_are_not_list_items() -> None:
    assert not looks_like_several("The bill is 45. I paid 30. Why is that", None, confidence=0.99)
    assert looks_like_several("two things 1) a refund 2) my password", None, confidence=0.99)


@pytest.mark.parametrize(
    ("text", "several"),
    [
        ("floor 2; cable 10 m; fuse 16 A", False),
        ("Πόσο κοστίζει; Πότε έρχεστε;", True),
        ("Πόσο κοστίζει\u037e Πότε έρχεστε\u037e", True),
    ],
)
def test_a_semicolon_is_a_question_mark_only_in_greek(text: str, several: bool) -> None:
    assert looks_like_several(text, None, confidence=0.5) is several


def test_greetings_and_sign_offs_are_not_parts() -> None:
    assert request_parts("Hi Anna,\nThanks, Laura") == []


def test_numbers_inside_a_sentence_are_not_list_items() -> None:
    assert request_parts("The battery is at 34% and charges at 2.5 kW today") == [
        "The battery is at 34% and charges at 2.5 kW today"
    ]
