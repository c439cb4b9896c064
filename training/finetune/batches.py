"""Token ids and batch orders for fine-tuning.

Batches group texts of similar length (sorted by length with a little random jitter, cut, then
shuffled), which cut padding, and so the time of a step, by more than half on BANKING77. With the
contrastive loss every batch holds several intents with two examples each, so each text has a
positive beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from suggest.embed.onnx_embedder import read_prompts

JITTER = 3.0
"""Length noise (tokens) before sorting, so the same texts do not always share a batch."""


@dataclass(frozen=True)
class Tokens:
    """Each text's token ids (prefix included, cut at ``max_tokens``) and the padding id."""

    ids: list[list[int]]
    pad_id: int

    def __len__(self) -> int:
        return len(self.ids)

    def padded(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Input ids and attention mask for ``rows``, padded to the longest of them."""
        width = max(len(self.ids[r]) for r in rows)
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, r in enumerate(rows):
            seq = self.ids[r]
            ids[i, : len(seq)] = seq
            mask[i, : len(seq)] = 1
        return ids, mask


def tokenize(folder: Path, texts: Sequence[str], max_tokens: int, pad_id: int) -> Tokens:
    """Tokenise as the served encoder will (its ``query`` prefix), cut at ``max_tokens``."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    prefix = read_prompts(folder).get("query", "")
    return Tokens([e.ids for e in tokenizer.encode_batch([prefix + t for t in texts])], pad_id)


def by_length(tokens: Tokens, batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """One epoch of batches of similar-length texts, in random order."""
    lengths = np.array([len(ids) for ids in tokens.ids], dtype=np.float64)
    order = np.argsort(lengths + rng.uniform(0, JITTER, len(lengths)), kind="stable")
    batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def balanced(labels: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """One epoch of batches made of pairs of same-label texts, no label twice in a batch.

    A label with an odd count lends one text a second time, so no text is left out."""
    rows: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        rows[label].append(i)
    pairs: list[tuple[int, list[int]]] = []
    for label, members in rows.items():
        shuffled = [members[int(i)] for i in rng.permutation(len(members))]
        if len(shuffled) % 2:
            shuffled.append(shuffled[0])
        pairs += [(label, shuffled[i : i + 2]) for i in range(0, len(shuffled), 2)]
    order = rng.permutation(len(pairs))
    per_batch = max(1, batch_size // 2)
    open_batches: list[tuple[set[int], list[int]]] = []
    done: list[list[int]] = []
    for p in order:
        label, pair = pairs[int(p)]
        home = next((b for b in open_batches if label not in b[0]), None)
        if home is None:
            home = (set(), [])
            open_batches.append(home)
        home[0].add(label)
        home[1].extend(pair)
        if len(home[0]) == per_batch:
            open_batches.remove(home)
            done.append(home[1])
    done += [rows_ for _, rows_ in open_batches]
    return [done[int(i)] for i in rng.permutation(len(done))]


def epochs(
    tokens: Tokens, labels: Sequence[int], batch_size: int, balanced_batches: bool, seed: int
) -> Iterator[list[list[int]]]:
    """Each epoch's batches, from one seeded generator: the same seed gives the same run."""
    rng = np.random.default_rng(seed)
    while True:
        yield balanced(labels, batch_size, rng) if balanced_batches else by_length(tokens, batch_size, rng)
