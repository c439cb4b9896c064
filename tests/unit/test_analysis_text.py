"""Ticket text cleaning (HTML, quoted history, signatures, truncation) and accent-blind matching."""

from __future__ import annotations

import pytest

from suggest.analysis.matching import FoldedText, compile_terms, fold
from suggest.analysis.text import MAX_ANALYSED_CHARS, clean_ticket_text


def codes(text: str, **kwargs: object) -> tuple[str, list[str]]:
    cleaned = clean_ticket_text(text, **kwargs)  # type: ignore[arg-type]
    return cleaned.text, [note.code for note in cleaned.notes]


# --- plain text -------------------------------------------------------------------------------


def test_plain_text_is_kept_and_gets_no_notes() -> None:
    text, notes = codes("Where is my parcel?\nI ordered it last week.")
    assert text == "Where is my parcel?\nI ordered it last week."
    assert notes == []


def test_subject_comes_first_separated_by_a_blank_line() -> None:
    text, notes = codes("It has not arrived.", subject="  Parcel   missing ")
    assert text == "Parcel missing\n\nIt has not arrived."
    assert notes == []


def test_whitespace_is_tidied_and_blank_runs_collapse() -> None:
    text, _ = codes("Where\r\nis   it\t now\r\n\r\n\r\n\r\n\u00a0thanks  ")
    assert text == "Where\nis it now\n\nthanks"


# --- HTML ---------------------------------------------------------------------------------------


def test_html_tags_and_entities_become_text_with_line_breaks() -> None:
    text, notes = codes("<html><body><p>Hi &amp; hello</p><p>Where is my <b>parcel</b>?</p></body></html>")
    assert text == "Hi & hello\n\nWhere is my parcel?"
    assert notes == ["html_stripped"]


def test_style_script_and_head_content_is_dropped() -> None:
    html = (
        "<html><head><title>Mail title</title><style>p {color: red}</style></head>"
        "<body><script>alert('x')</script><div>My inverter is offline</div></body></html>"
    )
    text, _ = codes(html)
    assert text == "My inverter is offline"


def test_blockquote_is_dropped_as_quoted_history() -> None:
    html = "<div>Where is my parcel?</div><blockquote>On Monday you said it was shipped.</blockquote>"
    text, notes = codes(html)
    assert text == "Where is my parcel?"
    assert notes == ["html_stripped", "quoted_history_removed"]


@pytest.mark.parametrize(
    "quote_attr",
    ['class="gmail_quote"', 'class="x_gmail_quote extra"', 'class="yahoo_quoted"', 'id="divRplyFwdMsg"'],
)
def test_mail_client_quote_containers_are_dropped(quote_attr: str) -> None:
    html = f"<div>My new question.</div><div {quote_attr}><p>Old answer from support</p></div>"
    text, notes = codes(html)
    assert text == "My new question."
    assert "quoted_history_removed" in notes


def test_html_detection_can_be_forced_off() -> None:
    raw = "I typed <p> and <br> in my message"
    text, notes = codes(raw, html=False)
    assert text == raw
    assert "html_stripped" not in notes


def test_html_detection_can_be_forced_on() -> None:
    text, notes = codes("<custom>Hello</custom> there", html=True)
    assert text == "Hello there"
    assert notes == ["html_stripped"]


def test_text_with_a_less_than_sign_is_not_mistaken_for_html() -> None:
    text, notes = codes("The voltage is < 200 V and the current is > 5 A sometimes")
    assert "html_stripped" not in notes
    assert "< 200 V" in text


def test_text_after_a_quote_with_an_unclosed_paragraph_is_kept() -> None:
    html = (
        "<div>See my question below.</div>"
        "<blockquote><p>Your parcel was shipped on Monday.</blockquote>"
        "<div>It still has not arrived: where is my parcel?</div>"
    )
    text, _ = codes(html)
    assert "where is my parcel?" in text


