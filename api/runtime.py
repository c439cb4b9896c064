"""Models loaded once per process, in the background, so /healthz answers while they load."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from suggest.protocols import Embedder

log = logging.getLogger(__name__)

EmbedderFactory = Callable[[], Embedder]
WARM_UP_TEXT = "Hello, where is my order?"


class ModelRuntime:
    """Holds the loaded embedder and the state of loading it (loading, ready, failed)."""

    def __init__(self, factory: EmbedderFactory) -> None:
        self._factory = factory
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.embedder: Embedder | None = None
        self.error: str | None = None
        self.load_seconds: float | None = None

    @property
    def status(self) -> str:
        if self.embedder is not None:
            return "ready"
        return "failed" if self.error else "loading"

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            embedder = self._factory()
            embedder.embed([WARM_UP_TEXT])  # first inference allocates buffers; do it before traffic
        except Exception as err:  # any failure must surface in /readyz, not kill a thread silently
            # /readyz is unauthenticated: it gets the kind of failure, the log gets the details
            self.error = f"the model failed to load ({type(err).__name__}); the server log has the details"
            log.error("model loading failed: %s: %s", type(err).__name__, err)
        else:
            self.embedder = embedder
            self.load_seconds = round(time.perf_counter() - started, 2)
            log.info("model %s ready in %.1fs", embedder.name, self.load_seconds)
        finally:
            self._ready.set()

    def start(self) -> None:
        """Start loading once; later calls do nothing."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="model-loader", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading finished (ready or failed); False on timeout."""
        return self._ready.wait(timeout)
