"""``rewardlab probe rm`` and ``rewardlab probe judge``: robustness probes of reward models and judges."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rewardlab._cli_common import _fail, out
from rewardlab.errors import RewardLabError

probe_app = typer.Typer(help="Robustness probes of scorers.", no_args_is_help=True)


@probe_app.command("rm")
def probe_rm(
    data: Annotated[Path, typer.Option("--data", "-d", help="Preference pairs (any pairwise format)")],
    reward: Annotated[
        str, typer.Option("--reward", "-r", help="A registered reward, a TOML spec or 'length'")
    ],
    json_out: Annotated[Path | None, typer.Option("--json", help="Where to write the JSON summary")] = None,
    probes: Annotated[
        list[str] | None, typer.Option("--probe", help="Probes to run (default: all); repeat the option")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every transform")] = 0,
    workers: Annotated[int | None, typer.Option(help="Worker processes of the runner")] = None,
    timeout: Annotated[float | None, typer.Option(help="Per-sample deadline in seconds")] = 30.0,
    limit: Annotated[int | None, typer.Option(help="Use only the first N pairs")] = None,
) -> None:
    """Accuracy of a scalar scorer with and without controlled perturbations of real pairs, and the
    number of pairs each one flips."""
    from rewardlab.eval.probes import run_probes
    from rewardlab.eval.summary import print_probes, write_json

    try:
        spec: Any = Path(reward) if reward.endswith(".toml") else reward
        summary = run_probes(
            data, spec, probes=probes, seed=seed, workers=workers, timeout=timeout, limit=limit
        )
    except RewardLabError as exc:
        _fail(exc)
        return
    print_probes(summary, out)
    if json_out is not None:
        write_json(summary, json_out)
        out.print(f"wrote {json_out}")


@probe_app.command("judge")
def probe_judge(
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="The judge's OpenAI-compatible URL (or OPENAI_BASE_URL)")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="The judge model's name")] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", "-d", help="jsonl of questions with references (default: bundled GSM8K)"),
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option("--pairs", help="Preference pairs for the pairwise probes (default: LLMBar)"),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Where to write the JSON summary")] = None,
    probes: Annotated[
        list[str] | None, typer.Option("--probe", help="Probes to run (default: all); repeat the option")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every choice")] = 0,
    limit: Annotated[int | None, typer.Option(help="Use only the first N questions and pairs")] = None,
    concurrency: Annotated[int, typer.Option(help="Judge calls in flight")] = 8,
    timeout: Annotated[float, typer.Option(help="Seconds per judge call attempt")] = 60.0,
    cache: Annotated[bool, typer.Option(help="Cache judge answers (re-runs cost nothing)")] = True,
) -> None:
    """How often a judge accepts known-wrong answers (master keys, translations, grader overrides, real wrong
    answers, position swaps, verbosity), without and with the guard."""
    from rewardlab.eval.judge_probe import run_judge_probe
    from rewardlab.eval.summary import write_json

    try:
        summary = run_judge_probe(
            base_url=base_url, model=model, data=data, pairs=pairs, probes=probes, seed=seed, limit=limit,
            concurrency=concurrency, timeout=timeout, cache=cache,
        )  # fmt: skip
    except RewardLabError as exc:
        _fail(exc)
        return
    from rich.table import Table

    table = Table(title=f"judge probe: {summary['model']}")
    for col in ("probe", "n", "FPR", "FPR guarded", "abstained"):
        table.add_column(col, justify="left" if col == "probe" else "right")
    for name, row in summary["probes"].items():
        fmt = lambda x: "–" if x is None else f"{100 * x:.1f}%"  # noqa: E731
        table.add_row(name, str(row["n"]), fmt(row["fpr"]), fmt(row["fpr_guarded"]), str(row["abstained"]))
    out.print(table)
    if json_out is not None:
        write_json(summary, json_out)
        out.print(f"wrote {json_out}")
