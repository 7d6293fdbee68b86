"""`/v1/score` latency while slow graders load the same server.

Starts `rewardlab serve` (default spec, 1 worker process), then for ``--seconds`` seconds keeps
``--graders`` concurrent clients each posting a ``python`` grader that sleeps ``--sleep`` seconds in the
sandbox to ``/v1/graders/run`` (a grader answered or refused is sent again at once), while one probe
client posts a one-sample ``/v1/score`` request every 50 ms and reads ``/health`` every 0.5 s. Prints the
probe's latency (p50, p99, max), the grader answers by status, and the ``/health`` statuses seen.

Run: ``.venv/bin/python bench/serve_graders.py`` (``--graders 16 --sleep 2 --seconds 20`` by default).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import signal
import statistics
import subprocess
import time

import httpx

from serve_load import free_port, start_server  # bench/ is on sys.path when run as a script


def grader(seconds: float) -> dict[str, str]:
    source = f"def grade(sample, item):\n    import time\n    time.sleep({seconds})\n    return 1.0\n"
    return {"type": "python", "name": "slow", "source": source}


async def run(url: str, graders: int, sleep: float, seconds: float) -> dict[str, object]:
    stop = time.monotonic() + seconds
    answers: collections.Counter[int] = collections.Counter()
    latencies: list[float] = []
    health: collections.Counter[str] = collections.Counter()
    slow: list[tuple[float, float]] = []  # (seconds into the run, latency) of probes over 200 ms
    sample = {"samples": [{"completion": "so \\boxed{4}", "reference": "4"}]}

    async def grader_client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            body = {"grader": grader(sleep), "model_sample": "x"}
            while time.monotonic() < stop:
                r = await http.post("/v1/graders/run", json=body)
                answers[r.status_code] += 1
                if r.status_code != 200:
                    await asyncio.sleep(0.05)

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            await http.post("/v1/score", json=sample)  # starts the score workers: not timed
            await asyncio.sleep(1.0)  # the graders are queued
            last_health = 0.0
            while time.monotonic() < stop:
                start = time.perf_counter()
                r = await http.post("/v1/score", json=sample)
                latencies.append(time.perf_counter() - start)
                if latencies[-1] > 0.2:
                    slow.append((round(time.monotonic() - (stop - seconds), 2), round(latencies[-1], 3)))
                assert r.status_code == 200, r.text
                if time.monotonic() - last_health > 0.5:
                    last_health = time.monotonic()
                    h = (await http.get("/health")).json()
                    health[h["status"] + (f" ({'; '.join(h['reasons'])})" if h.get("reasons") else "")] += 1
                await asyncio.sleep(0.05)

    await asyncio.gather(probe(), *(grader_client() for _ in range(graders)))
    latencies.sort()
    return {
        "probe_requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[math.ceil(0.99 * len(latencies)) - 1] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "grader_answers": dict(sorted(answers.items())),
        "health": dict(health),
        "slow_probes": slow,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graders", type=int, default=16, help="concurrent grader clients")
    ap.add_argument("--sleep", type=float, default=2.0, help="seconds each grader sleeps")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the run")
    ap.add_argument("--serve-arg", action="append", default=[], help="extra `rewardlab serve` argument")
    args = ap.parse_args()
    port = free_port()
    proc = start_server(port, 1, args.serve_arg)
    try:
        out = asyncio.run(run(f"http://127.0.0.1:{port}", args.graders, args.sleep, args.seconds))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
