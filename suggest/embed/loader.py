"""Pick and build the embedder the settings ask for."""

from __future__ import annotations

from pathlib import Path

from suggest.config import EmbedBackend, Settings
from suggest.embed.fake import HashingEmbedder
from suggest.errors import ConfigError, ModelCacheError
from suggest.models.prepare import PreparedModel, load_prepared, prepare_in_subprocess, prepare_model
from suggest.models.report import Report, silent
from suggest.protocols import Embedder


def embedder_for(prepared: PreparedModel, backend: EmbedBackend, threads: int = 0) -> Embedder:
    """The serving embedder for an already prepared model."""
    if backend in ("auto", "onnx") and prepared.onnx_file is not None:
        from suggest.embed.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(prepared.onnx_file, prepared.folder, threads=threads)
    if backend == "onnx":
        check = prepared.manifest.get("checks", {}).get("onnx_int8", {})
        raise ConfigError(
            f"REPLYKIT_EMBED_BACKEND=onnx, but the int8 model failed its agreement check "
            f"(min cosine {check.get('min_cosine')} < {check.get('threshold')}). "
            "Use REPLYKIT_EMBED_BACKEND=auto or torch."
        )
    from suggest.embed.st_embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(prepared.folder, threads=threads)


def load_embedder(
    settings: Settings, *, step: Report = silent, warn: Report = silent, isolate_build: bool = False
) -> Embedder:
    """Prepare the configured model if needed (first use) and return its embedder.

    With ``isolate_build`` (the server) a missing model is built in a child process, so the
    serving process keeps only the int8 runtime in memory.
    """
    if settings.embed_backend == "fake":
        return HashingEmbedder()
    if isolate_build:
        prepared = _prepared_elsewhere(settings, warn)
    else:
        prepared = prepare_model(settings, step=step, warn=warn)
    return embedder_for(prepared, settings.embed_backend, settings.embed_threads)


def _prepared_elsewhere(settings: Settings, warn: Report) -> PreparedModel:
    try:
        return load_prepared(settings)
    except ModelCacheError as err:
        warn(f"The model is not ready ({err}); preparing it in a separate process.")
        prepare_in_subprocess(settings)
        return load_prepared(settings)


def base_folder(settings: Settings) -> Path | None:
    """The configured model's sentence-transformers folder (what the accurate mode fine-tunes),
    checked against its manifest; None for the test embedder, which has no weights."""
    if settings.embed_backend == "fake":
        return None
    return load_prepared(settings).folder
