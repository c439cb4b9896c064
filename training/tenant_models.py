"""Where a tenant's analysis models and escalation policy live, and loading its ``Pipeline``.

``data_dir/tenants/<tenant>/models/intent`` holds the intent model in use (the retraining issue
adds versions and promotion beside it); ``data_dir/tenants/<tenant>/escalation.yaml``, when
present, is merged over the default escalation policy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from kb.store.tenants import check_tenant_id
from suggest.analysis.emotion import DEFAULT_FOLDER, EmotionModel
from suggest.analysis.heads import is_trained_for
from suggest.analysis.intent import IntentModel
from suggest.analysis.policy import load_policy
from suggest.errors import ReplykitError
from suggest.models.manifest import MANIFEST_NAME
from suggest.pipeline import Pipeline
from suggest.protocols import Embedder

log = logging.getLogger(__name__)
_lock = threading.Lock()
_fallbacks: dict[str, EmotionModel] = {}


def tenant_dir(data_dir: Path, tenant: str) -> Path:
    return data_dir / "tenants" / check_tenant_id(tenant)


def intent_dir(data_dir: Path, tenant: str) -> Path:
    return tenant_dir(data_dir, tenant) / "models" / "intent"


def policy_file(data_dir: Path, tenant: str) -> Path:
    return tenant_dir(data_dir, tenant) / "escalation.yaml"


EmotionFallback = Callable[[Embedder], EmotionModel]


def emotion_model_for(embedder: Embedder, fallback: EmotionFallback | None = None) -> EmotionModel:
    """The shipped heads when they were trained for this embedder. Otherwise (a custom model, the
    test embedder) ``fallback`` fits substitute heads, once per process and embedder; without one,
    the mismatch is an error that says what to do."""
    if is_trained_for(DEFAULT_FOLDER, "emotion", embedder) or fallback is None:
        return EmotionModel.load(DEFAULT_FOLDER, embedder)
    with _lock:
        if embedder.name not in _fallbacks:
            log.warning(
                "the shipped emotion heads do not fit embedder %s; fitting substitutes", embedder.name
            )
            _fallbacks[embedder.name] = fallback(embedder)
        return _fallbacks[embedder.name]


def load_tenant_pipeline(
    data_dir: Path,
    tenant: str,
    embedder: Embedder,
    *,
    model: Path | None = None,
    policy: Path | None = None,
    default_language: str = "en",
    emotion_fallback: EmotionFallback | None = None,
) -> Pipeline:
    """The tenant's pipeline; explicit ``model``/``policy`` paths win over the tenant's own files.

    A tenant without a trained intent model still gets language, sentiment, emotions and
    keyword escalation; its intent says that no model is trained yet.
    """
    folder = model or intent_dir(data_dir, tenant)
    own_policy = policy_file(data_dir, tenant)
    intent = IntentModel.load(folder, embedder) if model is not None or folder.exists() else None
    return Pipeline(
        embedder,
        intent,
        emotion_model_for(embedder, emotion_fallback),
        load_policy(policy or (own_policy if own_policy.is_file() else None)),
        default_language,
    )


class TenantPipelines:
    """Each tenant's pipeline, loaded on first use and loaded again when its intent model folder
    changes (a retrain or a promotion), so a running server picks up new models by itself."""

    def __init__(
        self, data_dir: Path, embedder: Embedder, emotion_fallback: EmotionFallback | None = None
    ) -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.emotion_fallback = emotion_fallback
        self._loaded: dict[str, tuple[tuple[int | None, ...], Pipeline]] = {}
        self._lock = threading.Lock()

    def _stamp(self, tenant: str) -> tuple[int | None, ...]:
        """When the tenant's intent manifest and escalation policy last changed (None: absent)."""
        files = (intent_dir(self.data_dir, tenant) / MANIFEST_NAME, policy_file(self.data_dir, tenant))
        stamps: list[int | None] = []
        for path in files:
            try:
                stamps.append(path.stat().st_mtime_ns)
            except FileNotFoundError:
                stamps.append(None)
        return tuple(stamps)

    def __call__(self, tenant: str) -> Pipeline:
        stamp = self._stamp(tenant)
        cached = self._loaded.get(tenant)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with self._lock:
            cached = self._loaded.get(tenant)
            if cached is None or cached[0] != stamp:
                try:
                    pipeline = load_tenant_pipeline(
                        self.data_dir, tenant, self.embedder, emotion_fallback=self.emotion_fallback
                    )
                except (ReplykitError, OSError) as err:
                    if cached is None:
                        raise
                    # a model folder mid-swap or broken: keep answering with the one that worked
                    log.warning(
                        "tenant %s: new models not loaded (%s); serving the previous ones", tenant, err
                    )
                    return cached[1]
                cached = (stamp, pipeline)
                self._loaded[tenant] = cached
            return cached[1]
