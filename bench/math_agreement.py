"""Agreement of rewardlab's ``"math"`` reward with labelled answers, set by set, side by side with Math-Verify.

Every set is a list of (completion, reference, label) rows; both checkers score every row and their verdicts
are compared with the label. Sets (each skipped with a message when its data is absent):

- ``processbench``: ProcessBench rows with reference answers (steps joined by blank lines; label
  ``final_answer_correct``, by human annotators);
- ``gsm8k``: GSM8K example model solutions (4 models x 658 problems), reference from ``gsm8k/test.jsonl``
  (``#### n``), label ``is_correct``;
- ``hendrycks``: the 16 equivalence cases of hendrycks/math (completion = ``pred``, reference = ``gold``);
- ``math500``: each MATH-500 problem's ``solution`` against its own ``answer`` (label true: the solution's
  boxed answer is the answer), and ``math500-bare``: the completion is the ``answer`` itself (label true);
- ``qwen``: the 800 sampled responses of the Qwen2.5-Math example file, reference ``gt`` (the gold the
  file's grader used; ``--qwen-gold answer`` uses the MATH ``answer`` instead), label = the file's ``score``;
- ``classes``: the labelled answer-class table ``tests/rewards/math/data/answer_classes.jsonl``, also
  broken down per class.

rewardlab: ``MathReward()(Sample(prompt, completion, reference))`` in-process, a fresh object per set;
``score == 1.0`` is "correct", and a result with an error counts as a disagreement. Math-Verify 0.9.0 with
its default settings: ``verify(parse(gold), parse(completion))`` on the main thread (its ``signal.alarm``
timeouts only work there). The gold is passed as its README shows it (``parse("$...$")``): a reference
that contains ``\\boxed`` is passed as is, any other is wrapped as ``$reference$`` (``--mv-gold boxed``
wraps it as ``\\boxed{reference}`` instead). An exception counts as a disagreement.

Times are wall clock around each checker's loop over the set (imports and first-use warm-up excluded).

Run: ``.venv/bin/python bench/math_agreement.py [--sets a,b] [--limit N] [--show-disagreements N]
[--json out.json]``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from math_verify import parse, verify
from rich.console import Console
from rich.table import Table

import rewardlab as rl
from rewardlab.rewards.math import MathReward

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CLASSES = ROOT / "tests" / "rewards" / "math" / "data" / "answer_classes.jsonl"


@dataclass
class Row:
    id: str
    completion: str
    reference: str
    label: bool
    prompt: str = ""
    group: str = ""  # the class of a class-table row


@dataclass
class Verdicts:
    said: list[bool | None] = field(default_factory=list)  # None = error
    extracted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class Missing(Exception):
    """The data of a set is absent."""


def _need(*paths: Path) -> None:
    absent = [str(p) for p in paths if not p.exists()]
    if absent:
        raise Missing(", ".join(absent))


def load_processbench() -> list[Row]:
    path = DATA / "processbench" / "processbench_gsm8k_math_with_reference_answers.jsonl"
    _need(path)
    return [
        Row(
            r["id"],
            "\n\n".join(r["steps"]),
            r["reference_answer"],
            bool(r["final_answer_correct"]),
            r["problem"],
        )
        for r in _jsonl(path)
    ]


def load_gsm8k() -> list[Row]:
    sols, test = DATA / "gsm8k" / "example_model_solutions.jsonl", DATA / "gsm8k" / "test.jsonl"
    _need(sols, test)
    gold = {r["question"].strip(): r["answer"].split("####")[1].strip() for r in _jsonl(test)}
    rows = []
    for i, r in enumerate(_jsonl(sols)):
        ref = gold[r["question"].strip()]
        for model, sol in r.items():
            if isinstance(sol, dict) and {"solution", "is_correct"} <= set(sol):
                rows.append(
                    Row(f"{i + 1}:{model}", sol["solution"], ref, bool(sol["is_correct"]), r["question"])
                )
    return rows


def load_hendrycks() -> list[Row]:
    path = DATA / "answer_equivalence" / "hendrycks_math_equivalence_test_cases.jsonl"
    _need(path)
    return [Row(r["test"], r["pred"], r["gold"], bool(r["expected"])) for r in _jsonl(path)]


def _math500() -> list[dict]:
    path = DATA / "math" / "math500" / "test.jsonl"
    _need(path)
    return _jsonl(path)


def load_math500() -> list[Row]:
    return [Row(r["unique_id"], r["solution"], r["answer"], True, r["problem"]) for r in _math500()]


def load_math500_bare() -> list[Row]:
    return [Row(r["unique_id"], r["answer"], r["answer"], True, r["problem"]) for r in _math500()]


def load_qwen(gold_key: str) -> list[Row]:
    path = DATA / "math" / "qwen2.5-math_eval_rm_maj_example" / "math_cot_100.jsonl"
    _need(path)
    rows = []
    for r in _jsonl(path):
        # JSON lists in this copy; older copies store Python-literal strings
        responses, scores = (
            v if isinstance(v, list) else ast.literal_eval(v) for v in (r["response"], r["score"])
        )
        for k, (completion, score) in enumerate(zip(responses, scores, strict=True)):
            rows.append(Row(f"{r['idx']}:{k}", completion, r[gold_key], bool(score), r["question"]))
    return rows


def load_classes() -> list[Row]:
    _need(CLASSES)
    return [
        Row(r["id"], r["completion"], r["reference"], r["label"], group=r["class"]) for r in _jsonl(CLASSES)
    ]


def mv_gold(reference: str, mode: str) -> str:
    if "\\boxed" in reference:
        return reference
    return f"\\boxed{{{reference}}}" if mode == "boxed" else f"${reference}$"


def run_math_verify(rows: list[Row], mode: str) -> Verdicts:
    out = Verdicts()
    start = time.perf_counter()
    for row in rows:
        try:
            pred = parse(row.completion)
            said: bool | None = bool(verify(parse(mv_gold(row.reference, mode)), pred))
            out.extracted.append(str(pred[-1]) if pred else "-")
        except Exception as exc:  # a crash is no verdict
            said = None
            out.extracted.append("-")
            out.errors.append(f"{row.id}: {type(exc).__name__}: {exc}"[:200])
        out.said.append(said)
    out.seconds = time.perf_counter() - start
    return out


def run_rewardlab(rows: list[Row]) -> Verdicts:
    reward = MathReward()  # a fresh object (empty answer cache) per set
    out = Verdicts()
    start = time.perf_counter()
    for row in rows:
        try:
            res = reward(rl.Sample(prompt=row.prompt, completion=row.completion, reference=row.reference))
        except Exception as exc:
            res = rl.RewardResult.failure(exc)
        if res.error:
            out.said.append(None)
            out.errors.append(f"{row.id}: {res.error.type}: {res.error.message}"[:200])
        else:
            out.said.append(res.score == 1.0)
        out.extracted.append(str(res.info.get("answer", "-")) if res.info else "-")
    out.seconds = time.perf_counter() - start
    return out


def subset(v: Verdicts, idx: list[int], rows: list[Row]) -> Verdicts:
    """The verdicts of some rows of a set; their time is the set's mean time per row."""
    ids = {r.id for r in rows}
    errors = [e for e in v.errors if e.split(":", 1)[0] in ids]
    share = len(idx) / len(v.said)
    return Verdicts([v.said[i] for i in idx], [v.extracted[i] for i in idx], errors, v.seconds * share)


