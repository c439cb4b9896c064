"""Helpdesk exports (Zendesk, Freshdesk, Zammad, Chatwoot) read into tickets and located problems.

Each fixture under tests/fixtures/history/ is a small invented export with at least one bad record;
the tests pin the thread structure, the values normalised on the way and the problems' locations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from suggest.errors import InputError
from training.history import (
    Author,
    Csat,
    HistoryTicket,
    ImportProblem,
    Item,
    detect_source,
    read_history,
    reader_for,
)
from training.history.values import TIMESTAMP_FORMATS

FIXTURES = Path(__file__).parent.parent / "fixtures" / "history"


def _split(items: list[Item]) -> tuple[dict[str, HistoryTicket], list[ImportProblem]]:
    tickets = {i.external_id: i for i in items if isinstance(i, HistoryTicket)}
    return tickets, [i for i in items if isinstance(i, ImportProblem)]


def _read(name: str, **options: object) -> tuple[dict[str, HistoryTicket], list[ImportProblem]]:
    return _split(list(read_history(FIXTURES / name, **options)))  # type: ignore[arg-type]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _authors(ticket: HistoryTicket) -> list[tuple[str, bool]]:
    return [(m.author.value, m.public) for m in ticket.messages]


def test_zendesk_full_export_is_json_lines_with_inline_comments() -> None:
    tickets, _ = _read("zendesk_full_export.json")
    assert sorted(tickets) == ["101", "102", "103"]
    first = tickets["101"]
    assert first.source == "zendesk"
    assert _authors(first) == [
        ("customer", True),
        ("agent", False),  # the internal note
        ("agent", True),
        ("customer", True),
        ("system", True),  # the trigger's comment (author -1, via rule)
    ]
    assert first.ticket_text is not None
    assert first.ticket_text.startswith("Hi, my March invoice is almost twice")
    assert [m.text[:11] for m in first.agent_replies()] == ["Hello Maya,"]
    assert first.messages[3].created_at == _utc("2024-03-04 17:40:00")  # +01:00 normalised to UTC
    assert all(m.created_at is not None and m.created_at.tzinfo is UTC for m in first.messages)
    assert first.tags == ("billing", "invoice_check")
    assert first.fields == {
        "type": "question",
        "priority": "normal",
        "channel": "email",
        "360001": "billing_question",
        "360003": "email,web",  # a multi-select field; the null field 360002 is left out
    }
    assert first.csat == Csat(1.0, "good", "Quick and clear, thanks!")
    assert first.customer_names == ("Maya Jansen",)
    assert first.customer_emails == ("maya.jansen@example.com",)
    assert first.status == "solved"


def test_zendesk_orders_by_time_and_reads_html_only_comments_without_quotes() -> None:
    tickets, _ = _read("zendesk_full_export.json")
    moving = tickets["102"]
    assert _authors(moving) == [("customer", True), ("agent", True)]  # listed agent-first in the file
    assert (
        moving.ticket_text == "Ik verhuis op 1 mei naar Utrecht.\n\nKunnen jullie het contract meeverhuizen?"
    )
    assert moving.csat == Csat(0.0, "bad", "Te lang gewacht.")
    assert moving.fields["360001"] == "move_house"


def test_zendesk_problems_are_located_and_do_not_stop_the_file() -> None:
    tickets, problems = _read("zendesk_full_export.json")
    greek = tickets["103"]
    assert greek.created_at == _utc("2024-04-11 08:00:00")  # "1712822400": Unix seconds as text
    assert greek.messages[1].created_at is None  # unreadable time: message kept without it
    assert greek.csat is None  # "offered" is not a rating
    got = [(p.location, p.message.split(";")[0]) for p in problems]
    assert got == [
        (
            "zendesk_full_export.json:line 3 (id 103)",
            f"comments[1].created_at: expected a timestamp ({TIMESTAMP_FORMATS}), "
            "found a text of 16 characters",
        ),
        ("zendesk_full_export.json:line 4", "not valid JSON (Expecting ',' delimiter at character 68)"),
        ("zendesk_full_export.json:line 5", "no ticket id ('id' is missing or empty)"),
        (
            "zendesk_full_export.json:line 6 (id 105)",
            "satisfaction_rating.score: expected good, bad, offered, unoffered or a whole number "
            "from 1 to 5, found a text of 3 characters",
        ),
        ("zendesk_full_export.json:line 6 (id 105)", "no public customer message"),
    ]


def test_zendesk_api_page_uses_side_loaded_users_and_comments() -> None:
    tickets, problems = _read("zendesk_page.json")
    assert sorted(tickets) == ["201", "202", "203"]
    solar = tickets["201"]
    # 9109 is a CC'd end-user, not the requester: the side-loaded role makes them a customer
    assert _authors(solar) == [("customer", True), ("customer", True), ("agent", True)]
    assert solar.messages[2].author_name == "Daan Visser"
    assert solar.messages[0].author_name is None
    assert solar.language == "nl"
    assert solar.customer_names == ("Fleur de Wit", "Rik de Wit")
    assert solar.csat == Csat(1.0, "good", None)  # score 5 on the 1-5 scale
    assert tickets["202"].ticket_text == "Can I move my direct debit to the 28th?"  # no comments: description
    assert tickets["202"].language == "en"  # en-GB
    assert tickets["202"].tags == ("payments",)
    assert _authors(tickets["203"]) == [("customer", True), ("agent", False)]
    assert [(p.location, p.message.split(";")[0]) for p in problems] == [
        ("zendesk_page.json:comments[3]", "a comment without 'ticket_id' cannot be matched to its ticket")
    ]


def test_zendesk_field_names_keep_and_rename_only_the_named_fields() -> None:
    tickets, _ = _read("zendesk_page.json", field_names={"360001": "intent"})
    assert tickets["201"].fields == {"intent": "solar_feed_in"}


def test_freshdesk_tickets_with_conversations() -> None:
    tickets, _ = _read("freshdesk_tickets.json")
    assert sorted(tickets) == ["301", "302", "304"]
    meter = tickets["301"]
    assert _authors(meter) == [("customer", True), ("agent", True), ("customer", True), ("agent", False)]
    assert meter.ticket_text == "My meter reading was rejected on the website.\nIt says the value is too low."
    assert meter.messages[1].author_name == "Noor Bakker"
    assert meter.status == "resolved"
    assert meter.language == "en"
    assert meter.fields == {
        "type": "Question",
        "priority": "medium",
        "channel": "portal",
        "cf_reason": "meter_reading",
        "cf_vip": "false",
    }
    assert meter.csat == Csat(0.8333, "good", "Solved on the same day.")  # 102 "very happy"
    assert meter.created_at == _utc("2024-02-12 08:45:10")


def test_freshdesk_outbound_ticket_starts_with_the_agent_and_forwards_are_not_replies() -> None:
    tickets, _ = _read("freshdesk_tickets.json")
    outbound = tickets["302"]
    assert _authors(outbound) == [("agent", True), ("customer", True), ("agent", True), ("agent", False)]
    assert outbound.ticket_text == "Waarom gaat mijn termijnbedrag zo omhoog?"  # the gmail quote is gone
    assert len(outbound.agent_replies()) == 2
    assert outbound.csat == Csat(0.0, "bad", "Veel te hoog!")
    assert tickets["304"].messages[0].created_at == _utc("2024-07-01 07:00:00")  # +03:00


def test_freshdesk_problems() -> None:
    _, problems = _read("freshdesk_tickets.json")
    assert [(p.location, p.message.split(";")[0]) for p in problems] == [
        ("freshdesk_tickets.json:ticket[2]", "no ticket id ('id' is missing or empty)"),
        ("freshdesk_tickets.json:ticket[3] (id 304)", "conversations[1]: expected an object, found str"),
        (
            "freshdesk_tickets.json:ticket[3] (id 304)",
            "satisfaction rating: expected one of Freshdesk's answers "
            "(-103, -102, -101, 100, 101, 102, 103), found another number",
        ),
    ]


def test_zammad_articles_by_sender_and_internal_flag() -> None:
    tickets, problems = _read("zammad_tickets.jsonl", field_names={"category": "intent"})
    assert sorted(tickets) == ["401", "402", "404"]
    outage = tickets["401"]
    assert _authors(outage) == [("customer", True), ("system", False), ("agent", False), ("agent", True)]
    assert outage.ticket_text == "Sinds het onderhoud van vanochtend hebben we geen stroom."
    assert outage.agent_replies()[0].author_name == "Jeroen Bos"  # "Jeroen Bos via Helioport Techniek"
    assert outage.messages[1].author_name is None  # names are kept for agents only
    assert outage.fields == {
        "number": "24001",
        "group": "Techniek",
        "priority": "2 normal",
        "intent": "outage",
    }
    assert outage.created_at == _utc("2024-08-01 06:55:12.123000")
    assert outage.csat is None
    refund = tickets["402"]  # sender_id instead of sender, state_id instead of state
    assert _authors(refund) == [("customer", True), ("agent", True)]
    assert refund.agent_replies()[0].text == "Hi James,\n\nYour deposit is refunded within 14 days."
    assert refund.status == "open"
    assert refund.customer_names == ("James Okafor",)
    assert tickets["404"].customer_names == ("Άννα Βλάχου",)
    assert [(p.location, p.message.split(";")[0]) for p in problems] == [
        (
            "zammad_tickets.jsonl:line 2 (id 402)",
            "articles[2]: expected the sender Customer, Agent or System (sender_id 2, 1, 3), "
            "found a text of 5 characters",
        ),
        ("zammad_tickets.jsonl:line 4", "expected a JSON object, found list"),
        (
            "zammad_tickets.jsonl:line 5 (id 403)",
            "articles: expected a list of the ticket's articles, found str",
        ),
        ("zammad_tickets.jsonl:line 5 (id 403)", "no public customer message"),
    ]


def test_chatwoot_conversations_from_the_list_api_shape() -> None:
    tickets, problems = _read("chatwoot_conversations.json")
    assert sorted(tickets) == ["501", "502", "503"]  # display_id, not the internal id
    login = tickets["501"]
    assert _authors(login) == [
        ("customer", True),
        ("system", True),  # the agent bot's greeting
        ("system", True),  # activity
        ("agent", False),  # private note
        ("agent", True),
        ("system", True),  # the CSAT survey, listed first in the file
    ]
    assert login.agent_replies()[0].author_name == "Lucas M."
    assert login.created_at == _utc("2024-08-01 08:13:20")  # Unix seconds
    assert login.csat == Csat(1.0, "good", "Super helpful")  # rating 5 of 5
    assert login.tags == ("app", "login")
    assert login.fields == {"priority": "medium", "channel": "Channel::WebWidget", "topic": "app_login"}
    assert login.status == "resolved"
    assert login.customer_emails == ("sophie.t@example.com",)
    contract = tickets["502"]
    assert contract.subject == "Opzeggen contract"
    assert contract.status == "open"  # status 0
    assert contract.messages[1].created_at == _utc("2024-08-05 13:00:00")  # milliseconds
    assert [(p.location, p.message.split(";")[0]) for p in problems] == [
        (
            "chatwoot_conversations.json:conversation[1] (id 502)",
            "messages[2]: expected message_type 0-3 (incoming, outgoing, activity, template), "
            "found a number above 3",
        ),
        (
            "chatwoot_conversations.json:conversation[2] (id 503)",
            "csat_survey_response.rating: expected a rating (a whole number from 1 to 5), "
            "found a number above 5",
        ),
        (
            "chatwoot_conversations.json:conversation[3] (id 504)",
            "messages: expected the conversation's messages, found NoneType",
        ),
        ("chatwoot_conversations.json:conversation[3] (id 504)", "no public customer message"),
    ]


CUSTOMER_TEXT = "Hi, this is Maria Jansen (maria.jansen@example.com); my meter 4417 broke on Tuesday"
MISPLACED = {
    "zendesk": {
        "id": 1,
        "requester_id": 5,
        "created_at": CUSTOMER_TEXT,
        "comments": [{"author_id": 5, "body": "Help", "created_at": CUSTOMER_TEXT}],
        "satisfaction_rating": {"score": CUSTOMER_TEXT},
    },
    "freshdesk": {
        "id": 1,
        "created_at": CUSTOMER_TEXT,
        "description_text": "Help",
        "conversations": [{"body_text": "Reply", "created_at": CUSTOMER_TEXT}],
        "satisfaction_rating": {"ratings": {"default_question": CUSTOMER_TEXT}},
    },
    "zammad": {
        "id": 1,
        "created_at": CUSTOMER_TEXT,
        "articles": [
            {"sender": "Customer", "body": "Help", "created_at": CUSTOMER_TEXT},
            {"sender": CUSTOMER_TEXT, "body": "Reply"},
        ],
    },
    "chatwoot": {
        "id": 1,
        "created_at": CUSTOMER_TEXT,
        "messages": [
            {"message_type": 0, "content": "Help", "created_at": CUSTOMER_TEXT},
            {"message_type": CUSTOMER_TEXT, "content": "Reply"},
        ],
        "csat_survey_response": {"rating": CUSTOMER_TEXT},
    },
}


@pytest.mark.parametrize("source", sorted(MISPLACED))
def test_problems_describe_a_misplaced_value_without_quoting_it(source: str, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(MISPLACED[source]) + "\n", encoding="utf-8")
    tickets, problems = _split(list(read_history(path, source)))
    assert list(tickets) == ["1"]
    assert len(problems) >= 3
    for problem in problems:
        assert f"found a text of {len(CUSTOMER_TEXT)} characters" in problem.message
        for word in ("Maria", "Jansen", "@", "example.com", "meter", "4417", "Tuesday"):
            assert word not in problem.message


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("zendesk_full_export.json", "zendesk"),
        ("zendesk_page.json", "zendesk"),
        ("freshdesk_tickets.json", "freshdesk"),
        ("zammad_tickets.jsonl", "zammad"),
        ("chatwoot_conversations.json", "chatwoot"),
        ("tickets.csv", "csv"),
        ("threads.jsonl", "jsonl"),
    ],
)
def test_detect_source_knows_every_fixture(name: str, source: str) -> None:
    assert detect_source(FIXTURES / name) == source


def test_detect_source_refuses_an_unknown_shape(tmp_path: Path) -> None:
    unknown = tmp_path / "export.json"
    unknown.write_text('[{"ref": 1, "question": "?", "answer": "!"}]', encoding="utf-8")
    with pytest.raises(
        InputError, match=r"cannot tell which helpdesk export\.json comes from.*answer, question, ref"
    ):
        detect_source(unknown)
    broken = tmp_path / "broken.json"
    broken.write_text("not json at all", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.json: not valid JSON"):
        detect_source(broken)
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="holds no ticket objects"):
        detect_source(empty)


def test_a_file_that_is_no_json_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "tickets.json"
    path.write_text("<html>an error page saved instead of the export</html>", encoding="utf-8")
    items = list(reader_for("zendesk")(path))
    assert len(items) == 1
    assert isinstance(items[0], ImportProblem)
    assert items[0].location == "tickets.json"
    assert items[0].message.startswith("not valid JSON (lexical error: invalid char in json text.)")
    assert "<html>" not in items[0].message  # ijson's excerpt of the text is not repeated


def test_a_document_that_breaks_part_way_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    good = '{"id": 1, "description": "Help", "requester_id": 5, "comments": []}'
    path.write_text(f'{{"tickets": [{good}, {good.replace("1", "2", 1)}, {{"id": 3, "subj', encoding="utf-8")
    tickets, problems = _split(list(reader_for("zendesk")(path)))
    assert sorted(tickets) == ["1", "2"]
    assert tickets["1"].ticket_text == "Help"
    assert [p.location for p in problems] == ["cut.json:ticket[2]"]
    assert problems[0].message.startswith("the JSON breaks after ticket[1]")


def test_messages_without_author_markers_fall_back_to_the_requester(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    path.write_text(
        '{"id": 7, "requester_id": 1, "comments": ['
        '{"author_id": 2, "body": "Agent first", "created_at": "2024-01-01T10:00:00Z"},'
        '{"author_id": 1, "body": "<p>Customer <b>second</b></p>", "created_at": "2024-01-01T11:00:00Z"}]}\n',
        encoding="utf-8",
    )
    (ticket,) = read_history(path, "zendesk")
    assert isinstance(ticket, HistoryTicket)
    assert [m.author for m in ticket.messages] == [Author.AGENT, Author.CUSTOMER]
    assert ticket.ticket_text == "Customer second"
    assert ticket.created_at == _utc("2024-01-01 10:00:00")  # no ticket time: the first message's


def test_read_history_checks_its_options(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="name its columns"):
        read_history(FIXTURES / "tickets.csv")
    with pytest.raises(InputError, match="unknown source 'helpscout'"):
        read_history(FIXTURES / "tickets.csv", "helpscout")
    with pytest.raises(InputError, match="does not exist"):
        read_history(tmp_path / "missing.json", "zendesk")


def test_json_lines_named_json_survive_a_broken_first_line(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    ticket = '{"id": 9, "requester_id": 1, "description": "Kan ik later betalen?"}'
    path.write_text('{"id": 8, "requester_id": \n' + ticket + "\n", encoding="utf-8")
    tickets, problems = _split(list(read_history(path, "zendesk")))
    assert list(tickets) == ["9"]
    assert [p.location for p in problems] == ["export.json:line 1"]


def test_one_pretty_printed_ticket_is_read_as_a_document(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(
        '{\n "id": 12,\n "requester_id": 1,\n "description": "Δεν έχω ρεύμα."\n}\n', encoding="utf-8"
    )
    (ticket,) = read_history(path, "zendesk")
    assert isinstance(ticket, HistoryTicket)
    assert (ticket.external_id, ticket.ticket_text) == ("12", "Δεν έχω ρεύμα.")
    assert _authors(ticket) == [("customer", True)]


@pytest.mark.parametrize("tail", [b"\x95\xe2 maria@example.com \x95", b"maria@example.com says hi"])
def test_broken_json_errors_never_quote_the_file(tmp_path: Path, tail: bytes) -> None:
    """ijson quotes the bytes around an error (as bytes, when they are not UTF-8): none may reach
    a message, which is printed and stored with the import."""
    whole = tmp_path / "whole.json"
    whole.write_bytes(tail)
    with pytest.raises(InputError) as refused:
        detect_source(whole)
    assert "maria" not in str(refused.value)
    partial = tmp_path / "partial.json"
    partial.write_bytes(b'{"tickets": [{"id": 1, "requester_id": 1, "comments": []}, ' + tail)
    problems = [
        item
        for path in (whole, partial)
        for item in read_history(path, "zendesk")
        if isinstance(item, ImportProblem)
    ]
    assert problems and all("maria" not in p.message for p in problems)