def test_a_stray_end_tag_does_not_leak_the_quote() -> None:
    html = "<div>My question.</div><blockquote>Old reply</span> with the word lawyer in it</blockquote>"
    text, _ = codes(html)
    assert text == "My question."


# --- quoted history in plain text -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mail", "kept"),
    [
        (
            "Where is my parcel?\n\nOn Mon, 1 Jan 2024 at 10:00, Helioport <support@helioport.com> wrote:\n"
            "Your parcel was shipped.",
            "Where is my parcel?",
        ),
        (
            "Πού είναι το δέμα μου;\n\nΣτις Δευ 1 Ιαν 2024, ο/η Helioport έγραψε:\nΤο δέμα στάλθηκε.",
            "Πού είναι το δέμα μου;",
        ),
        (
            "Where is my parcel?\n\n-----Original Message-----\nFrom: support\nIt was shipped.",
            "Where is my parcel?",
        ),
        (
            "Waar is mijn pakket?\n\n----- Oorspronkelijk bericht -----\nVan: support\nVerzonden.",
            "Waar is mijn pakket?",
        ),
        (
            "Where is my parcel?\n\nFrom: Helioport Support <support@helioport.com>\n"
            "Sent: Monday, 1 January 2024 10:00\nSubject: Your order",
            "Where is my parcel?",
        ),
    ],
)
def test_quoted_history_after_a_reply_header_is_cut(mail: str, kept: str) -> None:
    text, notes = codes(mail)
    assert text == kept
    assert notes == ["quoted_history_removed"]


def test_dutch_header_with_the_name_before_schreef_is_cut() -> None:
    text, notes = codes("Waar is mijn pakket?\n\nOp 1 jan 2024 Helioport schreef:\nVerzonden.")
    assert text == "Waar is mijn pakket?"
    assert notes == ["quoted_history_removed"]


def test_dutch_gmail_reply_header_is_cut() -> None:
    mail = (
        "Waar is mijn pakket?\n\n"
        "Op ma 1 jan 2024 om 10:00 schreef Helioport Support <support@helioport.nl>:\n"
        "Uw pakket is verzonden."
    )
    text, notes = codes(mail)
    assert text == "Waar is mijn pakket?"
    assert "quoted_history_removed" in notes


def test_a_customer_sentence_ending_in_wrote_is_not_a_quote_header() -> None:
    mail = "Hello,\nOn the order form I wrote\nthe wrong street name, can you fix it?"
    text, notes = codes(mail)
    assert "wrong street name" in text
    assert "quoted_history_removed" not in notes


def test_lines_starting_with_greater_than_are_removed() -> None:
    text, notes = codes("Where is my parcel?\n> It was shipped on Monday.\n  > > Older.\nThanks")
    assert text == "Where is my parcel?\nThanks"
    assert notes == ["quoted_history_removed"]


def test_a_header_at_the_very_start_is_not_cut() -> None:
    mail = "-----Original Message-----\nMy inverter shows E05"
    text, notes = codes(mail)
    assert "My inverter shows E05" in text
    assert "quoted_history_removed" not in notes


# --- signatures and footers -------------------------------------------------------------------


def test_signature_after_the_delimiter_is_cut() -> None:
    text, notes = codes("Where is my parcel?\n\n-- \nJohn Smith\nSolar lawyer at Smith & Co")
    assert text == "Where is my parcel?"
    assert notes == ["signature_removed"]


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Verzonden vanaf mijn iPad",
        "Στάλθηκε από το κινητό μου",
        "Get Outlook for Android",
    ],
)
def test_mobile_footers_are_removed(footer: str) -> None:
    text, notes = codes(f"Where is my parcel?\n\n{footer}")
    assert text == "Where is my parcel?"
    assert notes == ["signature_removed"]


def test_quote_and_signature_notes_appear_together() -> None:
    text, notes = codes("Thanks!\n-- \nJane\n\nOn Tue, 2 Jan 2024, Shop <s@shop.com> wrote:\n> old")
    assert text == "Thanks!"
    assert notes == ["quoted_history_removed", "signature_removed"]