def agree(v: Verdicts, rows: list[Row]) -> int:
    return sum(s is not None and s == r.label for s, r in zip(v.said, rows, strict=True))


def summary(name: str, rows: list[Row], rw: Verdicts, mv: Verdicts) -> dict:
    n = len(rows)
    a_rw, a_mv = agree(rw, rows), agree(mv, rows)
    return {
        "set": name,
        "rows": n,
        "labelled_true": sum(r.label for r in rows),
        "rewardlab_agree": a_rw,
        "rewardlab_pct": 100 * a_rw / n,
        "math_verify_agree": a_mv,
        "math_verify_pct": 100 * a_mv / n,
        "difference_pp": 100 * (a_rw - a_mv) / n,
        "rewardlab_errors": len(rw.errors),
        "math_verify_errors": len(mv.errors),
        "rewardlab_rows_per_s": n / rw.seconds if rw.seconds else float("inf"),
        "math_verify_rows_per_s": n / mv.seconds if mv.seconds else float("inf"),
    }


def disagreements(rows: list[Row], rw: Verdicts, mv: Verdicts) -> list[dict]:
    out = []
    for i, r in enumerate(rows):
        if rw.said[i] == r.label:
            continue
        out.append(
            {
                "id": r.id,
                "class": r.group,
                "label": r.label,
                "rewardlab": "error" if rw.said[i] is None else rw.said[i],
                "rewardlab_answer": rw.extracted[i][:120],
                "math_verify": "error" if mv.said[i] is None else mv.said[i],
                "math_verify_answer": mv.extracted[i][:120],
                "reference": r.reference[:120],
                "completion_tail": r.completion[-160:],
            }
        )
    return out


