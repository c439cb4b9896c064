"""Where a tenant's analysis models and escalation policy live, and loading its ``Pipeline``.

``data_dir/tenants/<tenant>/models/<kind>`` holds the tenant's intent, emotion and escalation
model versions and which one of each is active (training/registry.py); the active emotion version
replaces the shipped heads, and an active escalation head adds ``learned_pattern``.
``data_dir/tenants/<tenant>/escalation.yaml``, when present, is merged over the default policy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from kb.store.tenants import check_tenant_id
from suggest.analysis.emotion import DEFAULT_FOLDER, EmotionModel
from suggest.analysis.escalation_head import EscalationHead
from suggest.analysis.heads import is_trained_for
from suggest.analysis.intent import IntentModel
from suggest.analysis.policy import load_policy
from suggest.errors import ReplykitError
from suggest.pipeline import Pipeline
from suggest.protocols import Embedder
from training.registry import ModelRegistry
from training.registry_files import intent_root

log = logging.getLogger(__name__)
_lock = threading.Lock()
_fallbacks: dict[str, EmotionModel] = {}


def tenant_dir(data_dir: Path, tenant: str) -> Path:
    return data_dir / "tenants" / check_tenant_id(tenant)


def intent_dir(data_dir: Path, tenant: str) -> Path:
    """The tenant's model registry folder (versions/, CURRENT, history.jsonl), not a model folder:
    ``ModelRegistry(data_dir, tenant).current_folder()`` is the active model's."""
    return intent_root(data_dir, tenant)


def policy_file(data_dir: Path, tenant: str) -> Path:
    return tenant_dir(data_dir, tenant) / "escalation.yaml"


EmotionFallback = Callable[[Embedder], EmotionModel]
Stamp = tuple[str | None, str | None, str | None, int | None, int | None]


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


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

    The tenant's own intent model is its registry's active version, and reports that version's
    id (what ``versions`` in a suggestion names), also for a model adopted from the old layout.
    Its active emotion version replaces the shipped heads; its active escalation head is added.
    A tenant without an active intent model still gets language, sentiment, emotions and
    keyword escalation; its intent says that no model is trained yet.
    """
    own_policy = policy_file(data_dir, tenant)
    if model is not None:
        intent: IntentModel | None = IntentModel.load(model, embedder)
    else:
        folder = ModelRegistry(data_dir, tenant).current_folder()
        intent = None if folder is None else IntentModel.load(folder, embedder, version=folder.name)
    folder = ModelRegistry(data_dir, tenant, "emotion").current_folder()
    emotion = (
        emotion_model_for(embedder, emotion_fallback)
        if folder is None
        else EmotionModel.load(folder, embedder)
    )
    folder = ModelRegistry(data_dir, tenant, "escalation").current_folder()
    escalation = None if folder is None else EscalationHead.load(folder, embedder, version=folder.name)
    return Pipeline(
        embedder,
        intent,
        emotion,
        load_policy(policy or (own_policy if own_policy.is_file() else None)),
        default_language,
        escalation=escalation,
    )


class TenantPipelines:
    """Each tenant's pipeline, loaded on first use and loaded again when the active version of any
    kind of model (a promotion or a rollback) or its policy changes, so a running server picks
    them up by itself.

    Requests in flight keep the pipeline they started with; the next request gets the new one.
    Versions never change once committed and CURRENT is replaced atomically, so a load never
    sees half a model."""

    def __init__(
        self, data_dir: Path, embedder: Embedder, emotion_fallback: EmotionFallback | None = None
    ) -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.emotion_fallback = emotion_fallback
        self._loaded: dict[str, tuple[Stamp, Pipeline]] = {}
        self._failed: dict[str, Stamp] = {}
        self._lock = threading.Lock()

    def _stamp(self, tenant: str) -> Stamp:
        """The active intent, emotion and escalation versions (CURRENT's content: two swaps within
        one clock tick still differ), and when a model in the old layout and the escalation policy
        last changed."""
        registry = ModelRegistry(self.data_dir, tenant)
        return (
            registry.active_version(),
            ModelRegistry(self.data_dir, tenant, "emotion").active_version(),
            ModelRegistry(self.data_dir, tenant, "escalation").active_version(),
            _mtime(registry.legacy_manifest),
            _mtime(policy_file(self.data_dir, tenant)),
        )

    def __call__(self, tenant: str) -> Pipeline:
        stamp = self._stamp(tenant)
        cached = self._loaded.get(tenant)
        if cached is not None and (cached[0] == stamp or self._failed.get(tenant) == stamp):
            return cached[1]
        if cached is not None and not self._lock.acquire(blocking=False):
            return cached[1]  # another request is loading models; this one need not wait for them
        if cached is None:
            self._lock.acquire()
        try:
            return self._reload(tenant, stamp)
        finally:
            self._lock.release()

    def _reload(self, tenant: str, stamp: Stamp) -> Pipeline:
        cached = self._loaded.get(tenant)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            pipeline = load_tenant_pipeline(
                self.data_dir, tenant, self.embedder, emotion_fallback=self.emotion_fallback
            )
        except (ReplykitError, OSError) as err:
            if cached is None:
                raise
            # a damaged version or a broken policy: keep answering with the one that worked, and
            # do not try (and hash every file) again on each request until something changes
            log.warning("tenant %s: new models not loaded (%s); serving the previous ones", tenant, err)
            self._failed[tenant] = stamp
            return cached[1]
        self._loaded[tenant] = (stamp, pipeline)
        self._failed.pop(tenant, None)
        return pipeline
