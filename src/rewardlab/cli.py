"""The ``rewardlab`` command line: ``score``, ``report``, ``audit``, ``eval``, ``probe``, ``train``, ``rewards``,
``validate``, ``serve``, ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from rewardlab._cli_common import _fail, _on_error, err, out, training_outputs
from rewardlab.cli_probe import probe_app
from rewardlab.core.spec import DEFAULT_SPEC
from rewardlab.errors import ConfigError, RewardError, RewardLabError

app = typer.Typer(
    name="rewardlab",
    help="The reward layer for RL post-training: score rollouts with verifiable, composable rewards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def score(
    input: Annotated[Path, typer.Argument(help="Rows to score: .jsonl, .jsonl.gz or .parquet")],
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write scored rows (.jsonl/.parquet)")
    ],
    reward: Annotated[str | None, typer.Option("--reward", "-r", help="A registered reward name")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="A TOML reward spec")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per CPU)")] = None,
    timeout: Annotated[float | None, typer.Option(help="Per-sample deadline in seconds")] = None,
    on_error: Annotated[
        str | None, typer.Option(help="'record' (default), 'raise', or a penalty score")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="Rename a column: FIELD=COLUMN, e.g. completion=solution"),
    ] = None,
    with_info: Annotated[
        bool, typer.Option("--with-info", help="Also write each result's info dict")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Score only the first N rows")] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by", help="Column whose value groups rows for group rewards (majority_vote, ...)"
        ),
    ] = None,
    backend: Annotated[str, typer.Option(help="'local' worker processes or 'ray' actors")] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (e.g. 'auto'); default: start a local Ray")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write an HTML report of the scored rows here")
    ] = None,
) -> None:
    """Score every row of INPUT and write it, plus `reward`, `components` and `error`, to --out."""
    from rewardlab.batch import score_file
    from rewardlab.io import parse_mapping
    from rewardlab.report import print_summary

    if reward and config:
        _fail(ConfigError("pass either --reward or --config, not both"))
    spec: Any = reward or config or DEFAULT_SPEC
    if not reward and not config:
        err.print(f"[dim]no --reward or --config given: using the default spec {DEFAULT_SPEC.name}[/]")
    policy = _on_error(on_error) if on_error is not None else None
    if backend not in ("local", "ray"):
        _fail(ConfigError(f"--backend must be 'local' or 'ray', got {backend!r}"))
    try:
        summary = score_file(
            input,
            out_path,
            spec,
            mapping=parse_mapping(map_ or []),
            with_info=with_info,
            limit=limit,
            group_by=group_by,
            backend=backend,  # type: ignore[arg-type]
            ray_address=ray_address,
            console=err,
            workers=workers,
            timeout=timeout,
            on_error=policy,
        )
    except RewardError as exc:
        _fail(exc, code=1)
        return
    except KeyboardInterrupt:
        err.print(f"interrupted: nothing was written to {out_path} (it is as it was before this run)")
        raise typer.Exit(130) from None
    except (RewardLabError, KeyError) as exc:
        _fail(exc)
        return
    print_summary(summary, out)
    out.print(f"wrote {summary.rows} rows to {out_path}")
    if report is not None:
        _write_rollouts_report(out_path, report)


def _write_rollouts_report(scored: Path, report: Path) -> None:
    try:
        from rewardlab.audit import read_rollouts
        from rewardlab.report.rollouts import rollouts_report

        rows = read_rollouts(scored)
        rollouts_report(rows, title="rewardlab report", subtitle=scored.name).write(report)
    except ImportError as exc:
        _fail(exc)
    except RewardLabError as exc:
        _fail(exc)
    out.print(f"wrote {report}")


@app.command("report")
def report_(
    scored: Annotated[
        Path, typer.Argument(help="Scored rows (.jsonl, .jsonl.gz, .parquet), e.g. from `score`")
    ],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Where to write the HTML report")],
) -> None:
    """An HTML report of scored rows: reward and component distributions, errors, reward vs length,
    per-step curves (when rows have a `step`), top and bottom examples. Static, offline, no script."""
    _write_rollouts_report(scored, out_path)


@app.command("audit")
def audit_(
    rollouts: Annotated[
        Path | None, typer.Argument(help="Scored rollouts with a `step` (top level or in `metadata`)")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Where to write the findings as JSON")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write an HTML report here")] = None,
    log: Annotated[
        list[Path] | None,
        typer.Option("--log", help="A trainer's metrics: TRL trainer_state.json, verl/OpenRLHF jsonl or CSV"),
    ] = None,
    log_map: Annotated[
        list[str] | None,
        typer.Option(
            "--log-map", help="A log's own column for a metric: CANONICAL=COLUMN, e.g. reward=reward_mean"
        ),
    ] = None,
    alarm: Annotated[
        str,
        typer.Option(help="Exit 1 when a finding at or above this severity fires: info, warning, critical"),
    ] = "warning",
    threshold: Annotated[
        list[str] | None,
        typer.Option("--threshold", help="Override a threshold: DETECTOR.PARAM=VALUE (repeat the option)"),
    ] = None,
    detector: Annotated[
        list[str] | None, typer.Option("--detector", help="Run only these detectors (repeat the option)")
    ] = None,
) -> None:
    """Audit a training run for reward hacking: length blow-up against correctness, clipping, repetition,
    format-only success, component dominance, reward/label divergence, zero-variance groups, diversity
    collapse, label-free collapse, GUI box inflation, hedging, silent zeros. Exit 1 on an alarm."""
    import json

    from rewardlab.audit import audit, parse_thresholds, read_log, read_rollouts, rollout_series
    from rewardlab.audit.series import Series

    if rollouts is None and not log:
        _fail(ConfigError("pass a rollouts file, --log FILE, or both"))
    try:
        series = Series(steps=[])
        if rollouts is not None:
            series = rollout_series(read_rollouts(rollouts), source=f"rollouts:{rollouts.name}")
            if not series.steps:
                err.print(
                    f"[yellow]warning:[/] no row of {rollouts} has a `step`: nothing to compare over time"
                )
        columns: dict[str, str] = {}
        for item in log_map or []:
            canon, eq, column = item.partition("=")
            if not eq or not canon.strip() or not column.strip():
                raise ConfigError(f"--log-map {item!r}: expected CANONICAL=COLUMN, e.g. reward=reward_mean")
            columns[canon.strip()] = column.strip()
        for path in log or []:
            series = series.merge(read_log(path, columns))
        result = audit(
            series, thresholds=parse_thresholds(threshold or []), alarm=alarm, detectors=detector or None
        )
    except RewardLabError as exc:
        _fail(exc)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"audit: {len(result.series.steps)} steps, {len(result.findings)} finding(s)")
    for col in ("severity", "detector", "what"):
        table.add_column(col)
    for f in result.findings:
        table.add_row(f.severity, f.detector, escape(f.message))
    out.print(table)
    for f in result.findings:  # the evidence: windows, steps, example completions
        evidence = json.dumps(f.evidence, default=str, ensure_ascii=False)
        out.print(f"[bold]{f.detector}[/]: {escape(evidence[:600])}{' ...' if len(evidence) > 600 else ''}")
    skipped = [c["detector"] for c in result.checks if c["status"] == "skipped"]
    if skipped:
        out.print(f"[dim]skipped (metrics not available): {', '.join(skipped)}[/]")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result.to_dict(), indent=1, default=str), encoding="utf-8")
        out.print(f"wrote {json_out}")
    if report is not None:
        try:
            from rewardlab.report.audit import audit_report

            audit_report(result).write(report)
        except ImportError as exc:
            _fail(exc)
        out.print(f"wrote {report}")
    if result.alarmed:
        err.print(f"[bold red]alarm:[/] a finding at or above '{alarm}' fired", highlight=False)
        raise typer.Exit(1)


@app.command()
def rewards() -> None:
    """List every registered reward with its one-line description."""
    from rich.markup import escape
    from rich.table import Table

    from rewardlab.core.registry import REGISTRY

    table = Table(title="registered rewards")
    table.add_column("name", style="bold")
    table.add_column("group")
    table.add_column("description")
    for entry in REGISTRY.entries():
        table.add_row(escape(entry.name), escape(entry.group), escape(entry.doc))  # "[0, 1]" is not markup
    out.print(table)


@app.command()
def validate(spec: Annotated[Path, typer.Argument(help="A TOML reward spec")]) -> None:
    """Check a spec without scoring anything; every problem is listed at once."""
    from rewardlab.runner.factory import check

    try:
        reward, _ = check(spec)  # exactly what `score` checks before it starts: reward and [runner] whole
    except RewardLabError as exc:
        _fail(exc)
    out.print(f"[green]ok[/]: {spec} builds {type(reward).__name__} {getattr(reward, 'name', '')!r}")


@app.command()
def serve(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="A TOML reward spec (default: embedded)")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Reward worker processes (default: one per CPU)")
    ] = None,
    timeout: Annotated[float | None, typer.Option(help="Per-sample deadline in seconds")] = None,
    max_batch: Annotated[int, typer.Option(help="Largest micro-batch")] = 64,
    max_wait_ms: Annotated[float, typer.Option(help="Longest wait for a micro-batch to fill")] = 5.0,
    max_queue: Annotated[int, typer.Option(help="Samples accepted before answering 503")] = 10_000,
    error_score: Annotated[
        float, typer.Option(help="Score of an errored sample on /get_reward (OpenRLHF)")
    ] = 0.0,
    grader_workers: Annotated[
        int, typer.Option(help="Graders (/v1/graders/*) run at once, each in its own process")
    ] = 2,
    grader_max_queue: Annotated[
        int, typer.Option(help="Graders accepted (running + waiting) before answering 503")
    ] = 64,
    grader_timeout: Annotated[
        float, typer.Option(help="Deadline of a grader request in seconds, queue wait included (504)")
    ] = 30.0,
    grader_memory_mb: Annotated[
        int, typer.Option(help="Address-space cap of each grader worker process, MB")
    ] = 2048,
    backend: Annotated[str, typer.Option(help="'local' worker processes or 'ray' actors")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join, e.g. 'auto'")] = None,
    eos: Annotated[
        list[str] | None,
        typer.Option(
            help="EOS string cut from /get_reward responses (repeat for several; 'none': cut nothing)"
        ),
    ] = None,
    tokenizer: Annotated[
        str | None, typer.Option(help="The policy's tokenizer: /get_reward cuts its EOS token(s)")
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Serve the reward over HTTP: /v1/score, /get_reward (OpenRLHF), /v1/graders/*, /health, /metrics."""
    try:
        from rewardlab.serve import serve as run_server
    except ImportError as exc:
        _fail(exc)
        return
    try:
        run_server(
            host,
            port,
            log_level=log_level,
            spec=config or DEFAULT_SPEC,
            workers=workers,
            timeout=timeout,
            max_batch=max_batch,
            max_wait_ms=max_wait_ms,
            max_queue=max_queue,
            error_score=error_score,
            grader_workers=grader_workers,
            grader_max_queue=grader_max_queue,
            grader_timeout=grader_timeout,
            grader_memory_mb=grader_memory_mb,
            backend=backend,
            ray_address=ray_address,
            eos_tokens=None if eos is None else tuple(t for t in eos if t.lower() != "none"),
            tokenizer=tokenizer,
        )
    except RewardLabError as exc:
        _fail(exc)


