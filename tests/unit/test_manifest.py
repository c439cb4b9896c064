"""Checksummed manifests catch missing, truncated and altered files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suggest.errors import ModelCacheError
from suggest.models.manifest import MANIFEST_NAME, verify_manifest, write_manifest


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.bin").write_bytes(b"\x00\x01" * 100)
    (tmp_path / "sub" / "b.json").write_text('{"x": 1}')
    write_manifest(tmp_path, {"model": "m", "dim": 3})
    return tmp_path


def test_lists_every_file_with_its_hash(folder: Path) -> None:
    manifest = verify_manifest(folder)
    assert set(manifest["files"]) == {"a.bin", "sub/b.json"}
    assert manifest["files"]["a.bin"]["bytes"] == 200
    assert len(manifest["files"]["sub/b.json"]["sha256"]) == 64
    assert manifest["model"] == "m" and manifest["dim"] == 3


def test_changed_content_of_same_size_is_caught(folder: Path) -> None:
    (folder / "sub" / "b.json").write_text('{"x": 2}')
    with pytest.raises(ModelCacheError, match="fails its sha256 check"):
        verify_manifest(folder)


def test_truncated_file_is_caught(folder: Path) -> None:
    (folder / "a.bin").write_bytes(b"\x00")
    with pytest.raises(ModelCacheError, match="has 1 bytes, the manifest says 200"):
        verify_manifest(folder)


def test_missing_file_is_caught(folder: Path) -> None:
    (folder / "a.bin").unlink()
    with pytest.raises(ModelCacheError, match="missing"):
        verify_manifest(folder)


def test_a_file_the_manifest_does_not_list_is_caught(folder: Path) -> None:
    (folder / "sub" / "extra.onnx").write_bytes(b"planted")
    with pytest.raises(ModelCacheError, match=r"does not list: \['sub/extra.onnx'\]"):
        verify_manifest(folder)


def test_missing_or_garbled_manifest(folder: Path) -> None:
    (folder / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(ModelCacheError, match="unreadable"):
        verify_manifest(folder)
    (folder / MANIFEST_NAME).write_text(json.dumps({"format": 99, "files": {}}))
    with pytest.raises(ModelCacheError, match="not a format-1"):
        verify_manifest(folder)
    (folder / MANIFEST_NAME).unlink()
    with pytest.raises(ModelCacheError, match="never fully prepared"):
        verify_manifest(folder)
