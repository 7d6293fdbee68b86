"""Load test of `rewardlab serve`: many concurrent clients, mixed request sizes, nothing lost.

Starts a server subprocess (default spec: math + boxed format, on the bundled ProcessBench sample), then

1. mixed load: ``--clients`` concurrent clients send ``--requests`` requests of 1-64 samples; every
   result is checked against the score computed in-process for the same sample, so a lost, duplicated
   or reordered result is counted; prints p50/p99 latency and samples/s;
2. batch 64: the same samples in requests of exactly 64 from 16 clients, against ``rl.Runner`` scoring
   the same batches of 64 in-process with the same number of worker processes; prints the ratio
   (the issue's target: HTTP >= 80% of in-process).

Run: ``.venv/bin/python bench/serve_load.py`` (``--requests 2000`` for a quicker run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

import rewardlab as rl
from rewardlab.core.spec import DEFAULT_SPEC

DATA = Path(__file__).resolve().parents[1] / "src" / "rewardlab" / "data" / "processbench_sample.jsonl"
SIZES = [1, 2, 4, 8, 16, 32, 64]
WEIGHTS = [8, 6, 5, 4, 3, 2, 1]  # mostly small requests, as trainers with many rollout workers send


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, extra: list[str] | None = None) -> subprocess.Popen[bytes]:
    """``rewardlab serve`` on ``port`` (``extra``: more options), once ``/health`` answers; exits with the
    server's last output if it dies first. Shared by the serve benchmarks."""
    exe = Path(sys.executable).parent / "rewardlab"
    cmd = [str(exe), "serve", "--port", str(port), "--workers", str(workers), "--timeout", "10",
           "--log-level", "warning", "--max-queue", "100000", *(extra or [])]  # fmt: skip
    # a file, not a pipe: a long run's output cannot fill it and stall the server; it lives as long as the server
    log = tempfile.TemporaryFile()  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(1200):
        if proc.poll() is not None:
            log.seek(0)
            sys.exit(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("server did not start")


async def fire(
    url: str, requests: list[list[int]], samples: list[dict], clients: int
) -> tuple[list[float], list]:
    """Send every request (a list of sample indices) with ``clients`` concurrent workers."""
    latencies: list[float] = []
    answers: list = [None] * len(requests)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(requests)):
        queue.put_nowait(i)

    # One connection per simulated client, as separate trainer processes would have. (A single shared
    # httpx pool with hundreds of connections spends its time scanning the pool, and the load generator,
    # not the server, becomes the bottleneck.)
    tls = ssl.create_default_context()  # plain HTTP here, but httpx builds a TLS context per client otherwise

    async def client() -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits, verify=tls) as http:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = {"samples": [samples[k] for k in requests[i]], "with_info": False}
                for attempt in range(20):
                    start = time.perf_counter()
                    try:
                        resp = await http.post("/v1/score", json=body)
                    except httpx.TransportError:  # a connection closed under us: retry, as rl.Client does
                        await asyncio.sleep(0.05 * (attempt + 1))
                        continue
                    if resp.status_code != 503:
                        break
                    await asyncio.sleep(float(resp.headers.get("retry-after", 1)) * (attempt + 1) / 4)
                latencies.append(time.perf_counter() - start)
                answers[i] = resp.json()["results"] if resp.status_code == 200 else resp.status_code

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, answers


def check(requests: list[list[int]], answers: list, expected: list[float | None]) -> tuple[int, int]:
    lost = wrong = 0
    for idx, ans in zip(requests, answers, strict=True):
        if not isinstance(ans, list) or len(ans) != len(idx):
            lost += len(idx)
            continue
        wrong += sum(a["reward"] != expected[k] for a, k in zip(ans, idx, strict=True))
    return lost, wrong


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=256)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    rng = random.Random(0)
    samples = [
        {k: row[k] for k in ("prompt", "completion", "reference")}
        for row in map(json.loads, DATA.read_text(encoding="utf-8").splitlines())
    ]
    console = Console(width=None if sys.stdout.isatty() else 120)

    # Expected scores, in-process, and the in-process baseline at batch 64.
    with rl.Runner(DEFAULT_SPEC, workers=args.workers, timeout=10) as runner:
        expected = [r.score for r in runner.score(samples)]
        batches64 = [
            [rng.randrange(len(samples)) for _ in range(64)] for _ in range(max(50, args.requests // 40))
        ]
        start = time.perf_counter()
        for b in batches64:
            runner.score([samples[k] for k in b])
        inproc_s = time.perf_counter() - start
    inproc_rate = 64 * len(batches64) / inproc_s

    port = free_port()
    server = start_server(port, args.workers)
    url = f"http://127.0.0.1:{port}"
    try:
        mixed = [
            [rng.randrange(len(samples)) for _ in range(rng.choices(SIZES, WEIGHTS)[0])]
            for _ in range(args.requests)
        ]
        asyncio.run(fire(url, mixed[:50], samples, 8))  # warm-up: worker processes, connections
        start = time.perf_counter()
        lat, answers = asyncio.run(fire(url, mixed, samples, args.clients))
        mixed_s = time.perf_counter() - start
        lost, wrong = check(mixed, answers, expected)
        n_mixed = sum(map(len, mixed))

        start = time.perf_counter()
        lat64, answers64 = asyncio.run(fire(url, batches64, samples, 16))
        http64_s = time.perf_counter() - start
        lost64, wrong64 = check(batches64, answers64, expected)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    http64_rate = 64 * len(batches64) / http64_s
    table = Table(
        title=f"rewardlab serve under load ({args.workers} worker processes, {os.cpu_count()} CPUs)"
    )
    for col in (
        "phase",
        "requests",
        "samples",
        "lost",
        "wrong",
        "p50 ms",
        "p99 ms",
        "samples/s",
        "vs in-process",
    ):
        table.add_column(col, justify="left" if col == "phase" else "right")
    table.add_row(f"mixed 1-64, {args.clients} clients", str(len(mixed)), str(n_mixed), str(lost), str(wrong),
                  f"{pct(lat, 0.5):.1f}", f"{pct(lat, 0.99):.1f}", f"{n_mixed / mixed_s:,.0f}",
                  f"{n_mixed / mixed_s / inproc_rate:.0%}")  # fmt: skip
    table.add_row("batch 64, 16 clients", str(len(batches64)), str(64 * len(batches64)), str(lost64), str(wrong64),
                  f"{pct(lat64, 0.5):.1f}", f"{pct(lat64, 0.99):.1f}", f"{http64_rate:,.0f}",
                  f"{http64_rate / inproc_rate:.0%}")  # fmt: skip
    table.add_row("in-process rl.Runner, batch 64", str(len(batches64)), str(64 * len(batches64)), "-", "-", "-", "-",
                  f"{inproc_rate:,.0f}", "100%")  # fmt: skip
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps({
            "mixed": {"requests": len(mixed), "samples": n_mixed, "lost": lost, "wrong": wrong,
                      "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99), "samples_per_s": n_mixed / mixed_s},
            "batch64": {"http_samples_per_s": http64_rate, "inprocess_samples_per_s": inproc_rate,
                        "ratio": http64_rate / inproc_rate, "lost": lost64, "wrong": wrong64},
        }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