@app.command()
def demo(
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per CPU)")] = None,
    out_dir: Annotated[Path, typer.Option(help="Where the scored rows go")] = Path("out/demo"),
) -> None:
    """Score the bundled real samples with the default spec; report agreement with human labels."""
    from rewardlab.demo import run_demo

    try:
        run_demo(out_dir=out_dir, workers=workers, console=out)
    except RewardLabError as exc:
        _fail(exc)


@app.command("eval")
def eval_(
    kind: Annotated[str, typer.Argument(help="pairwise, best-of-n, rm-bench, judgebench or processbench")],
    data: Annotated[Path, typer.Option("--data", "-d", help="The benchmark file (.json, .jsonl, .jsonl.gz)")],
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the JSON summary")],
    reward: Annotated[
        str | None,
        typer.Option(
            "--reward", "-r", help="A registered reward, a TOML spec, or 'length' (the length baseline)"
        ),
    ] = None,
    scores_from_file: Annotated[
        bool, typer.Option("--scores-from-file", help="Re-score the file's stored scores or judgments")
    ] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Also write an HTML report here")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and of every split")] = 0,
    ties: Annotated[str, typer.Option(help="Pairwise tie policy: wrong, half or exclude")] = "wrong",
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates")] = 1000,
    threshold: Annotated[float, typer.Option(help="ProcessBench step threshold")] = 0.5,
    grouping: Annotated[
        str, typer.Option(help="best-of-n majority: 'exact' answers (Qwen) or 'math'")
    ] = "exact",
    workers: Annotated[int | None, typer.Option(help="Worker processes of the runner")] = None,
    timeout: Annotated[float | None, typer.Option(help="Per-sample deadline in seconds")] = 30.0,
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N rows")] = None,
    min_score: Annotated[
        float | None,
        typer.Option("--min-accuracy", "--min-score", help="Exit 1 when the headline metric is below this"),
    ] = None,
) -> None:
    """Evaluate a reward, reward model or judge on a benchmark file: accuracy with its bootstrap interval,
    the length-only baseline, ties, per-subset numbers; JSON summary, optional HTML report."""
    from rewardlab.eval.run import EvalSettings, evaluate
    from rewardlab.eval.summary import print_eval, write_json

    if reward is None and not scores_from_file:
        _fail(ConfigError("pass --reward SPEC (or --reward length) or --scores-from-file"))
    try:
        settings = EvalSettings(
            seed=seed, ties=ties, n_boot=n_boot, threshold=threshold, grouping=grouping,  # type: ignore[arg-type]
            workers=workers, timeout=timeout,
        )  # fmt: skip
        spec: Any = reward
        if reward is not None and reward.endswith(".toml"):
            spec = Path(reward)
        result = evaluate(
            kind, data, reward=spec, scores_from_file=scores_from_file, settings=settings, limit=limit
        )
    except KeyboardInterrupt:
        err.print("interrupted: nothing was written")
        raise typer.Exit(130) from None
    except RewardLabError as exc:
        _fail(exc)
        return
    write_json(result.summary, json_out)
    print_eval(result, out)
    out.print(f"wrote {json_out}")
    if report is not None:
        try:
            from rewardlab.report.evaluation import eval_report

            eval_report(result).write(report)
        except ImportError as exc:
            _fail(exc)
        out.print(f"wrote {report}")
    if min_score is not None and not result.headline() >= min_score:
        err.print(f"[bold red]below the minimum:[/] {result.headline():.4f} < {min_score}", highlight=False)
        raise typer.Exit(1)


