"""Embedding with sentence-transformers on fp32 torch: the reference other backends are checked against."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from suggest.embed.text import validate_texts
from suggest.errors import ModelFormatError
from suggest.protocols import TextKind


class SentenceTransformerEmbedder:
    """Loads a local sentence-transformers folder; never touches a model hub."""

    def __init__(self, folder: Path, *, batch_size: int = 32, threads: int = 0) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        from suggest.models.quiet import quiet_libraries

        if threads:
            torch.set_num_threads(threads)
        with quiet_libraries():
            self.model = SentenceTransformer(
                str(folder),
                device="cpu",
                local_files_only=True,
                trust_remote_code=False,
                model_kwargs={"use_safetensors": True},  # never unpickle weights
            )
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelFormatError(
                f"{folder} does not declare an embedding dimension; expected a sentence-transformers "
                "folder with a pooling module (1_Pooling/config.json)"
            )
        self.dim = int(dim)
        self.name = f"{folder.name} (torch-fp32)"
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        cleaned = validate_texts(texts)
        if not cleaned:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt_name = kind if kind in self.model.prompts else None
        vectors = self.model.encode(
            cleaned,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
