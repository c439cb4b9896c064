"""The installed ``replykit`` command with the real model, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from suggest.config import Settings
from suggest.models.prepare import PreparedModel

REPLYKIT = shutil.which("replykit") or str(Path(sys.executable).parent / "replykit")


@pytest.fixture
def env(real_settings: Settings, prepared: PreparedModel) -> dict[str, str]:
    """The user's environment, pointed at the model cache the fixtures prepared."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPLYKIT_")}
    return clean | {"COLUMNS": "160", "REPLYKIT_MODEL_CACHE_DIR": str(real_settings.model_cache_dir)}


def _replykit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REPLYKIT, *args], check=False, capture_output=True, text=True, env=env, timeout=120
    )


def test_embed_finds_the_dutch_english_pair(env: dict[str, str]) -> None:
    texts = ["Waar is mijn pakket?", "Where is my package?", "I want to cancel my subscription"]
    table = _replykit(env, "embed", *texts)
    assert table.returncode == 0, table.stderr
    assert "closest pair: #1 and #2" in table.stdout
    as_json = _replykit(env, "embed", "--json", *texts)
    payload = json.loads(as_json.stdout)
    assert payload["dim"] == 384 and "onnx-int8" in payload["model"]
    assert len(payload["vectors"]) == 3 and all(len(v) == 384 for v in payload["vectors"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_serve_becomes_ready_without_torch(env: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [REPLYKIT, "serve", "--port", str(port)],
            env=env | {"REPLYKIT_DATA_DIR": str(tmp_path), "REPLYKIT_LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline, status = time.monotonic() + 120, 0
        body: dict[str, object] = {}
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = _get(base + "/readyz")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, f"{body}; server log: {log.read_text()[-2000:]}"
        assert body["dim"] == 384 and "onnx-int8" in str(body["model"])
        assert _get(base + "/healthz") == (200, {"status": "ok"})
        libraries = Path(f"/proc/{server.pid}/maps").read_text()
        assert "libtorch" not in libraries, "the serving process loaded torch"
    finally:
        server.terminate()
        server.wait(timeout=30)