TRAIN_KINDS = ("bt", "listwise", "prm", "implicit-prm", "attributes", "pal")


@app.command()
def train(
    kind: Annotated[
        str,
        typer.Argument(
            help="bt (Bradley-Terry), listwise, prm (process), implicit-prm, attributes or pal (pluralistic)"
        ),
    ],
    model: Annotated[str, typer.Option("--model", "-m", help="Base checkpoint directory (transformers)")],
    data: Annotated[Path, typer.Option("--data", "-d", help="Training rows: .jsonl, .jsonl.gz or .parquet")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where the trained model is saved")],
    max_length: Annotated[int, typer.Option(help="Tokens per text, special tokens included")] = 512,
    epochs: Annotated[float | None, typer.Option(help="Passes over the data (default 1; pal: 15)")] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(help="Examples (pairs, lists, solutions) per forward pass (default 8; pal: 64)"),
    ] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate (default 2e-5; pal: 3e-3)")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, the batch order and the head")] = 0,
    grad_accum: Annotated[int, typer.Option(help="Forward passes per optimiser step")] = 1,
    eval_data: Annotated[
        Path | None, typer.Option(help="Held-out rows (default: --eval-fraction of --data)")
    ] = None,
    eval_fraction: Annotated[float, typer.Option(help="Share of --data held out when no --eval-data")] = 0.1,
    eval_every: Annotated[int, typer.Option(help="Evaluate every N optimiser steps (0: at the end)")] = 0,
    save_every: Annotated[int, typer.Option(help="Checkpoint every N optimiser steps (0: none)")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue from the newest checkpoint in --out")] = False,
    resume_from: Annotated[Path | None, typer.Option(help="Continue from this checkpoint directory")] = None,
    truncation: Annotated[str, typer.Option(help="prefix (shared prefix first), left or right")] = "prefix",
    overflow: Annotated[str, typer.Option(help="truncate or drop over-long examples (counted)")] = "truncate",
    head: Annotated[
        str | None,
        typer.Option(
            help="linear (plain transformers loads it, the default) or mlp; pal: its projection (default mlp)"
        ),
    ] = None,
    center_coef: Annotated[float | None, typer.Option(help="Reward centring coefficient")] = None,
    warmup_ratio: Annotated[float, typer.Option(help="Share of steps with a linear warm-up")] = 0.0,
    weight_decay: Annotated[float, typer.Option(help="AdamW weight decay")] = 0.0,
    on_bad: Annotated[str, typer.Option(help="skip (and report) or error on bad rows")] = "skip",
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or auto")] = "auto",
    limit: Annotated[int | None, typer.Option(help="Read only the first N rows of --data")] = None,
    separator: Annotated[
        str | None,
        typer.Option(help="Step separator, escapes like \\n allowed (default: prm \\n\\n, implicit-prm \\n)"),
    ] = None,
    after_error: Annotated[
        str, typer.Option(help="prm, earliest-wrong-step labels: mask or negative")
    ] = "mask",
    beta: Annotated[float, typer.Option(help="implicit-prm: beta of the log-ratio reward")] = 0.05,
    reference: Annotated[
        str, typer.Option(help="implicit-prm: 'init' (frozen copy of --model) or 'none'")
    ] = "init",
    plot: Annotated[bool, typer.Option(help="Write training-curve.png and report.html into --out")] = True,
    prototypes: Annotated[int, typer.Option(help="pal: number of prototypes K (--head: the projection)")] = 3,
    heads: Annotated[int, typer.Option(help="bt/listwise: reward heads (an ensemble when > 1)")] = 1,
    attributes: Annotated[
        str | None, typer.Option(help="attributes: names a,b,c (default: the first row's numeric columns)")
    ] = None,
) -> None:
    """Train a reward model and save it as a Hugging Face checkpoint in --out (plus metrics.jsonl,
    training.json with every bad row and truncation count, and a training-curve PNG)."""
    if kind not in TRAIN_KINDS:
        _fail(ConfigError(f"KIND must be one of {', '.join(TRAIN_KINDS)}, got {kind!r}"))
    if kind == "pal":
        from rewardlab.cli_pal import train_pal_command

        train_pal_command(
            model, data, out_dir, prototypes=prototypes, projection=head or "mlp", epochs=epochs, batch_size=batch_size,
            lr=lr, weight_decay=weight_decay, max_length=max_length, eval_data=eval_data,
            eval_fraction=eval_fraction, on_bad=on_bad, seed=seed, device=device, limit=limit, plot=plot,
            progress=_TrainProgress(err),
        )  # fmt: skip
        return
    try:
        from rewardlab.models.run import train_reward_model
        from rewardlab.models.settings import TrainSettings
    except ImportError as exc:
        _fail(exc)
        return
    epochs = 1.0 if epochs is None else epochs
    batch_size = 8 if batch_size is None else batch_size
    lr = 2e-5 if lr is None else lr
    head = "linear" if head is None else head
    try:
        settings = TrainSettings(
            epochs=epochs, batch_size=batch_size, grad_accum=grad_accum, lr=lr, weight_decay=weight_decay,
            warmup_ratio=warmup_ratio, max_length=max_length, truncation=truncation, overflow=overflow,
            eval_fraction=0.0 if eval_data is not None else eval_fraction, eval_every=eval_every,
            save_every=save_every, head=head, center_coef=center_coef, on_bad=on_bad, seed=seed, device=device,
            heads=heads,
        )  # fmt: skip
        default_sep = "\n" if kind == "implicit-prm" else "\n\n"
        sep = separator.encode().decode("unicode_escape") if separator is not None else default_sep
        prm_options = {"separator": sep, "after_error": after_error, "beta": beta, "reference": reference}
        with _TrainProgress(err) as progress:
            result = train_reward_model(
                kind, model, data, out_dir, settings, eval_data=eval_data, limit=limit,
                resume=resume_from or resume or None, on_event=progress, prm_options=prm_options,
                attributes=attributes.split(",") if attributes is not None else None,
            )  # fmt: skip
    except KeyboardInterrupt:
        err.print(
            f"interrupted: checkpoints (if any) are in {out_dir / 'checkpoints'}; continue with --resume"
        )
        raise typer.Exit(130) from None
    except (RewardLabError, OSError) as exc:
        _fail(exc)
        return
    metric = {"prm": "step_accuracy", "implicit-prm": "outcome_accuracy", "attributes": "pearson_mean"}
    training_outputs(out_dir, plot=plot, metric=metric.get(kind, "accuracy"))
    final = ", ".join(f"{k} {v:.4g}" for k, v in result.final_eval.items() if k not in ("step", "epoch"))
    out.print(
        f"trained {result.steps} steps at {result.examples_per_s:.1f} examples/s; held out: {final or 'none'}"
    )
    out.print(f"saved to {out_dir}")


