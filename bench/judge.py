"""Judge rewards: throughput, the cache, a 429 storm, and the master-key probe, side by side.

Anchor: what a user writes without rewardlab, a plain loop of ``openai`` chat-completion calls (one after
another, the ``openai`` client's own retries). rewardlab's ``judge_label`` runs the same calls through its
client (concurrency limit, back-off, cache). Every row prints samples/s and the ratio to the anchor.

1. A scripted OpenAI-compatible server with a fixed latency per call (``--latency``, default 50 ms, what a
   busy GPU server feels like): concurrency 1 / 4 / 16, cache cold then warm.
2. A 429 storm: the server refuses a seeded 40% of calls with ``Retry-After``; how many samples still get
   a verdict, how many retries, the time it took.
3. ``--real``: SmolLM2-135M-Instruct behind ``transformers serve`` (see ``rewardlab.judges.local``):
   concurrency 1 and 4, cold and warm, and the probe table (FPR without and with the guard).

Run: ``.venv/bin/python bench/judge.py [--n 200] [--latency 0.05] [--real] [--real-n 16] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "judges"))
from scripted_judge import Reply, scripted_judge

import rewardlab as rl
from rewardlab.judges import JudgeLabel

console = Console()
ONE_WORD = """Question: {question}
Reference answer: {reference}
Candidate answer: {answer}
Is the candidate answer correct? Answer with one word: correct or incorrect."""


def samples(n: int) -> list[rl.Sample]:
    rows = []
    for i in range(n):
        a, b = i % 17 + 2, i % 13 + 3
        answer = str(a * b + (i % 3 == 0))  # a third of them wrong
        rows.append(
            rl.Sample(
                prompt=f"What is {a} * {b}? (#{i})", completion=f"It is {answer}.", reference=str(a * b)
            )
        )
    return rows


def anchor(url: str, model: str, rows: list[rl.Sample], template: str | None = None) -> float:
    """A plain sequential loop with the openai client: samples/s."""
    import openai

    client = openai.OpenAI(base_url=url, api_key="EMPTY", max_retries=5)
    start = time.perf_counter()
    for s in rows:
        user = (
            template or "Question: {question}\nReference answer: {reference}\nCandidate: {answer}\nCorrect?"
        ).format(question=s.prompt_text, reference=s.reference, answer=s.completion_text)
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": user}], temperature=0, max_tokens=8
        )
    client.close()
    return len(rows) / (time.perf_counter() - start)


def rewardlab_rate(reward: JudgeLabel, rows: list[rl.Sample]) -> tuple[float, list[rl.RewardResult]]:
    start = time.perf_counter()
    out = reward.score_batch(rows)
    return len(rows) / (time.perf_counter() - start), out


def scripted_section(n: int, latency: float, report: dict[str, Any]) -> None:
    rows = samples(n)
    table = Table(title=f"scripted judge, {latency * 1000:.0f} ms per call, {n} samples")
    for col in ("engine", "concurrency", "cache", "samples/s", "vs anchor"):
        table.add_column(col, justify="right" if col != "engine" else "left")

    def answer(req: dict[str, Any], i: int) -> Reply:
        return Reply(text='{"verdict": "correct"}', delay=latency)

    with scripted_judge(answer) as judge, tempfile.TemporaryDirectory() as tmp:
        base = anchor(judge.url, "m", rows[: max(20, n // 10)])
        table.add_row("openai loop (anchor)", "1", "-", f"{base:.1f}", "1.0x")
        report["scripted"] = {"anchor": base, "rows": []}
        for conc in (1, 4, 16):
            reward = JudgeLabel(
                base_url=judge.url, model="m", concurrency=conc, cache=f"{tmp}/c{conc}.sqlite"
            )
            cold, _ = rewardlab_rate(reward, rows)
            warm, _ = rewardlab_rate(reward, rows)
            reward.close()
            for label, rate in (("cold", cold), ("warm", warm)):
                table.add_row("rewardlab judge_label", str(conc), label, f"{rate:.1f}", f"{rate / base:.1f}x")
                report["scripted"]["rows"].append(
                    {"concurrency": conc, "cache": label, "samples_per_s": rate}
                )
    console.print(table)


def storm_section(n: int, latency: float, report: dict[str, Any]) -> None:
    rng = random.Random(0)
    refused = 0

    def answer(req: dict[str, Any], i: int) -> Reply:
        nonlocal refused
        if rng.random() < 0.4:
            refused += 1
            return Reply(status=429, headers={"retry-after": "0.05"})
        return Reply(text='{"verdict": "correct"}', delay=latency)

    rows = samples(n)
    with scripted_judge(answer) as judge:
        reward = JudgeLabel(
            base_url=judge.url, model="m", concurrency=8, cache=False, max_retries=10, backoff=0.05
        )
        start = time.perf_counter()
        out = reward.score_batch(rows)
        took = time.perf_counter() - start
        stats = reward.client.stats()
        reward.close()
    ok = sum(r.error is None for r in out)
    console.print(
        f"[bold]429 storm[/]: {refused} of {judge.calls} calls refused (40% seeded); {ok}/{n} samples got a verdict, "
        f"{stats['retries']} retries ({stats['rate_limited']} after 429), {took:.1f} s, {n / took:.1f} samples/s"
    )
    report["storm"] = {"calls": judge.calls, "refused": refused, "verdicts": ok, "n": n, "retries": stats["retries"],
                       "seconds": took}  # fmt: skip


def real_section(n: int, limit: int, report: dict[str, Any]) -> None:
    from rewardlab.eval.judge_probe import run_judge_probe
    from rewardlab.judges.local import serve, smollm2_dir

    model_dir = smollm2_dir()
    rows = samples(n)
    with serve(model_dir) as url, tempfile.TemporaryDirectory() as tmp:
        model = str(model_dir)
        base = anchor(url, model, rows, ONE_WORD)
        table = Table(title=f"SmolLM2-135M-Instruct via transformers serve, {n} samples")
        for col in ("engine", "concurrency", "cache", "samples/s", "vs anchor", "abstained"):
            table.add_column(col, justify="right" if col != "engine" else "left")
        table.add_row("openai loop (anchor)", "1", "-", f"{base:.2f}", "1.0x", "-")
        report["real"] = {"anchor": base, "rows": []}
        for conc in (1, 4, 16):
            reward = JudgeLabel(base_url=url, model=model, concurrency=conc, template=ONE_WORD, max_tokens=8,
                                timeout=300, cache=f"{tmp}/c{conc}.sqlite")  # fmt: skip
            cold, out = rewardlab_rate(reward, rows)
            warm, _ = rewardlab_rate(reward, rows)
            reward.close()
            abstained = sum(r.error is not None for r in out)
            for label, rate in (("cold", cold), ("warm", warm)):
                table.add_row("rewardlab judge_label", str(conc), label, f"{rate:.2f}", f"{rate / base:.1f}x",
                              str(abstained))  # fmt: skip
                report["real"]["rows"].append({"concurrency": conc, "cache": label, "samples_per_s": rate,
                                               "abstained": abstained})  # fmt: skip
        console.print(table)
        probe = run_judge_probe(base_url=url, model=model, limit=limit, concurrency=4, timeout=300, cache=False,
                                max_tokens=8)  # fmt: skip
    report["real"]["probe"] = probe["probes"]
    print_probe(probe["probes"], f"probe judge: SmolLM2-135M (limit {limit})")


def print_probe(probes: dict[str, Any], title: str) -> None:
    table = Table(title=title)
    for col in ("probe", "n", "FPR", "FPR guarded", "abstained"):
        table.add_column(col, justify="right" if col != "probe" else "left")
    for name, p in probes.items():
        table.add_row(
            name, str(p["n"]), f"{100 * p['fpr']:.1f}%", f"{100 * p['fpr_guarded']:.1f}%", str(p["abstained"])
        )
    console.print(table)


def scripted_probe(report: dict[str, Any], limit: int) -> None:
    from rewardlab.eval.judge_probe import run_judge_probe

    def fooled(req: dict[str, Any], i: int) -> str:
        text = req["messages"][-1]["content"]
        return "[[A]]" if "Response A" in text else '{"verdict": "correct"}'

    with scripted_judge(fooled) as judge:
        probe = run_judge_probe(base_url=judge.url, model="fooled", limit=limit, cache=False)
    report["scripted_probe"] = probe["probes"]
    print_probe(probe["probes"], f"probe judge: a scripted judge that accepts everything (limit {limit})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--real", action="store_true")
    ap.add_argument("--real-n", type=int, default=16)
    ap.add_argument("--probe-limit", type=int, default=20)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    report: dict[str, Any] = {"n": args.n, "latency": args.latency}
    scripted_section(args.n, args.latency, report)
    storm_section(args.n, args.latency, report)
    scripted_probe(report, args.probe_limit)
    if args.real:
        real_section(args.real_n, args.probe_limit, report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