# --- empty, no letters, truncation ------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   \n\t ", "<p>  </p>", "> only a quoted line"])
def test_nothing_left_is_noted_as_empty(raw: str) -> None:
    cleaned = clean_ticket_text(raw)
    assert cleaned.text == ""
    assert cleaned.notes[-1].code == "empty"
    assert not cleaned.has_letters


@pytest.mark.parametrize("raw", ["😀😀😀 👍", "12345 !!!", "€ 20,00 ?"])
def test_text_without_letters_is_noted(raw: str) -> None:
    cleaned = clean_ticket_text(raw)
    assert cleaned.text == raw
    assert [n.code for n in cleaned.notes] == ["no_letters"]
    assert not cleaned.has_letters


def test_greek_letters_count_as_letters() -> None:
    cleaned = clean_ticket_text("Γεια")
    assert cleaned.has_letters
    assert cleaned.notes == []


def test_long_text_is_truncated_with_a_note() -> None:
    cleaned = clean_ticket_text("word " * 200_000)
    assert len(cleaned.text) == MAX_ANALYSED_CHARS
    assert [n.code for n in cleaned.notes] == ["truncated"]
    assert "10,000" in cleaned.notes[0].detail and "999,999" in cleaned.notes[0].detail


def test_text_of_exactly_the_limit_is_not_truncated() -> None:
    cleaned = clean_ticket_text("a" * MAX_ANALYSED_CHARS)
    assert len(cleaned.text) == MAX_ANALYSED_CHARS
    assert cleaned.notes == []


def test_subject_counts_towards_the_limit() -> None:
    cleaned = clean_ticket_text("b" * MAX_ANALYSED_CHARS, subject="Subject")
    assert cleaned.text.startswith("Subject\n\nbbb")
    assert len(cleaned.text) == MAX_ANALYSED_CHARS
    assert [n.code for n in cleaned.notes] == ["truncated"]


# --- matching -----------------------------------------------------------------------------------


def test_fold_removes_case_and_accents_and_final_sigma() -> None:
    assert fold("Θα ΠΆΩ στον Δικηγόρο") == "θα παω στον δικηγορο"
    assert fold("μήνυσης") == "μηνυσησ"
    assert fold("Geëlektrocuteerd") == "geelektrocuteerd"
    assert fold("Straße") == "strasse"


def test_find_quotes_the_customers_own_accented_words() -> None:
    pattern = compile_terms(("δικηγορ",))
    assert pattern is not None
    assert FoldedText.of("Θα πάω στον δικηγόρο αύριο").find(pattern) == "Θα πάω στον δικηγόρο αύριο"


def test_find_evidence_keeps_context_cut_at_word_boundaries() -> None:
    text = (
        "I have been waiting for the delivery of my inverter for weeks now and I will call my "
        "lawyer tomorrow unless something happens very soon indeed."
    )
    pattern = compile_terms(("lawyer",))
    assert pattern is not None
    evidence = FoldedText.of(text).find(pattern)
    assert evidence == "…weeks now and I will call my lawyer tomorrow unless something…"


def test_find_maps_expanded_characters_back_to_the_original() -> None:
    pattern = compile_terms(("strasse",))
    assert pattern is not None
    assert FoldedText.of("Die Straße ist nass").find(pattern) == "Die Straße ist nass"


def test_terms_start_at_a_word_start_but_may_end_mid_word() -> None:
    pattern = compile_terms(("lawyer",))
    assert pattern is not None
    assert FoldedText.of("my lawyers will call").find(pattern) == "my lawyers will call"
    assert FoldedText.of("a flawyer is not a word").find(pattern) is None


def test_no_terms_compile_to_no_pattern() -> None:
    assert compile_terms(()) is None


def test_upper_case_regex_escapes_keep_their_meaning() -> None:
    pattern = compile_terms((r"no\Wreply",))
    assert pattern is not None
    assert FoldedText.of("it came from a no-reply address").find(pattern) is not None
