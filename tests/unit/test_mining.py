"""Mining canned-reply drafts: templates from redacted replies, clusters per intent, drafts that are
stored for review, and accepting or rejecting them. Histories are imported through the real
``import_history`` (so the replies are redacted as in production) and mined with the hashing fake."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from kb.db.schema import CannedResponse, ReplyDraft
from kb.library import Library
from kb.store import drafts as store_drafts
from kb.store.canned import canned_record, get_canned
from kb.store.drafts import (
    DraftEdit,
    MinedDraft,
    accept_draft,
    get_draft,
    list_drafts,
    reject_draft,
    save_mined,
)
from kb.templates import render_template, template_problems
from suggest.embed.fake import HashingEmbedder
from suggest.errors import ConfigError, ConflictError, InputError, NotFoundError
from tests.kb_helpers import make_library
from training.history import Author, HistoryTicket
from training.history.ingest import import_history
from training.history.types import Message
from training.mining import Group, MiningOptions, MiningRules, cluster_group, mine_drafts, templatise
from training.mining.cluster import embedding_text
from training.mining.mine import draft_title
from training.mining.replies import first_reply
from training.mining.templatise import (
    EXPRESSION,
    compile_order_patterns,
    load_mining_rules,
    marker_notes,
    mining_file,
)
from training.redact import RedactionRules, Redactor

FIRST = [
    "Anna",
    "Lotte",
    "Emma",
    "Julia",
    "Sara",
    "Fenna",
    "Tess",
    "Isa",
    "Lieke",
    "Femke",
    "Marloes",
    "Esther",
    "Ingrid",
    "Helga",
    "Birgit",
    "Ursula",
    "Katrin",
    "Petra",
    "Eleni",
    "Dimitra",
    "Katerina",
    "Ioanna",
    "Chloe",
    "Olivia",
    "Amelia",
    "Harriet",
    "Imogen",
    "Pieter",
    "Joost",
    "Bram",
    "Sander",
    "Wouter",
    "Jeroen",
    "Maarten",
    "Thijs",
    "Klaus",
    "Jurgen",
    "Stefan",
    "Wolfgang",
    "Nikos",
    "Giorgos",
    "Kostas",
    "Yannis",
    "Oliver",
    "Harry",
    "George",
    "Arthur",
    "Hendrik",
    "Floris",
    "Gijs",
]
LAST = [
    "Jansen",
    "Dijkstra",
    "Hoekstra",
    "Brouwer",
    "Dekker",
    "Hendriks",
    "Peeters",
    "Claes",
    "Willems",
    "Janssens",
    "Maes",
    "Wouters",
    "Goossens",
    "Mertens",
    "Lambrecht",
    "Schmitz",
    "Hoffmann",
    "Schulz",
    "Krause",
    "Zimmermann",
    "Hartmann",
    "Lange",
    "Werner",
    "Lehmann",
    "Papadopoulos",
    "Georgiou",
    "Nikolaidis",
    "Konstantinou",
    "Dimitriou",
    "Alexiou",
    "Thompson",
    "Robinson",
    "Walker",
    "Wright",
    "Edwards",
    "Hughes",
    "Collins",
    "Stewart",
    "Morris",
    "Rogers",
    "Reed",
    "Cooper",
    "Bailey",
    "Kelly",
    "Howard",
    "Ward",
    "Sutherland",
    "Richardson",
    "Fitzgerald",
    "Ramsay",
]
AGENTS = ("Lars Eriksen", "Mila Novak", "Tomas Lindqvist", "Rhea Costa", "Ivo Maas")
INVOICE = (
    "{greeting}\n\nThank you for your message about ticket #{ticket}. Your invoice for March includes a "
    "one-off installation fee, which is why it is higher than usual. From April on it will be back to the "
    "normal amount.\n\nKind regards,\n{agent}"
)
REFUND = (
    "Hi {first},\n\nI checked your account: we charged you twice by mistake. The second payment will be "
    "refunded to your bank account within five working days.\n\nBest wishes,\n{agent}"
)
VISIT = "Hi {first},\n\nOur engineer will visit you on {date} between 8 and 12.\n\nRegards,\n{agent}"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ticket(
    n: int, reply: str, *, intent: str | None = "invoice_question", language: str = "en"
) -> HistoryTicket:
    """Ticket ``n``: customer FIRST[n] LAST[n], agent AGENTS[n % 5], the agent's first reply ``reply``
    (formatted with the ticket's names and number), after an internal note, before a follow-up."""
    first, last, agent = FIRST[n % 50], LAST[n % 50], AGENTS[n % len(AGENTS)]
    ticket = str(48100 + n)
    greeting = f"Hi {first}," if n % 5 else f"Dear {'Mr' if n % 2 else 'Ms'} {last},"
    text = reply.format(greeting=greeting, first=first, ticket=ticket, agent=agent, date=f"{n % 28 + 1} June")
    at = START + timedelta(minutes=n)
    return HistoryTicket(
        source="jsonl",
        external_id=ticket,
        subject=f"Question from {first}",
        messages=(
            Message(Author.CUSTOMER, f"Hello, my invoice is too high.\n\nRegards, {first} {last}", at),
            Message(Author.AGENT, f"Note: {first} called earlier.", at, agent, public=False),
            Message(Author.AGENT, text, at + timedelta(hours=1), agent),
            Message(Author.CUSTOMER, f"Thanks! {first}", at + timedelta(hours=2)),
            Message(Author.AGENT, f"You're welcome, {first}.", at + timedelta(hours=3), agent),
        ),
        customer_names=(f"{first} {last}",),
        customer_emails=(f"{first.lower()}.{last.lower()}@example.com",),
        fields={} if intent is None else {"intent": intent},
        language=language,
    )


def _import(library: Library, tenant: str, tickets: Iterable[HistoryTicket]) -> None:
    redactor = Redactor(RedactionRules())
    import_history(
        library.store.engine,
        tenant,
        tickets,
        redactor,
        file_name="history.jsonl",
        sha256="0" * 64,
        source="jsonl",
    )


def _drafts(library: Library, tenant: str = "acme", **filters: object) -> list[ReplyDraft]:
    with library.store.session() as session:
        return list_drafts(session, tenant, limit=200, **filters)[0]  # type: ignore[arg-type]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    library = make_library(tmp_path, tenants=("acme", "other"))
    yield library
    library.close()


def test_one_reply_sent_to_fifty_customers_becomes_one_draft_without_their_names(library: Library) -> None:
    _import(library, "acme", (_ticket(n, INVOICE) for n in range(50)))
    summary = mine_drafts(library.store, "acme", library.embedder)
    assert (summary.tickets, summary.replies, summary.clusters, summary.created) == (50, 50, 1, 1)
    [draft] = _drafts(library)
    assert draft.body.startswith("Hi {{ customer_first_name }},\n\nThank you for your message about ticket ")
    assert "#{{ ticket_number }}." in draft.body
    assert draft.body.endswith("Kind regards,\n{{ agent_name }}")
    assert draft.variables == ["agent_name", "customer_first_name", "ticket_number"]
    assert (draft.usage_count, draft.coverage, draft.markers, draft.status) == (50, 1.0, [], "pending")
    assert (draft.intent, draft.language) == ("invoice_question", "en")
    assert len(draft.examples) == 5 and set(draft.examples) <= {str(48100 + n) for n in range(50)}
    shown = " ".join([draft.title, draft.body, *draft.examples])
    for name in (*FIRST, *LAST, *(part for agent in AGENTS for part in agent.split())):
        assert not re.search(rf"\b{name}\b", shown, re.IGNORECASE), name
    assert template_problems(draft.body, draft.variables) == []
    rendered = render_template(
        draft.body, draft.variables, {"customer_first_name": "Zoe", "ticket_number": "7", "agent_name": "Kim"}
    )
    assert rendered.text.startswith("Hi Zoe,\n\nThank you for your message about ticket #7.")


def test_two_replies_make_two_drafts_by_usage_and_a_rare_reply_none(library: Library) -> None:
    tickets = [_ticket(n, REFUND) for n in range(4)]
    tickets += [_ticket(n, INVOICE) for n in range(4, 10)]
    tickets += [
        _ticket(n, "Hi {first}, please send us a photo of the meter.\n{agent}") for n in range(10, 12)
    ]
    _import(library, "acme", tickets)
    summary = mine_drafts(library.store, "acme", library.embedder, MiningOptions(min_uses=3))
    drafts = _drafts(library)
    assert [d.usage_count for d in drafts] == [6, 4]
    assert "installation fee" in drafts[0].body and "charged you twice" in drafts[1].body
    assert [d.coverage for d in drafts] == [0.5, pytest.approx(4 / 12, abs=1e-4)]
    assert not any("photo" in d.body for d in drafts)
    assert (summary.replies, summary.clusters) == (12, 2)
    assert drafts[1].title == "I checked your account: we charged you twice by mistake."


def test_dates_become_markers_that_block_accept_until_edited(library: Library) -> None:
    _import(library, "acme", (_ticket(n, VISIT, intent="maintenance_booking") for n in range(1, 5)))
    mine_drafts(library.store, "acme", library.embedder, MiningOptions(threshold=0.9))
    [draft] = _drafts(library)
    assert "on [DATE] between 8 and 12" in draft.body
    assert draft.markers == ["[DATE]"] and draft.usage_count == 4
    assert any("no date variable" in note for note in marker_notes(draft.markers, draft.body))
    with library.store.session() as session, pytest.raises(InputError, match=r"still contains \[DATE\]"):
        accept_draft(session, "acme", draft.id, DraftEdit(), reviewer="test")
    edited = draft.body.replace("on [DATE] between", "on the agreed day between")
    with library.store.session() as session:
        response = accept_draft(session, "acme", draft.id, DraftEdit(body=edited), reviewer="test")
        record = canned_record(get_canned(session, "acme", response.id))
        stored = get_draft(session, "acme", draft.id)
        assert (stored.status, stored.canned_id, stored.reviewed_by) == (
            "accepted",
            record.external_id,
            "test",
        )
        assert stored.body == draft.body  # the mined text stays; the edit went to the canned response
    assert record.state == "active" and record.intents == ["maintenance_booking"]
    assert record.variables == ["agent_name", "customer_first_name"]
    assert record.variants[0].body == edited and record.category == "answer"
    library.index.refresh("acme")
    hits = library.search.search("acme", "engineer visit on the agreed day", kinds=("canned",)).hits
    assert [h.external_id for h in hits] == [record.external_id]
    with library.store.session() as session, pytest.raises(ConflictError, match="accepted already"):
        accept_draft(session, "acme", draft.id, DraftEdit(body=edited), reviewer="test")


def test_accept_validates_the_edited_template_and_refuses_taken_external_ids(library: Library) -> None:
    _import(library, "acme", (_ticket(n, REFUND) for n in range(3)))
    mine_drafts(library.store, "acme", library.embedder)
    [draft] = _drafts(library)
    with library.store.session() as session, pytest.raises(InputError, match="does not parse"):
        accept_draft(session, "acme", draft.id, DraftEdit(body="Hi {{ customer_first_name"), reviewer="t")
    with library.store.session() as session, pytest.raises(InputError, match="not an allowlisted variable"):
        accept_draft(session, "acme", draft.id, DraftEdit(body="Hi {{ password }}"), reviewer="t")
    with library.store.session() as session:
        accept_draft(session, "acme", draft.id, DraftEdit(external_id="refund"), reviewer="t")
    _import(library, "acme", (_ticket(n, INVOICE) for n in range(10, 13)))
    mine_drafts(library.store, "acme", library.embedder)
    [pending] = _drafts(library, status="pending")
    with library.store.session() as session, pytest.raises(ConflictError, match="exists already"):
        accept_draft(session, "acme", pending.id, DraftEdit(external_id="refund"), reviewer="t")
    with library.store.session() as session:
        assert session.scalar(select(func.count()).select_from(CannedResponse)) == 1


def test_two_accepts_at_once_publish_a_draft_once(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both requests read the draft as pending before either writes; only one may publish it."""
    _import(library, "acme", (_ticket(n, REFUND) for n in range(3)))
    mine_drafts(library.store, "acme", library.embedder)
    [draft] = _drafts(library)
    both_read = threading.Barrier(2, timeout=10)
    check = store_drafts._check_markers

    def after_both_read(*args: object) -> None:
        both_read.wait()
        check(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(store_drafts, "_check_markers", after_both_read)
    outcomes: dict[str, str] = {}

    def accept(name: str) -> None:
        try:
            with library.store.session() as session:
                accept_draft(session, "acme", draft.id, DraftEdit(external_id=name), reviewer=name)
            outcomes[name] = "accepted"
        except ConflictError as err:
            outcomes[name] = str(err)

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [winner] = [name for name, outcome in outcomes.items() if outcome == "accepted"]
    [refused] = [outcome for outcome in outcomes.values() if outcome != "accepted"]
    assert f"accepted already as canned response '{winner}'" in refused
    with library.store.session() as session:
        assert session.scalars(select(CannedResponse.external_id)).all() == [winner]
        stored = get_draft(session, "acme", draft.id)
        assert (stored.status, stored.canned_id, stored.reviewed_by) == ("accepted", winner, winner)


def _mined(body: str, uses: int) -> MinedDraft:
    return MinedDraft("refund", "en", "Refund", body, (), (), uses, 0.5, ("48100",))


def test_a_draft_stored_by_another_mining_run_meanwhile_is_merged_not_a_500(library: Library) -> None:
    """Two mining runs of one tenant: the other one stores the draft after this one read the stored
    drafts; this one's insert breaks the unique fingerprint and it merges again."""
    body = "Your refund is on its way."

    def other_run(*_args: object) -> None:
        with library.store.session() as other:
            assert save_mined(other, "acme", "refund", "en", [_mined(body, 3)]) == ["created"]

    with library.store.session() as session:
        event.listen(session, "before_flush", other_run, once=True)
        assert save_mined(session, "acme", "refund", "en", [_mined(body, 5)]) == ["updated"]
    [draft] = _drafts(library)
    assert (draft.body, draft.usage_count, draft.status) == (body, 5, "pending")


def test_mining_that_collides_twice_is_a_conflict(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    tries: list[int] = []

    def taken(*_args: object, **_kwargs: object) -> list[str]:
        tries.append(1)
        raise IntegrityError("INSERT INTO reply_drafts", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(store_drafts, "_merge", taken)
    with library.store.session() as session, pytest.raises(ConflictError, match="Run mining once more"):
        save_mined(session, "acme", "refund", "en", [_mined("Your refund is on its way.", 3)])
    assert len(tries) == 2


def test_mining_again_updates_counts_and_never_re_offers_a_rejected_reply(library: Library) -> None:
    _import(
        library, "acme", [_ticket(n, INVOICE) for n in range(5)] + [_ticket(n, REFUND) for n in range(5, 9)]
    )
    mine_drafts(library.store, "acme", library.embedder)
    invoice, refund = _drafts(library)
    with library.store.session() as session:
        reject_draft(session, "acme", refund.id, reviewer="test")
    _import(
        library,
        "acme",
        [_ticket(n, INVOICE) for n in range(20, 23)] + [_ticket(n, REFUND) for n in range(23, 30)],
    )
    summary = mine_drafts(library.store, "acme", library.embedder)
    assert (summary.created, summary.updated, summary.kept_rejected) == (0, 1, 1)
    drafts = {d.id: d for d in _drafts(library)}
    assert set(drafts) == {invoice.id, refund.id}
    assert drafts[invoice.id].usage_count == 8 and drafts[invoice.id].status == "pending"
    assert drafts[refund.id].status == "rejected" and drafts[refund.id].usage_count == 4
    assert [d.id for d in _drafts(library, status="pending")] == [invoice.id]


def test_a_draft_is_found_again_when_more_history_moves_its_medoid(library: Library) -> None:
    short = "Hi {first},\n\nYour invoice includes a one-off installation fee.\n\nKind regards,\n{agent}"
    longer = short.replace("fee.", "fee, so it is higher this month.")
    _import(library, "acme", (_ticket(n, short) for n in range(3)))
    mine_drafts(library.store, "acme", library.embedder, MiningOptions(threshold=0.8))
    [before] = _drafts(library)
    _import(library, "acme", (_ticket(n, longer) for n in range(10, 16)))
    summary = mine_drafts(library.store, "acme", library.embedder, MiningOptions(threshold=0.8))
    [after] = _drafts(library)
    assert (summary.created, summary.updated) == (0, 1)
    assert after.id == before.id and after.usage_count == 9


def test_drafts_are_per_tenant(library: Library) -> None:
    _import(library, "other", (_ticket(n, INVOICE) for n in range(5)))
    assert mine_drafts(library.store, "acme", library.embedder).created == 0
    assert mine_drafts(library.store, "other", library.embedder).created == 1
    assert _drafts(library, "acme") == []
    [theirs] = _drafts(library, "other")
    with library.store.session() as session:
        for act in (
            lambda: get_draft(session, "acme", theirs.id),
            lambda: reject_draft(session, "acme", theirs.id, reviewer="x"),
            lambda: accept_draft(session, "acme", theirs.id, DraftEdit(), reviewer="x"),
        ):
            with pytest.raises(NotFoundError):
                act()


def test_groups_are_per_intent_and_language_and_unlabelled_tickets_count(library: Library) -> None:
    tickets = [_ticket(n, INVOICE) for n in range(3)]
    tickets += [_ticket(n, INVOICE, intent="billing") for n in range(3, 6)]
    tickets += [_ticket(n, INVOICE, intent="none") for n in range(6, 9)]
    tickets += [_ticket(n, INVOICE, language="nl") for n in range(9, 12)]
    _import(library, "acme", tickets)
    summary = mine_drafts(library.store, "acme", library.embedder)
    assert summary.groups == 4
    got = sorted((d.intent or "", d.language, d.usage_count) for d in _drafts(library))
    assert got == [
        ("", "en", 3),
        ("billing", "en", 3),
        ("invoice_question", "en", 3),
        ("invoice_question", "nl", 3),
    ]
    assert [d.intent for d in _drafts(library, unlabelled=True)] == [None]


def test_threshold_decides_whether_near_duplicates_merge() -> None:
    near = "Thank you. Your invoice includes a one-off installation fee, so it is higher this month."
    variants = {
        near: 5,
        near.replace("Thank you.", "Thanks a lot."): 3,
        "To restart the inverter, switch off the isolator and wait five minutes.": 4,
    }
    group = Group(max_examples=5)
    for n, (text, count) in enumerate(variants.items()):
        for k in range(count):
            group.add(templatise(text), f"{n}-{k}")
    embedder = HashingEmbedder()
    vectors = embedder.embed(list(variants), kind="passage")
    similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert unrelated < similar < 0.95  # the fake: small edits stay below the e5 default
    merged = cluster_group(group, embedder, threshold=(similar + unrelated) / 2, min_uses=3)
    assert [(c.size, c.representative.template.body) for c in merged] == [(8, near), (4, list(variants)[2])]
    assert merged[0].examples == ("0-0", "0-1", "0-2", "0-3", "0-4")
    assert [c.size for c in cluster_group(group, embedder, min_uses=3)] == [5, 4, 3]


def test_the_medoid_is_the_reply_closest_to_all_replies() -> None:
    """The most-used reply leads the cluster; the representative is the one closest to every reply."""
    group = Group(max_examples=5)
    for text, count in (("base", 2), ("base one", 1), ("base one two", 2)):
        for _ in range(count):
            group.add(templatise(text), text)

    class Fixed:
        name, dim = "fixed", 2

        def embed(self, batch: list[str], kind: str = "query") -> np.ndarray:
            angles = [{"base": 0.0, "base one": 0.2, "base one two": 0.4}[t] for t in batch]
            return np.array([[np.cos(a), np.sin(a)] for a in angles], dtype=np.float32)

    [cluster] = cluster_group(group, Fixed(), threshold=0.9, min_uses=1)  # type: ignore[arg-type]
    assert cluster.size == 5 and cluster.representative.template.body == "base one"
    assert cluster.examples == ("base one", "base", "base", "base one two", "base one two")


def test_memory_bound_forgets_the_least_used_templates(library: Library) -> None:
    rng = np.random.default_rng(7)
    words = [f"w{n}x{n * 7 % 13}" for n in range(300)]
    unique = [_ticket(n, "Hi {first}, " + " ".join(rng.choice(words, 8)) + ".\n{agent}") for n in range(150)]
    _import(library, "acme", [*unique, *(_ticket(n, INVOICE) for n in range(150, 160))])
    summary = mine_drafts(library.store, "acme", library.embedder, MiningOptions(max_distinct=100))
    assert summary.forgotten >= 50 and summary.replies == 160
    [draft] = _drafts(library)
    assert draft.usage_count == 10 and draft.coverage == pytest.approx(10 / 160, abs=1e-4)


def test_first_reply_is_the_first_public_agent_answer_to_the_customer() -> None:
    thread = [
        {"author": "agent", "agent": True, "public": True, "text": "Outbound: your panels are installed."},
        {"author": "customer", "agent": False, "public": True, "text": "Why is my invoice high?"},
        {"author": "agent", "agent": True, "public": False, "text": "internal note"},
        {"author": "system", "agent": False, "public": True, "text": "Auto: we got your mail"},
        {"author": "agent", "agent": True, "public": True, "text": "  "},
        {"author": "agent", "agent": True, "public": True, "text": "Because of a one-off fee."},
        {"author": "agent", "agent": True, "public": True, "text": "Anything else?"},
    ]
    assert first_reply(thread) == "Because of a one-off fee."
    assert first_reply(thread[:5]) is None


def test_templatise_variables_numbers_and_escaping() -> None:
    reply = (
        "Dear Mr [NAME], hi [FIRST_NAME]!\nYour bestelling 55123 (order HP-2026-1187, ref SO-0042117) and "
        "ticket #48213 / Ticketnummer: 9981 / case T-77812. Code {{ x }} {% if %} {#c#} {[FIRST_NAME]}.\n"
        "Mail [EMAIL], call [PHONE]. Agent [AGENT_NAME] [AGENT_NAME], [ORDER_NUMBER]."
    )
    rules = MiningRules(order_patterns=(r"\bref (?P<number>SO-[0-9]{7})\b",))
    template = templatise(
        reply, ticket_id="T-77812", subject="Bestelling 55123", order_patterns=compile_order_patterns(rules)
    )
    assert template.variables == (
        "agent_name",
        "customer_first_name",
        "customer_name",
        "order_number",
        "ticket_number",
    )
    assert template.markers == ("[EMAIL]", "[PHONE]")
    assert template_problems(template.body, template.variables) == []
    values = {
        "customer_name": "N",
        "customer_first_name": "F",
        "agent_name": "A",
        "order_number": "O",
        "ticket_number": "T",
    }
    assert render_template(template.body, template.variables, values).text == (
        "Dear Mr N, hi F!\nYour bestelling O (order O, ref O) and ticket #T / Ticketnummer: T / case T. "
        "Code {{ x }} {% if %} {#c#} {F}.\nMail [EMAIL], call [PHONE]. Agent A, O."
    )
    assert any("salutation" in note for note in marker_notes(template.markers, template.body))
    assert "ref SO-0042117" in templatise(reply).body  # a tenant pattern, not a built-in one


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We come on Monday, 12 March 2026 at 14:30.", "We come on [DATE] at [TIME]."),
        ("Wij komen maandag 3 juni om 9:00 uur.", "Wij komen [DATE] om [TIME]."),
        (
            "Termin am 12.03.2026 um 10 Uhr, Rechnung vom 2026-03-12.",
            "Termin am [DATE] um [TIME], Rechnung vom [DATE].",
        ),
        ("Θα έρθουμε την Τρίτη 12 Μαρτίου στις 10:00.", "Θα έρθουμε την [DATE] στις [TIME]."),
        ("Για τρίτη φορά: May I help? In March, 24/7, € 12.50, v1.2.3, 10.30, 2026.", None),
    ],
)
def test_dates_and_times_become_markers_in_four_languages(text: str, expected: str | None) -> None:
    template = templatise(text)
    assert template.body == (expected or text)
    assert set(template.markers) == set(re.findall(r"\[[A-Z]+\]", expected or ""))


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from([*"ab {}%#-[]\n", "[NAME]", "{{", "{%", "{#", "%}", "}}"])).map("".join))
def test_any_literal_text_becomes_a_valid_template_that_renders_it_unchanged(text: str) -> None:
    """Braces, percent and hash signs from an agent are text, never Jinja: the template validates and
    renders the agent's words back (only [NAME] becomes the variable)."""
    template = templatise(text)
    assert template_problems(template.body, template.variables) == []
    rendered = render_template(template.body, template.variables, {"customer_name": "[NAME]"}).text
    assert rendered == re.sub(r"\[NAME\](?:[ \t]+\[NAME\])+", "[NAME]", text.replace("\r\n", "\n").strip())


