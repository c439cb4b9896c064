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

from suggest.models.prepare import PreparedModel

REPLYKIT = shutil.which("replykit") or str(Path(sys.executable).parent / "replykit")


def _replykit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REPLYKIT, *args], check=False, capture_output=True, text=True, env=_env(), timeout=120
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYKIT_")}
    env.update({"COLUMNS": "160", **extra})
    return env


def test_embed_finds_the_dutch_english_pair(prepared: PreparedModel) -> None:
    texts = ["Waar is mijn pakket?", "Where is my package?", "I want to cancel my subscription"]
    table = _replykit("embed", *texts)
    assert table.returncode == 0, table.stderr
    assert "closest pair: #1 and #2" in table.stdout
    as_json = _replykit("embed", "--json", *texts)
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


def test_serve_becomes_ready_with_the_real_model(prepared: PreparedModel, tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [REPLYKIT, "serve", "--port", str(port)],
        env=_env(REPLYKIT_DATA_DIR=str(tmp_path), REPLYKIT_LOG_LEVEL="warning"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline, status = time.monotonic() + 120, 0
        body: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                status, body = _get(base + "/readyz")
            except OSError:
                status = 0
            if status == 200:
                break
            assert server.poll() is None, "server exited early"
            time.sleep(0.5)
        assert status == 200, body
        assert body["dim"] == 384 and "onnx-int8" in str(body["model"])
        assert _get(base + "/healthz") == (200, {"status": "ok"})
    finally:
        server.terminate()
        server.wait(timeout=30)
