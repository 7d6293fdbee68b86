"""Terminal tables and JSON files for evaluation results (rich; strict JSON with NaN as null)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rewardlab.eval.run import EvalResult


def write_json(summary: dict[str, Any], path: str | Path) -> Path:
    """Write ``summary`` as strict JSON (a temporary name renamed at the end)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    tmp.write_text(json.dumps(summary, indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}"


def _ci(ci: Any) -> str:
    return "–" if not ci or ci[0] is None else f"[{_pct(ci[0])}, {_pct(ci[1])}]"


def print_eval(result: EvalResult, console: Any) -> None:
    """A rich table: the headline with its interval, ties, the length baseline, then per subset."""
    from rich.table import Table

    s = result.summary
    kind = s["kind"]
    table = Table(title=f"rewardlab eval {kind} · {Path(s['data']['path']).name} · {s['scorer']}")
    if kind == "best-of-n":
        for col in ("k", "RM@k %", "95% CI", "maj@k %", "oracle@k %", "longest@k %"):
            table.add_column(col, justify="right")
        for k in range(1, s["N"] + 1):
            table.add_row(str(k), _pct(s["rm_at_k"][k - 1]), _ci(s["ci"]["rm_at_k"][k - 1]), _pct(s["maj_at_k"][k - 1]),
                          _pct(s["oracle_at_k"][k - 1]), _pct(s["length_at_k"][k - 1]))  # fmt: skip
    else:
        for col in ("", "n", "headline %", "95% CI", "ties", "length baseline %"):
            table.add_column(col, justify="right" if col else "left")
        if kind == "processbench":
            table.add_row("F1", str(s["n"]), _pct(s["f1"]), _ci(s["ci"]), "–", "–")
            table.add_row("  error acc.", str(s["n_error"]), _pct(s["error_accuracy"]), "", "", "")
            table.add_row("  correct acc.", str(s["n_correct"]), _pct(s["correct_accuracy"]), "", "", "")
            for name, sub in s["subsets"].items():
                table.add_row(
                    f"  {name} F1", str(sub["n_error"] + sub["n_correct"]), _pct(sub["f1"]), "", "", ""
                )
            if s["oracle_threshold"]:
                table.add_row(
                    "oracle-threshold F1 (upper bound)", "", _pct(s["oracle_threshold"]["f1"]), "", "", ""
                )
        else:
            base = s.get("length_baseline") or {}
            table.add_row("accuracy", str(s["n"]), _pct(s["accuracy"]), _ci(s["ci"]), str(s.get("ties", "–")),
                          _pct(base.get("accuracy", base.get("average"))))  # fmt: skip
            groups = s.get("subsets") or s.get("categories") or s.get("domains") or {}
            for name, sub in groups.items():
                acc = sub.get("accuracy", sub.get("average"))
                table.add_row(f"  {name}", str(sub.get("n", "")), _pct(acc), _ci(sub.get("ci")), str(sub.get("ties", "")),
                              _pct(sub.get("length_baseline")) if isinstance(sub.get("length_baseline"), float) else "")  # fmt: skip
    console.print(table)
    bad = s["data"]["malformed"]
    console.print(
        f"malformed rows {bad}  scorer errors {s.get('errors', 0)}  excluded {s.get('excluded')}  "
        f"seed {s['seed']}  data sha256 {s['data']['sha256'][:12]}…",
        highlight=False,
    )


def print_probes(summary: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"rewardlab probe rm · {summary['scorer']} · {summary['n']} pairs")
    for col in ("probe", "accuracy %", "under probe %", "drop (points)", "flipped pairs", "errors"):
        table.add_column(col, justify="left" if col == "probe" else "right")
    for name, p in summary["probes"].items():
        table.add_row(name, _pct(p["accuracy"]), _pct(p["accuracy_probed"]),
                      "–" if p["drop"] is None else f"{100 * p['drop']:.1f}", str(p["flipped"]), str(p["errors"]))  # fmt: skip
    console.print(table)
