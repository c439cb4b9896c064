"""The demo knowledge base with the real model: same-language and cross-language retrieval."""

from __future__ import annotations

import shutil

import pytest

from kb.db.engine import make_engine
from kb.demo import CONTENT, DEMO_TENANT, load_demo
from kb.library import Library
from kb.store import Store
from suggest.embed.loader import embedder_for
from suggest.models.prepare import PreparedModel

# (ticket, its language, the demo article that answers it); tickets written for this test
TICKETS = [
    ("My inverter has a red light and the display says E05, what now?", "en", "inverter-error-codes"),
    ("I smell something burning near the inverter in the attic", "en", "safety-burning-smell"),
    ("Hoe koppel ik de Helioport Home app aan mijn omvormer via wifi?", "nl", "monitoring-app-setup"),
    ("We gaan verhuizen, wat gebeurt er met onze zonnepanelen en de laadpaal?", "nl", "moving-house"),
    (
        "Η φόρτιση του ηλεκτρικού αυτοκινήτου δεν ξεκινά, ο φορτιστής δείχνει κόκκινο φως",
        "el",
        "charger-not-charging",
    ),
    ("Πώς κάνω αίτηση εγγύησης για την μπαταρία μου που χάλασε;", "el", "warranty-claim"),
]


@pytest.fixture(scope="module")
def library(prepared: PreparedModel, tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = tmp_path_factory.mktemp("kb")
    library = Library(
        Store(make_engine(f"sqlite:///{root / 'kb.sqlite'}")), embedder_for(prepared, "auto"), root / "i"
    )
    reports = load_demo(library)
    assert all(not r.problems for r in reports)
    english_only = root / "english"
    english_only.mkdir()
    for path in CONTENT[0].glob("*.en.md"):
        shutil.copy(path, english_only)
    library.import_path("english", english_only)
    return library


@pytest.mark.parametrize(("ticket", "language", "expected"), TICKETS)
def test_demo_tickets_find_their_article_in_their_language(
    library: Library, ticket: str, language: str, expected: str
) -> None:
    hits = library.search.search(DEMO_TENANT, ticket, k=3, language=language, kinds=("passage",)).hits
    assert expected in [h.group for h in hits], [(h.group, round(h.score, 3)) for h in hits]
    assert all(h.language == language and not h.cross_language for h in hits)


@pytest.mark.parametrize(("ticket", "language", "expected"), [t for t in TICKETS if t[1] != "en"])
def test_dutch_and_greek_tickets_find_english_articles_and_say_so(
    library: Library, ticket: str, language: str, expected: str
) -> None:
    result = library.search.search("english", ticket, k=3, language=language)
    assert result.fallback and all(h.cross_language and h.language == "en" for h in result.hits)
    assert f"{expected}-en" in [h.external_id for h in result.hits], [h.external_id for h in result.hits]


def test_canned_responses_are_found_for_their_intent(library: Library) -> None:
    hits = library.search.search(
        DEMO_TENANT,
        "Mijn omvormer geeft foutcode E07",
        k=3,
        language="nl",
        kinds=("canned",),
        intent="inverter_error_code",
    ).hits
    assert hits and {h.category for h in hits} <= {"request_info", "resolution"}
