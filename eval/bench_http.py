"""``/v1/suggest`` speed over HTTP against a running server (``python -m eval.bench_http``): issue 5.

The server is ``replykit serve`` in its own process, on a throw-away data directory loaded with
the demo tenant (the demo intent model is copied in, not retrained). This process is the client:
httpx with keep-alive, one request at a time by default (``--concurrency`` for more).

- Single: one ~80-word e-mail per request (kb/demo/tickets/speed.jsonl, in turn), after a warm-up;
  p50, p95, p99 of the client-side wall time.
- Batch: the demo test tickets in batches of ``--batch`` per ``/v1/suggest/batch`` call; tickets/s.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from eval.bench_embed import machine_facts
from kb.demo import DEMO_TENANT
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from training.demo import demo_tickets, ensure_demo_intent, ticket_file
from training.tenant_models import intent_dir

console = Console()
TARGETS = {"p50_ms": 15.0, "p95_ms": 30.0, "batch_per_s": 150.0}
REPLYKIT = str(Path(sys.executable).with_name("replykit"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def demo_server(log: Path) -> Iterator[tuple[str, str]]:
    """A server on a fresh data directory with the demo loaded; yields (base url, agent key)."""
    settings = get_settings()
    ensure_demo_intent(settings.data_dir, load_embedder(settings))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        shutil.copytree(intent_dir(settings.data_dir, DEMO_TENANT), intent_dir(data, DEMO_TENANT))
        env = os.environ | {
            "REPLYKIT_DATA_DIR": str(data),
            "REPLYKIT_MODEL_CACHE_DIR": str(settings.model_cache_dir),
        }
        subprocess.run([REPLYKIT, "demo"], env=env, check=True, capture_output=True)
        key = json.loads((data / "demo-keys.json").read_text())["agent"]
        port = _free_port()
        with log.open("w") as out:
            server = subprocess.Popen(
                [REPLYKIT, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
            )
            try:
                url = f"http://127.0.0.1:{port}"
                _wait_ready(url, server)
                yield url, key
            finally:
                server.terminate()
                server.wait(30)


def _wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}; see its log")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not ready within {timeout:.0f} s")


def _body(row: dict[str, Any], i: int) -> dict[str, Any]:
    return {
        "ticket": {
            "id": f"B-{i}",
            "text": row["text"],
            "subject": row.get("subject"),
            "channel": row["channel"],
        },
        "customer": {"name": "Maria Papadopoulou"},
        "agent": {"name": "Daan"},
    }


def _percentiles(ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(ms, n=100)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def single(url: str, key: str, rows: list[dict[str, Any]], requests: int, concurrency: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    bodies = [_body(rows[i % len(rows)], i) for i in range(requests)]

    def run(chunk: list[dict[str, Any]]) -> list[float]:
        times = []
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for body in chunk:
                started = time.perf_counter()
                response = client.post("/v1/suggest", json=body)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
        return times

    run(bodies[:30])  # warm-up: first requests load the tenant's models and fill caches
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        parts = list(pool.map(run, [bodies[i::concurrency] for i in range(concurrency)]))
    wall = time.perf_counter() - started
    ms = [t for part in parts for t in part]
    return _percentiles(ms) | {"concurrency": concurrency, "requests_per_s": round(len(ms) / wall, 1)}


def batch(url: str, key: str, rows: list[dict[str, Any]], size: int, rounds: int) -> dict[str, Any]:
    bodies = [_body(r, i) for i, r in enumerate(rows)]
    chunks = [bodies[i : i + size] for i in range(0, len(bodies), size)]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
        client.post("/v1/suggest/batch", json={"tickets": chunks[0]}).raise_for_status()
        rates = []
        for _ in range(rounds):
            started = time.perf_counter()
            for chunk in chunks:
                client.post("/v1/suggest/batch", json={"tickets": chunk}).raise_for_status()
            rates.append(len(bodies) / (time.perf_counter() - started))
    return {
        "tickets": len(bodies),
        "batch_size": size,
        "rounds": rounds,
        "per_s": round(statistics.median(rates), 1),
    }


def main(
    requests: Annotated[int, typer.Option(help="Timed single-ticket requests.")] = 300,
    concurrency: Annotated[list[int], typer.Option(help="Client threads; repeat for several runs.")] = [1],  # noqa: B006
    batch_size: Annotated[int, typer.Option("--batch", help="Tickets per batch call.")] = 64,
    rounds: Annotated[int, typer.Option(help="Passes over the demo test tickets in batches.")] = 3,
    out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
) -> None:
    report: dict[str, Any] = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": machine_facts(),
        "client": "httpx 1 connection per client thread, keep-alive, separate process from the server",
    }
    log = Path(tempfile.gettempdir()) / "replykit-bench-server.log"
    with demo_server(log) as (url, key):
        speed_rows = ticket_file("speed.jsonl")
        report["single"] = [single(url, key, speed_rows, requests, c) for c in concurrency]
        report["batch"] = batch(url, key, demo_tickets("test"), batch_size, rounds)
    first = report["single"][0]
    report["verdict"] = {
        "p50_ms": first["p50_ms"] <= TARGETS["p50_ms"],
        "p95_ms": first["p95_ms"] <= TARGETS["p95_ms"],
        "batch_per_s": report["batch"]["per_s"] >= TARGETS["batch_per_s"],
    }
    console.print_json(data=report)
    if out:
        out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    typer.run(main)
