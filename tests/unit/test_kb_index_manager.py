"""Index builds: manifests, refusing damaged files, atomic swaps under concurrent search."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from kb.index import files
from kb.index.manager import IndexManager
from kb.library import Library
from kb.store.articles import delete_article
from suggest.embed.fake import HashingEmbedder
from tests.kb_helpers import add, article, make_library

TOPICS = ["inverter error code", "invoice payment", "charger cable", "battery backup", "roof leak"]


def _fill(tmp_path: Path, n: int = 5) -> tuple[Library, list[int]]:
    library = make_library(tmp_path)
    ids = add(
        library,
        "acme",
        *(article(f"a{i}", f"## {TOPICS[i % 5]}\n\n{TOPICS[i % 5]} text {i}") for i in range(n)),
    )
    return library, ids


def _build_dir(tmp_path: Path) -> Path:
    root = tmp_path / "index" / "acme"
    return root / "builds" / str(files.current_build(root))


def test_a_build_has_a_manifest_with_model_dimension_count_and_checksums(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    add(library, "acme", article("a", "Some text"), article("b", "Other text"))
    report = library.index.refresh("acme")
    assert report.rebuilt and report.count == 2 and report.embedded == 2
    manifest = json.loads((_build_dir(tmp_path) / "manifest.json").read_text())
    assert manifest["model"] == HashingEmbedder().name and manifest["dim"] == 384
    assert manifest["count"] == 2 and manifest["kind"] == "exact"
    assert set(manifest["files"]) == {"vectors.faiss", "items.json"}
    assert len(manifest["content_digest"]) == 64


def test_an_unchanged_database_is_not_rebuilt_or_reembedded(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    add(library, "acme", article("a", "Some text"))
    first = library.index.refresh("acme")
    again = library.index.refresh("acme")
    assert (again.rebuilt, again.embedded, again.build_id) == (False, 0, first.build_id)


def test_a_new_process_loads_the_build_from_disk_without_rebuilding(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    add(library, "acme", article("a", "Some text"))
    built = library.index.refresh("acme")
    fresh = IndexManager(tmp_path / "index", library.store, HashingEmbedder())
    assert fresh.snapshot("acme").build_id == built.build_id


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: (d / "vectors.faiss").write_bytes((d / "vectors.faiss").read_bytes()[:100]),
        lambda d: (d / "vectors.faiss").write_bytes(b"\0" * 4096),
        lambda d: (d / "items.json").write_text("[]"),
        lambda d: (d / "items.json").unlink(),
        lambda d: (d / "manifest.json").write_text("{not json"),
        lambda d: (d / "manifest.json").write_text(
            json.loads((d / "manifest.json").read_text()) and json.dumps({"format": 1})
        ),
    ],
    ids=["truncated", "zeroed", "items-emptied", "items-missing", "manifest-garbled", "manifest-incomplete"],
)
def test_a_damaged_build_is_refused_and_rebuilt_from_the_database(tmp_path: Path, damage: object) -> None:
    library = make_library(tmp_path)
    add(library, "acme", article("a", "inverter error code E05"), article("b", "invoice payment"))
    old = library.index.refresh("acme").build_id
    damage(_build_dir(tmp_path))  # type: ignore[operator]
    fresh = IndexManager(tmp_path / "index", library.store, HashingEmbedder())
    snap = fresh.snapshot("acme")  # must not raise
    assert snap.build_id != old and snap.index.size == 2
    hits = library.search.search("acme", "inverter error code", k=1).hits
    assert hits[0].external_id == "a"


def test_a_build_for_another_model_is_not_loaded(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    add(library, "acme", article("a", "Some text"))
    old = library.index.refresh("acme").build_id
    other = HashingEmbedder()
    other.name = "another-model"
    fresh = IndexManager(tmp_path / "index", library.store, other)
    snap = fresh.snapshot("acme")
    assert snap.build_id != old and snap.model == "another-model"


def test_a_stale_build_is_rebuilt_when_the_database_changed_meanwhile(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    add(library, "acme", article("a", "Some text"))
    old = library.index.refresh("acme").build_id
    add(library, "acme", article("b", "More text"))  # written by another process, say
    fresh = IndexManager(tmp_path / "index", library.store, HashingEmbedder())
    snap = fresh.snapshot("acme")
    assert snap.build_id != old and snap.index.size == 2


def test_another_process_rebuild_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kb.index.manager.RELOAD_CHECK_S", 0.0)
    library = make_library(tmp_path)
    add(library, "acme", article("a", "Some text"))
    library.index.refresh("acme")
    other = IndexManager(tmp_path / "index", library.store, HashingEmbedder())
    add(library, "acme", article("b", "More text"))
    rebuilt = other.refresh("acme")
    assert library.index.snapshot("acme").build_id == rebuilt.build_id


def test_old_builds_are_pruned(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    for i in range(5):
        add(library, "acme", article(f"a{i}", f"text {i}"))
        library.index.refresh("acme")
    builds = [p for p in (tmp_path / "index" / "acme" / "builds").iterdir() if not p.name.startswith(".")]
    assert len(builds) == files.KEEP_BUILDS


def test_concurrent_searches_during_repeated_rebuilds_see_whole_indexes(tmp_path: Path) -> None:
    library, ids = _fill(tmp_path, 40)
    library.index.refresh("acme")
    errors: list[BaseException] = []
    sizes_seen: set[int] = set()
    stop = threading.Event()
    query = HashingEmbedder().embed(["inverter error code"], kind="query")[0]

    def searcher() -> None:
        while not stop.is_set():
            try:
                snap = library.index.snapshot("acme")
                assert snap.index.size == len(snap.items)
                sizes_seen.add(snap.index.size)
                result = library.search.search_vector("acme", query, k=5)
                assert 1 <= len(result.hits) <= 5
                assert all(np.isfinite(h.score) for h in result.hits)
            except BaseException as err:
                errors.append(err)
                return

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    for round_ in range(15):  # alternate between adding and deleting, rebuilding each time
        if round_ % 2:
            with library.store.session() as session:
                delete_article(session, "acme", ids.pop())
        else:
            ids += add(library, "acme", article(f"new{round_}", f"inverter error code {round_}"))
        library.index.refresh("acme")
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(sizes_seen) >= 2, "the searchers should have seen more than one build"
