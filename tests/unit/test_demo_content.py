"""The demo tenant's content (kb/demo): complete in three languages, consistent, and safe to send."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from kb.db.engine import make_engine
from kb.demo import CONTENT, HERE, load_demo
from kb.importers import Parsed, RowProblem, read_source, records
from kb.importers.apply import ImportReport
from kb.library import Library
from kb.records import ArticleIn, CannedIn
from kb.store import Store
from kb.templates import render_template
from kb.vocabulary import SLUG, VARIABLES, Category
from suggest.embed.fake import HashingEmbedder

LANGUAGES = {"en", "nl", "el"}
ACKNOWLEDGEMENTS = {
    Category.ACK_IN_HOURS,
    Category.ACK_OUT_OF_HOURS,
    Category.HOLIDAY_CLOSURE,
    Category.HIGH_VOLUME_DELAY,
    Category.KNOWN_INCIDENT,
    Category.TICKET_ASSIGNED,
    Category.ESCALATION_ACK,
}
NO_REPLY = (
    "do not reply",
    "don't reply",
    "niet beantwoorden",
    "niet op reageren",
    "μην απαντήσετε",
    "μην απαντάτε",
)
SAMPLES = {name: variable.sample for name, variable in VARIABLES.items()}

ROWS = [item for folder in CONTENT for item in records(read_source(folder))]
RECORDS = [item.record for item in ROWS if isinstance(item, Parsed)]
ARTICLES = [r for r in RECORDS if isinstance(r, ArticleIn)]
CANNED = [r for r in RECORDS if isinstance(r, CannedIn)]


def intents() -> dict[str, str]:
    listed: dict[str, str] = {}
    for line in (HERE / "intents.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            slug, _, description = line.partition(":")
            assert slug.strip() not in listed, f"intent {slug} listed twice"
            listed[slug.strip()] = description.strip()
    return listed


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> list[ImportReport]:
    root = tmp_path_factory.mktemp("demo")
    library = Library(Store(make_engine(f"sqlite:///{root}/db.sqlite")), HashingEmbedder(), root / "index")
    try:
        return load_demo(library)
    finally:
        library.close()


def test_demo_imports_with_no_problems(demo_reports: list[ImportReport]) -> None:
    assert [item for item in ROWS if isinstance(item, RowProblem)] == []
    articles, canned = demo_reports
    assert articles.problems == [] and canned.problems == []
    assert articles.counts == {"article created": len(ARTICLES)}
    assert canned.counts == {"canned created": len(CANNED)}


def test_at_least_30_articles() -> None:
    assert len({a.canonical_id for a in ARTICLES}) >= 30


def test_every_article_exists_in_en_nl_and_el() -> None:
    languages: dict[str, set[str]] = defaultdict(set)
    for article in ARTICLES:
        assert article.canonical_id is not None
        languages[article.canonical_id].add(article.language)
    assert len(languages) >= 25
    incomplete = {cid: sorted(found) for cid, found in languages.items() if not found >= LANGUAGES}
    assert incomplete == {}


def test_every_article_has_at_least_two_sections() -> None:
    short = [a.external_id for a in ARTICLES if len(re.findall(r"^## \S", a.body, re.MULTILINE)) < 2]
    assert short == []


def test_at_least_25_canned_responses_each_in_en_nl_and_el() -> None:
    assert len(CANNED) >= 25
    incomplete = {c.external_id for c in CANNED if not {v.language for v in c.variants} >= LANGUAGES}
    assert incomplete == set()


def test_every_category_has_a_canned_response() -> None:
    assert set(Category) - {c.category for c in CANNED} == set()


def test_intents_are_listed_slugs_and_cover_the_canned_responses() -> None:
    listed = intents()
    assert len(listed) >= 25
    assert [slug for slug, description in listed.items() if not SLUG.match(slug) or not description] == []
    used = {intent for c in CANNED for intent in c.intents}
    assert used - listed.keys() == set()


@pytest.mark.parametrize("canned", CANNED, ids=lambda c: c.external_id)
def test_every_variant_renders_with_the_sample_values(canned: CannedIn) -> None:
    for variant in canned.variants:
        rendered = render_template(variant.body, canned.variables, SAMPLES)
        assert rendered.missing == (), variant.language
        assert "{{" not in rendered.text and "{%" not in rendered.text and "[missing:" not in rendered.text


def test_auto_send_only_for_acknowledgements() -> None:
    auto = {c.external_id: c.category for c in CANNED if c.auto_send}
    assert auto, "some acknowledgement should be sent automatically"
    assert {eid: cat for eid, cat in auto.items() if cat not in ACKNOWLEDGEMENTS} == {}


def test_no_text_tells_the_customer_not_to_reply() -> None:
    texts = [(a.external_id, f"{a.title}\n{a.body}") for a in ARTICLES]
    texts += [(f"{c.external_id}.{v.language}", f"{v.title}\n{v.body}") for c in CANNED for v in c.variants]
    offending = [name for name, text in texts if any(phrase in text.lower() for phrase in NO_REPLY)]
    assert offending == []
