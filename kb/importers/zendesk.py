"""Zendesk exports: Help Center articles and macros, as the Zendesk API returns them.

Articles (``GET /api/v2/help_center/{locale}/articles``, pages concatenated):
    {"articles": [{"id": 360001, "title": "...", "body": "<p>HTML</p>", "locale": "en-us",
                   "html_url": "https://...", "label_names": ["..."], "updated_at": "2026-...Z",
                   "draft": false}]}
Each locale of one article becomes its own article; they share ``canonical_id`` ``zendesk-<id>``.
Drafts are skipped and reported.

Macros (``GET /api/v2/macros``):
    {"macros": [{"id": 9001, "title": "Shipping::Delayed order", "active": true,
                 "actions": [{"field": "comment_value",
                              "value": "Hi {{ticket.requester.first_name}}, ..."}]}]}
The reply text comes from the ``comment_value`` (or ``comment_value_html``) action. Zendesk
placeholders become replykit variables (PLACEHOLDERS); a macro using any other placeholder is
reported, not imported. The category is the title's first ``::`` segment when it names a replykit
category, otherwise ``answer``. Macros are never auto-sent; inactive ones are imported archived.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb.content import plain_text, to_safe_html
from kb.importers.common import RowProblem, Source
from kb.vocabulary import Category
from suggest.language import detect_language

PLACEHOLDERS = {
    "ticket.requester.first_name": "customer_first_name",
    "ticket.requester.name": "customer_name",
    "ticket.id": "ticket_number",
    "ticket.title": "ticket_subject",
    "current_user.name": "agent_name",
    "current_user.first_name": "agent_name",
    "ticket.assignee.name": "agent_name",
    "ticket.assignee.first_name": "agent_name",
    "account.name": "company_name",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def read_articles(path: Path, data: dict[str, Any], default_language: str) -> Source:
    for n, article in enumerate(data.get("articles", [])):
        location = f"{path.name}: articles[{n}]"
        if not isinstance(article, dict) or "id" not in article:
            yield RowProblem(location, "expected a Zendesk article object with an 'id'")
            continue
        if article.get("draft"):
            yield RowProblem(
                location, f"article {article['id']} is a draft; publish it in Zendesk to import it"
            )
            continue
        locale = str(article.get("locale") or article.get("source_locale") or default_language)
        yield (
            location,
            {
                "type": "article",
                "external_id": f"zendesk-{article['id']}-{locale}",
                "canonical_id": f"zendesk-{article['id']}",
                "language": locale,
                "title": article.get("title"),
                "body": article.get("body") or "",
                "body_format": "html",
                "url": article.get("html_url"),
                "tags": article.get("label_names") or [],
                "updated_at": article.get("updated_at"),
            },
        )


def _macro_text(actions: list[Any]) -> str | None:
    for action in actions:
        if not isinstance(action, dict):
            continue
        value = action.get("value")
        if isinstance(value, list):  # ["channel:all", "text"] in older exports
            value = value[-1] if value else None
        if action.get("field") == "comment_value" and isinstance(value, str):
            return value
        if action.get("field") == "comment_value_html" and isinstance(value, str):
            return plain_text(to_safe_html(value, "html"))
    return None


def convert_placeholders(text: str) -> tuple[str, list[str], list[str]]:
    """(template, variables used, placeholders replykit cannot fill)."""
    used: list[str] = []
    unknown: list[str] = []

    def swap(match: re.Match[str]) -> str:
        name = PLACEHOLDERS.get(match.group(1))
        if name is None:
            unknown.append(match.group(1))
            return match.group(0)
        used.append(name)
        return "{{ " + name + " }}"

    return _PLACEHOLDER.sub(swap, text), sorted(set(used)), sorted(set(unknown))


def _category(title: str) -> str:
    head = title.split("::", 1)[0].strip().lower().replace(" ", "_") if "::" in title else ""
    return head if head in Category.__members__.values() else Category.ANSWER.value


def read_macros(path: Path, data: dict[str, Any], default_language: str) -> Source:
    for n, macro in enumerate(data.get("macros", [])):
        location = f"{path.name}: macros[{n}]"
        if not isinstance(macro, dict) or "id" not in macro:
            yield RowProblem(location, "expected a Zendesk macro object with an 'id'")
            continue
        text = _macro_text(macro.get("actions") or [])
        if not text:
            yield RowProblem(
                location, f"macro {macro['id']} sets no comment text; only reply macros are imported"
            )
            continue
        body, variables, unknown = convert_placeholders(text)
        if unknown:
            yield RowProblem(
                location,
                f"macro {macro['id']} uses placeholders replykit cannot fill: {', '.join(unknown)}; "
                f"supported: {', '.join(sorted(PLACEHOLDERS))}",
            )
            continue
        title = str(macro.get("title") or f"Macro {macro['id']}")
        yield (
            location,
            {
                "type": "canned",
                "external_id": f"zendesk-macro-{macro['id']}",
                "title": title.rsplit("::", 1)[-1].strip() or title,
                "category": _category(title),
                "variables": variables,
                "auto_send": False,
                "state": "active" if macro.get("active", True) else "archived",
                "variants": [
                    {
                        "language": detect_language(body, default_language).code,
                        "title": title.rsplit("::", 1)[-1].strip() or title,
                        "body": body,
                    }
                ],
            },
        )
