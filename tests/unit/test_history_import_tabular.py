"""CSV/JSONL tables with a column map, the shared value parsers, progress and streaming memory."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from suggest.errors import InputError
from training.history import ColumnMap, Csat, HistoryTicket, ImportProblem, Item, read_history, reader_for
from training.history.values import TIMESTAMP_FORMATS, csat_value, describe, timestamp

FIXTURES = Path(__file__).parent.parent / "fixtures" / "history"
CSV_COLUMNS = ColumnMap(
    id="ticket_id",
    text="body",
    subject="subject",
    reply="agent_reply",
    customer_name="name",
    customer_email="email",
    tags="labels",
    csat="rating",
    created_at="opened",
    language="lang",
    fields={"intent": "intent", "sentiment": "sentiment"},
)
THREAD_COLUMNS = ColumnMap(
    thread="conversation",
    subject="topic",
    tags="tags",
    csat="csat",
    language="lang",
    fields={"intent": "intent"},
)


def _split(items: list[Item]) -> tuple[dict[str, HistoryTicket], list[ImportProblem]]:
    tickets = {i.external_id: i for i in items if isinstance(i, HistoryTicket)}
    return tickets, [i for i in items if isinstance(i, ImportProblem)]


def test_csv_rows_become_a_customer_message_and_an_agent_reply() -> None:
    tickets, _ = _split(list(read_history(FIXTURES / "tickets.csv", columns=CSV_COLUMNS)))
    assert sorted(tickets) == ["T-1", "T-2", "T-4", "T-6"]
    invoice = tickets["T-1"]
    assert invoice.source == "csv"
    assert [m.author.value for m in invoice.messages] == ["customer", "agent"]
    assert invoice.ticket_text == "Where is my invoice for May?"
    assert invoice.agent_replies()[0].text == "Hi Kim, it was sent on 3 June; I have re-sent it."
    assert invoice.tags == ("billing", "invoice")
    assert invoice.fields == {"intent": "invoice_missing", "sentiment": "neutral"}
    assert invoice.csat == Csat(1.0, "good", None)  # 5 on the 1-5 scale
    assert invoice.customer_names == ("Kim Lee",)
    assert invoice.language == "en"
    outage = tickets["T-2"]
    assert (
        outage.ticket_text == "Geen stroom sinds vanmorgen.\nMijn buren ook niet."
    )  # a quoted cell over two lines
    assert outage.agent_replies() == []
    assert outage.tags == ("storing", "urgent")  # split on |
    assert outage.csat == Csat(0.2, "bad", None)  # a fraction
    assert outage.created_at == datetime(2024, 6, 11, 7, 30, tzinfo=UTC)  # +02:00
    assert tickets["T-4"].created_at == datetime(2024, 6, 10, 6, 13, 20, tzinfo=UTC)  # Unix seconds
    assert tickets["T-6"].created_at is None
    assert tickets["T-6"].csat == Csat(0.0, "bad", None)


def test_csv_problems_name_the_line_where_the_row_starts() -> None:
    _, problems = _split(list(read_history(FIXTURES / "tickets.csv", columns=CSV_COLUMNS)))
    assert [(p.location, p.message.split(";")[0]) for p in problems] == [
        ("tickets.csv:line 5", "no ticket id ('ticket_id' is missing or empty)"),
        (
            "tickets.csv:line 6 (id T-4)",
            "column 'rating': expected a rating (good/bad, a fraction from 0.0 to 1.0 "
            "or a whole number from 1 to 5), found a text of 5 characters",
        ),
        ("tickets.csv:line 7", "has 13 cells, the header has 12"),
        (
            "tickets.csv:line 8 (id T-6)",
            f"column 'opened': expected a timestamp ({TIMESTAMP_FORMATS}), found a text of 12 characters",
        ),
        ("tickets.csv:line 9 (id T-7)", "column 'body' is missing or empty"),
    ]


def test_csv_column_names_are_checked_against_the_header() -> None:
    columns = CSV_COLUMNS.model_copy(update={"text": "message"})
    with pytest.raises(
        InputError, match=r"tickets\.csv has no column 'message'; its columns are ticket_id, "
    ):
        list(read_history(FIXTURES / "tickets.csv", columns=columns))


def test_jsonl_threads_keep_their_authors_and_order() -> None:
    tickets, problems = _split(list(read_history(FIXTURES / "threads.jsonl", columns=THREAD_COLUMNS)))
    assert sorted(tickets) == ["5", "C-1", "C-2"]
    switch = tickets["C-1"]
    assert switch.source == "jsonl"
    assert [(m.author.value, m.public) for m in switch.messages] == [
        ("customer", True),
        ("agent", False),  # the note is earlier than the reply
        ("agent", True),
    ]
    assert switch.agent_replies()[0].author_name == "Iris"
    assert switch.csat == Csat(0.75, "good", None)  # 4 of 5
    assert switch.tags == ("switch", "new_customer")
    assert switch.fields == {"intent": "switch_supplier"}
    meter = tickets["C-2"]  # the thread is JSON text inside the cell
    assert meter.ticket_text == "Wanneer krijg ik een slimme meter?"
    assert meter.csat == Csat(1.0, "good", None)
    assert tickets["5"].csat == Csat(0.5, None, None)  # the middle of the scale is neither
    assert tickets["5"].language == "el"
    assert [(p.location, p.message.split(";")[0]) for p in problems] == [
        (
            "threads.jsonl:line 2 (id C-2)",
            "thread[1].author: expected customer, agent or system, found a text of 3 characters",
        ),
        ("threads.jsonl:line 3", "not valid JSON (Invalid control character at character 87)"),
        ("threads.jsonl:line 4 (id C-4)", "no public customer message"),
    ]


def test_column_map_needs_exactly_one_message_layout() -> None:
    with pytest.raises(ValidationError, match="name either the message column"):
        ColumnMap()
    with pytest.raises(ValidationError, match="name either the message column"):
        ColumnMap(text="body", thread="conversation")
    with pytest.raises(ValidationError, match="reply"):
        ColumnMap(thread="conversation", reply="answer")
    with pytest.raises(ValidationError, match="Extra inputs"):
        ColumnMap(text="body", label="intent")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T09:30:00Z", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        ("2024-03-01T11:30:00+02:00", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        ("2024-03-01 09:30:00", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),  # no offset: taken as UTC
        (1709285400, datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        (1709285400000, datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),  # milliseconds
        ("1709285400.5", datetime(2024, 3, 1, 9, 30, 0, 500000, tzinfo=UTC)),
        ("20240301", datetime(2024, 3, 1, tzinfo=UTC)),  # too short for Unix time: an ISO date
        ("", None),
        (None, None),
    ],
)
def test_timestamps_become_aware_utc(value: object, expected: datetime | None) -> None:
    parsed = timestamp(value)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is UTC


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", True, [2024]])
def test_unreadable_timestamps_raise(value: object) -> None:
    with pytest.raises(ValueError, match=r"timestamp|Unix time"):
        timestamp(value)


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        ("good", 5, Csat(1.0, "good")),
        ("Bad", 5, Csat(0.0, "bad")),
        ("1", 5, Csat(0.0, "bad")),
        (3, 5, Csat(0.5, None)),
        ("0.9", 5, Csat(0.9, "good")),
        (1.0, 5, Csat(1.0, "good")),  # written as a fraction
        (7, 10, Csat(0.6667, "good")),
        ("", 5, None),
    ],
)
def test_csat_values(value: object, scale: int, expected: Csat | None) -> None:
    assert csat_value(value, scale_max=scale) == expected


@pytest.mark.parametrize("value", ["great", "6", 0, "1.5", -0.2])
def test_bad_csat_values_raise(value: object) -> None:
    with pytest.raises(ValueError, match="rating"):
        csat_value(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "nothing (null)"),
        (True, "true/false"),
        (7, "a number above 5"),
        (0, "a number below 1"),
        (2.5, "a number with a fraction"),
        (float("inf"), "a number that is not finite"),
        (" 0612345678 ", "a number of 10 digits written as text"),
        ("2024-13-01", "a text of 10 characters, digits and punctuation only"),
        ("Jan, jan@example.nl", "a text of 19 characters"),
        (["Jan"], "a list of 1 item"),
        ({"name": "Jan"}, "an object"),
    ],
)
def test_describe_names_the_kind_of_value_never_its_content(value: object, expected: str) -> None:
    assert describe(value, low=1, high=5) == expected


def test_progress_reports_bytes_up_to_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for n in range(1000):
            f.write(json.dumps({"id": n, "text": f"Question {n}"}) + "\n")
    seen: list[tuple[int, int]] = []
    count = sum(
        1
        for item in reader_for("jsonl")(
            path, columns=ColumnMap(text="text"), progress=lambda d, t: seen.append((d, t))
        )
        if isinstance(item, HistoryTicket)
    )
    size = path.stat().st_size
    assert count == 1000
    assert len(seen) >= 5
    assert all(total == size for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (size, size)


def test_a_large_export_streams_in_a_fraction_of_its_size(tmp_path: Path) -> None:
    """A JSON array is read record by record: peak memory stays far below the file's size."""
    path = tmp_path / "big.json"
    body = "My meter shows an error and the display flickers since this morning. " * 16
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for n in range(4000):
            comments = [
                {"author_id": 1, "body": f"{n} {body}", "public": True, "created_at": 1704067200 + n},
                {"author_id": 2, "body": f"Reply {n}: {body}", "public": True, "created_at": 1704067300 + n},
            ]
            ticket = {"id": n, "subject": f"Ticket {n}", "requester_id": 1, "comments": comments}
            f.write(("," if n else "") + json.dumps(ticket))
        f.write("]")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        tickets = sum(isinstance(item, HistoryTicket) for item in read_history(path, "zendesk"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tickets == 4000
    assert size > 8_000_000
    assert peak < size * 0.05, f"peak {peak:,} bytes for a {size:,}-byte file"