def test_tenant_order_patterns_come_from_mining_yaml(tmp_path: Path) -> None:
    assert load_mining_rules(tmp_path, "acme") == MiningRules()
    path = mining_file(tmp_path, "acme")
    path.parent.mkdir(parents=True)
    path.write_text("order_patterns: ['\\bSO-[0-9]{7}\\b']\n", encoding="utf-8")
    patterns = compile_order_patterns(load_mining_rules(tmp_path, "acme"))
    assert templatise("SO-0042117 ships.", order_patterns=patterns).body == "{{ order_number }} ships."
    path.write_text("order_patterns: ['SO-[0-9']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="does not compile"):
        load_mining_rules(tmp_path, "acme")
    path.write_text("order_pattern: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mining rules are invalid"):
        load_mining_rules(tmp_path, "acme")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ihre Bestellnummer: 77123 ist unterwegs.", "Ihre Bestellnummer: {{ order_number }} ist unterwegs."),
        (
            "Η παραγγελία σας 55123 στάλθηκε, αίτημα 4821.",
            "Η παραγγελία σας {{ order_number }} στάλθηκε, αίτημα {{ ticket_number }}.",
        ),
        (
            "Order no. 9912 took 12 days; see case 12.",
            "Order no. {{ order_number }} took 12 days; see case 12.",
        ),
        (
            "Uw melding #5521 over bestelling 88231.",
            "Uw melding #{{ ticket_number }} over bestelling {{ order_number }}.",
        ),
    ],
)
def test_ticket_and_order_cues_in_four_languages(text: str, expected: str) -> None:
    assert templatise(text).body == expected


def test_titles_and_embedding_text_drop_the_same_expressions() -> None:
    body = templatise("Hi [NAME], order HP-2026-1187 ships; type {{x}} to stop.").body
    assert EXPRESSION.findall(body) == ["{{ customer_name }}", "{{ order_number }}", "{{ '{' }}"]
    assert embedding_text(body).split() == ["Hi", ",", "order", "ships;", "type", "{x}}", "to", "stop."]
    assert draft_title(body, None) == "Hi …, order … ships;"
