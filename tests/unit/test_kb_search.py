"""Search: filters, one hit per article, language fallback, and deletions that take effect at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.library import Library
from kb.records import CannedIn
from kb.store.articles import delete_article
from kb.store.canned import canned_record, get_canned, save_canned
from suggest.errors import InputError, NotFoundError
from tests.kb_helpers import add, article, canned, make_library

INVERTER = "## Error codes\n\nThe inverter shows error code E05 when insulation fails."
INVOICE = "## Invoices\n\nYour invoice and payment details are in the portal."


@pytest.fixture
def library(tmp_path: Path) -> Library:
    library = make_library(tmp_path, tenants=("acme", "other"))
    add(
        library,
        "acme",
        article("inverter-en", INVERTER, canonical_id="inverter"),
        article(
            "inverter-nl",
            "## Foutcodes\n\nDe omvormer toont foutcode E05.",
            language="nl",
            canonical_id="inverter",
        ),
        article("invoice-en", INVOICE, canonical_id="invoice"),
        canned(
            "ack",
            {"en": "Thanks, we received ticket {{ ticket_number }}."},
            category="ack_in_hours",
            variables=["ticket_number"],
        ),
        canned(
            "inverter-help",
            {"en": "Please send a photo of the inverter error code."},
            intents=["inverter_error"],
        ),
    )
    add(library, "other", article("secret", "The inverter error code E05 secret of another tenant."))
    library.index.refresh("acme")
    library.index.refresh("other")
    return library


def test_the_best_hit_matches_and_hits_carry_snippet_url_and_score(library: Library) -> None:
    result = library.search.search("acme", "inverter error code E05", k=3, language="en")
    best = result.hits[0]
    assert best.external_id in {"inverter-en", "inverter-help"}
    assert all(h.language == "en" for h in result.hits) and not result.fallback
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    passage = next(h for h in result.hits if h.kind == "passage")
    assert "E05" in passage.snippet and passage.heading == "Error codes"


def test_tenants_never_see_each_other(library: Library) -> None:
    hits = library.search.search("acme", "secret of another tenant", k=10).hits
    assert "secret" not in {h.external_id for h in hits}
    other = library.search.search("other", "inverter", k=10).hits
    assert {h.external_id for h in other} == {"secret"}


def test_one_hit_per_article(library: Library) -> None:
    add(library, "acme", article("long", "\n\n".join(f"## Part {i}\n\ninverter part {i}" for i in range(6))))
    library.index.refresh("acme")
    hits = library.search.search("acme", "inverter part", k=10, kinds=("passage",)).hits
    ids = [h.id for h in hits]
    assert len(ids) == len(set(ids))


def test_filters_by_kind_category_and_intent(library: Library) -> None:
    only_canned = library.search.search("acme", "inverter", k=10, kinds=("canned",)).hits
    assert only_canned and {h.kind for h in only_canned} == {"canned"}
    acks = library.search.search("acme", "inverter", k=10, kinds=("canned",), category="ack_in_hours").hits
    assert [h.external_id for h in acks] == ["ack"]
    by_intent = library.search.search("acme", "photo", k=10, kinds=("canned",), intent="inverter_error").hits
    assert [h.external_id for h in by_intent] == ["inverter-help"]


def test_language_first_then_fallback_across_languages_marked(library: Library) -> None:
    dutch = library.search.search("acme", "omvormer foutcode E05", k=3, language="nl")
    assert dutch.hits[0].external_id == "inverter-nl" and not dutch.hits[0].cross_language
    assert dutch.fallback
    others = dutch.hits[1:]
    assert others and all(h.cross_language and h.language == "en" for h in others)
    assert "inverter-en" not in {h.external_id for h in others}, "a translation of a hit is not repeated"


def test_a_language_with_no_content_falls_back_and_says_so(library: Library) -> None:
    result = library.search.search("acme", "inverter error code", k=2, language="el")
    assert result.fallback and result.hits and all(h.cross_language for h in result.hits)
    strict = library.search.search("acme", "inverter error code", k=2, language="el", fallback=False)
    assert strict.hits == [] and not strict.fallback


def test_a_deleted_article_disappears_before_any_rebuild(library: Library) -> None:
    before = library.search.search("acme", "invoice payment portal", k=1).hits[0]
    assert before.external_id == "invoice-en"
    with library.store.session() as session:
        delete_article(session, "acme", before.id)
    after = library.search.search("acme", "invoice payment portal", k=5).hits
    assert "invoice-en" not in {h.external_id for h in after}


def test_an_archived_canned_response_is_not_suggested(library: Library) -> None:
    with library.store.session() as session:
        ack = next(
            get_canned(session, "acme", h.id)
            for h in library.search.search("acme", "received ticket", k=5, kinds=("canned",)).hits
            if h.external_id == "ack"
        )
        record: CannedIn = canned_record(ack).model_copy(update={"state": "archived"})
        save_canned(session, "acme", record, source="test", response_id=ack.id)
    hits = library.search.search("acme", "received ticket", k=5, kinds=("canned",)).hits
    assert "ack" not in {h.external_id for h in hits}


@pytest.mark.parametrize("k", [0, 51])
def test_k_out_of_range_is_refused(library: Library, k: int) -> None:
    with pytest.raises(InputError, match="k must be between 1 and 50"):
        library.search.search("acme", "x", k=k)


def test_an_empty_tenant_returns_no_hits(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    assert library.search.search("acme", "anything").hits == []


def test_an_unknown_tenant_is_an_error_and_makes_no_index_folder(library: Library, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no tenant 'ghost'"):
        library.search.search("ghost", "anything")
    assert not (tmp_path / "index" / "ghost").exists()


@pytest.mark.parametrize("tenant", ["../acme", "a/b", "Acme", ""])
def test_a_tenant_id_can_never_name_a_path_outside_the_index(library: Library, tenant: str) -> None:
    with pytest.raises(InputError, match="lowercase slug"):
        library.search.search(tenant, "anything")
