"""Pick and build the embedder the settings ask for."""

from __future__ import annotations

from suggest.config import Settings
from suggest.embed.fake import HashingEmbedder
from suggest.errors import ConfigError
from suggest.models.prepare import PreparedModel, Report, prepare_model, silent
from suggest.protocols import Embedder


def embedder_for(prepared: PreparedModel, backend: str, threads: int = 0) -> Embedder:
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


def load_embedder(settings: Settings, *, step: Report = silent, warn: Report = silent) -> Embedder:
    """Prepare the configured model if needed (first use) and return its embedder."""
    if settings.embed_backend == "fake":
        return HashingEmbedder()
    prepared = prepare_model(settings, step=step, warn=warn)
    return embedder_for(prepared, settings.embed_backend, settings.embed_threads)