class _TrainProgress:
    """A rich progress bar fed by the trainer's events (start, log, eval, checkpoint, end)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.console = console
        self.progress = Progress(
            TextColumn("[bold]train[/]"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console,
        )  # fmt: skip
        self.task: Any = None

    def __enter__(self) -> _TrainProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, kind: str, rec: dict[str, Any]) -> None:
        if kind == "start":
            self.task = self.progress.add_task(
                "train", total=rec["total_steps"], completed=rec["step"], status=""
            )
        elif kind == "log" and self.task is not None:
            acc = rec.get("accuracy", rec.get("step_accuracy", rec.get("outcome_accuracy")))
            status = f"loss {rec['loss']:.4f}" + (f" acc {acc:.3f}" if acc is not None else "")
            self.progress.update(
                self.task, completed=rec["step"], status=f"{status} {rec['examples_per_s']:.1f} ex/s"
            )
        elif kind == "eval":
            shown = {k: v for k, v in rec.items() if k not in ("split", "epoch", "n")}
            self.console.print("eval " + " ".join(f"{k}={v:.4g}" for k, v in shown.items()), highlight=False)
        elif kind == "checkpoint":
            self.console.print(f"checkpoint {rec['path']}", highlight=False)


app.add_typer(probe_app, name="probe")


def main() -> None:  # console-script entry point
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