def results_table(title: str, results: list[dict], first: str) -> Table:
    table = Table(title=title)
    cols = (
        first,
        "rows",
        "rewardlab agree",
        "Math-Verify agree",
        "diff (pp)",
        "errors rl/MV",
        "rl rows/s",
        "MV rows/s",
    )
    for col in cols:
        table.add_column(col, justify="left" if col == first else "right")
    for r in results:
        table.add_row(
            r["set"],
            str(r["rows"]),
            f"{r['rewardlab_agree']} ({r['rewardlab_pct']:.1f}%)",
            f"{r['math_verify_agree']} ({r['math_verify_pct']:.1f}%)",
            f"{r['difference_pp']:+.1f}",
            f"{r['rewardlab_errors']}/{r['math_verify_errors']}",
            f"{r['rewardlab_rows_per_s']:,.0f}",
            f"{r['math_verify_rows_per_s']:,.0f}",
        )
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sets", default="all", help="comma-separated subset of: " + ", ".join(SETS) + " (default all)"
    )
    ap.add_argument("--limit", type=int, default=0, help="score only the first N rows of each set (0 = all)")
    ap.add_argument(
        "--mv-gold", choices=("dollar", "boxed"), default="dollar", help="how Math-Verify gets the gold"
    )
    ap.add_argument(
        "--qwen-gold", choices=("gt", "answer"), default="gt", help="reference field of the Qwen file"
    )
    ap.add_argument(
        "--show-disagreements",
        type=int,
        default=0,
        metavar="N",
        help="list N rows per set where rewardlab disagrees with the label",
    )
    ap.add_argument(
        "--json", type=Path, default=None, help="also write the numbers (and disagreements) to this file"
    )
    args = ap.parse_args()
    names = list(SETS) if args.sets == "all" else [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        sys.exit(f"unknown set(s) {unknown}; choose from {list(SETS)}")

    console = Console(width=None if sys.stdout.isatty() else 150)
    console.print(
        f"rewardlab from {Path(rl.__file__).parent}; Math-Verify gold as "
        f"{'$ref$' if args.mv_gold == 'dollar' else chr(92) + 'boxed{ref}'}; {os.cpu_count()} CPUs"
    )
    # Untimed warm-up: both libraries import sympy / latex2sympy on first use.
    warm = [
        Row("w", "The answer is $\\boxed{\\frac{1}{2}}$.", "1/2", True),
        Row("w", "x \\le 2", "(-\\infty,2]", True),
    ]
    run_math_verify(warm, args.mv_gold)
    run_rewardlab(warm)

    results, per_class, listed = [], [], {}
    for name in names:
        try:
            rows = SETS[name](args)
        except Missing as exc:
            console.print(f"[yellow]skipping {name}[/]: data absent ({exc})")
            continue
        if args.limit:
            rows = rows[: args.limit]
        rw = run_rewardlab(rows)
        mv = run_math_verify(rows, args.mv_gold)
        results.append(summary(name, rows, rw, mv))
        listed[name] = disagreements(rows, rw, mv)
        for msg in (rw.errors[:3] + mv.errors[:3]) if (rw.errors or mv.errors) else []:
            console.print(f"  [red]{name}[/] error: {msg}", highlight=False)
        if name == "classes":
            for cls in dict.fromkeys(r.group for r in rows):
                idx = [i for i, r in enumerate(rows) if r.group == cls]
                sub = [rows[i] for i in idx]
                per_class.append(summary(cls, sub, subset(rw, idx, sub), subset(mv, idx, sub)))

    if not results:
        sys.exit("no set could be loaded")
    console.print(
        results_table("math reward: agreement with the labels, rewardlab vs Math-Verify", results, "set")
    )
    if per_class:
        console.print(
            results_table("answer-class table, per class (rows/s: the set's mean)", per_class, "class")
        )
    if args.show_disagreements:
        for name, items in listed.items():
            if not items:
                continue
            console.print(
                f"\n[bold]{name}[/]: rewardlab disagrees with the label on {len(items)} rows (first {args.show_disagreements}):"
            )
            dt = Table(
                "id", "label", "rewardlab (answer)", "Math-Verify (answer)", "reference", "completion (end)"
            )
            for d in items[: args.show_disagreements]:
                dt.add_row(
                    d["id"],
                    str(d["label"]),
                    f"{d['rewardlab']} ({d['rewardlab_answer'][:40]})",
                    f"{d['math_verify']} ({d['math_verify_answer'][:40]})",
                    d["reference"][:40],
                    d["completion_tail"][-60:].replace("\n", " "),
                )
            console.print(dt)
    if args.json:
        payload = {
            "rewardlab": str(Path(rl.__file__).parent),
            "math_verify_gold": args.mv_gold,
            "qwen_gold": args.qwen_gold,
            "sets": results,
            "classes": per_class,
            "disagreements": listed,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        console.print(f"wrote {args.json}")


SETS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "processbench": lambda a: load_processbench(),
    "gsm8k": lambda a: load_gsm8k(),
    "hendrycks": lambda a: load_hendrycks(),
    "math500": lambda a: load_math500(),
    "math500-bare": lambda a: load_math500_bare(),
    "qwen": lambda a: load_qwen(a.qwen_gold),
    "classes": lambda a: load_classes(),
}


if __name__ == "__main__":
    main()
