"""Export a tenant's library as JSONL, the format ``replykit kb import`` reads back unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kb.db.schema import Article, CannedResponse
from kb.store import Store
from kb.store.articles import article_record
from kb.store.canned import canned_record
from kb.store.tenants import get_tenant


def export_jsonl(store: Store, tenant_id: str, path: Path) -> dict[str, int]:
    """Write every article and canned response (archived ones too); returns counts per type."""
    counts = {"article": 0, "canned": 0}
    tmp = path.with_name(f".{path.name}.tmp")
    with store.session() as session:
        get_tenant(session, tenant_id)  # an unknown tenant is an error, not an empty file
    with store.session() as session, tmp.open("w", encoding="utf-8") as out:
        articles = session.scalars(
            select(Article).where(Article.tenant_id == tenant_id).order_by(Article.external_id)
        )
        for article in articles:
            row = {"type": "article", **article_record(article).model_dump(mode="json")}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            counts["article"] += 1
        responses = session.scalars(
            select(CannedResponse)
            .where(CannedResponse.tenant_id == tenant_id)
            .options(selectinload(CannedResponse.variants))
            .order_by(CannedResponse.external_id)
        )
        for response in responses:
            row = {"type": "canned", **canned_record(response).model_dump(mode="json")}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            counts["canned"] += 1
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return counts
