"""Search the knowledge base and canned responses (agent scope)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import Agent
from api.deps import LibraryDep
from kb.index.search import MAX_K, Hit
from kb.records import Language
from kb.vocabulary import Category

router = APIRouter(prefix="/v1/kb", tags=["kb"])


class SearchIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    k: int = Field(5, ge=1, le=MAX_K)
    language: Language | None = None
    kinds: list[Literal["passage", "canned"]] = Field(default_factory=list)
    category: Category | None = None
    intent: str | None = Field(None, max_length=64)
    fallback: bool = True


class SearchOut(BaseModel):
    hits: list[Hit]
    language: str | None
    fallback: bool
    build_id: str


@router.post("/search")
def search(body: SearchIn, who: Agent, library: LibraryDep) -> SearchOut:
    result = library.search.search(
        who.tenant_id,
        body.text,
        k=body.k,
        language=body.language,
        kinds=tuple(body.kinds),
        category=body.category,
        intent=body.intent,
        fallback=body.fallback,
    )
    return SearchOut(
        hits=result.hits, language=result.language, fallback=result.fallback, build_id=result.build_id
    )
