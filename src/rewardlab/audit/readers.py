"""Readers: scored rollouts and trainers' metric logs, each turned into a per-step
:class:`~rewardlab.audit.series.Series` under the canonical metric names.

Scored rollouts (``rewardlab score`` output, or any jsonl/parquet with ``completion``, ``reward``,
``components`` and a ``step`` at the top level or in ``metadata``) give the richest series: every
per-rollout measure (length, repetition, hedging, diversity within groups, zero-variance groups,
component variance shares, errors by type, majority-vote agreement, GUI box areas) is computed here.

Trainer logs give what the trainer logged:

- TRL: ``trainer_state.json`` (its ``log_history``), or the same rows as jsonl;
- verl: the file logger's jsonl (``{"step": n, "data": {...}}``) or console lines
  (``step:1 - critic/score/mean:0.51 - ...``);
- OpenRLHF: jsonl or CSV exports of its logged metrics (``train/reward``, ``train/response_length``...).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rewardlab.audit.detectors import CORRECT_NAME, FORMAT_NAME
from rewardlab.audit.series import Series
from rewardlab.audit.text import final_answers, pairwise_similarity, repetition_rate, words
from rewardlab.errors import ConfigError

LOOP_THRESHOLD = 0.5
"""A completion "loops" when :func:`~rewardlab.audit.text.repetition_rate` (4-grams) is at least this."""
_PARSE_FAIL = re.compile(r"pars|no .*answer|unreadable|timeout|timed out", re.I)
_LABEL_KEYS = ("label", "is_correct", "gold_correct")


# --- scored rollouts ---------------------------------------------------------------------------------


def read_rollouts(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a scored rollouts file (``.jsonl``, ``.jsonl.gz``, ``.parquet``); unreadable lines are
    skipped (they carry no reward to audit)."""
    from rewardlab.io import BadRow, read_rows

    return [r for r in read_rows(Path(path)) if not isinstance(r, BadRow)]


def row_step(row: Mapping[str, Any]) -> int | None:
    """The row's step: ``row["step"]``, else ``row["metadata"]["step"]`` (None without one)."""
    step = row.get("step")
    if step is None and isinstance(row.get("metadata"), Mapping):
        step = row["metadata"].get("step")
    try:
        return None if step is None or isinstance(step, bool) else int(step)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # chat messages: the last one's content
        for msg in reversed(value):
            if isinstance(msg, Mapping) and isinstance(msg.get("content"), str):
                return str(msg["content"])
    return ""


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _find(info: Any, key: str) -> list[Any]:
    """Every value of ``key`` in a nested info dict (a composite reward nests its components' info)."""
    out: list[Any] = []
    if isinstance(info, Mapping):
        for k, v in info.items():
            if k == key:
                out.append(v)
            else:
                out.extend(_find(v, key))
    return out


def _label(row: Mapping[str, Any]) -> float | None:
    meta = row.get("metadata") if isinstance(row.get("metadata"), Mapping) else {}
    for key in _LABEL_KEYS:
        for src in (row, meta):
            if isinstance(src, Mapping) and key in src:
                return _num(src[key])
    return None


def _component(components: Mapping[str, Any], pattern: re.Pattern[str]) -> float | None:
    vals = [x for k, v in components.items() if pattern.search(k) and (x := _num(v)) is not None]
    return max(vals) if vals else None


def _group_key(row: Mapping[str, Any]) -> Any:
    meta = row.get("metadata") if isinstance(row.get("metadata"), Mapping) else {}
    for key in ("group", "group_id", "uid"):
        for src in (meta, row):
            if isinstance(src, Mapping) and src.get(key) is not None:
                return json.dumps(src[key], sort_keys=True, default=str)
    return json.dumps(row.get("prompt"), sort_keys=True, default=str)


def _mean(xs: Iterable[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.mean(vals)) if vals else None


def _shares(rows: list[Mapping[str, Any]]) -> dict[str, float]:
    """Each component's share of the reward's variance over ``rows``: w_c cov(c, R) / var(R), with the
    weights w fitted by least squares of R on the components (exact for a weighted sum, whatever the
    weights; the shares then add up to 1)."""
    names = sorted({k for r in rows for k in (r.get("components") or {})})
    ok = [r for r in rows if _num(r.get("reward")) is not None and r.get("components")]
    if len(names) < 2 or len(ok) < len(names) + 2:
        return {}
    total = np.array([float(r["reward"]) for r in ok])
    var = float(total.var())
    if var <= 0:
        return {}
    comps = np.array([[_num(r["components"].get(n)) or 0.0 for n in names] for r in ok])
    design = np.column_stack([comps, np.ones(len(ok))])
    weights = np.linalg.lstsq(design, total, rcond=None)[0][:-1]
    centred = total - total.mean()
    return {
        n: float(weights[j] * np.mean((comps[:, j] - comps[:, j].mean()) * centred) / var)
        for j, n in enumerate(names)
    }


def rollout_series(
    rows: Iterable[Mapping[str, Any]], *, examples: int = 3, source: str = "rollouts"
) -> Series:
    """Per-step metrics of scored rollouts. Rows without a step are ignored (so are all rows of a file
    without steps: the series is then empty and the detectors are skipped).

    Metrics: ``reward`` (mean of scored rows), ``length`` (mean words), ``clipped_ratio`` (rows with
    ``metadata.truncated`` or ``finish_reason == "length"``), ``correct`` / ``format`` (the components
    whose names match correctness / format), ``component/<name>``, ``share/<name>``, ``label_acc`` and
    ``reward_label_corr`` (rows with a ``label`` / ``is_correct``), ``error_rate`` and ``error/<type>``,
    ``silent_zero_rate`` (errors plus rows whose info says the answer could not be read or timed out),
    ``repetition``, ``hedging``, ``diversity`` and ``zero_std_frac`` (per group), ``agreement`` and
    ``pseudo_correct`` (``majority_vote`` info), ``box_area_ratio`` (GUI rewards' info, median)."""
    by_step: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        step = row_step(row)
        if step is not None:
            by_step[step].append(row)
    series = Series(steps=sorted(by_step), source=source)
    table: dict[str, dict[int, float]] = defaultdict(dict)
    for step in series.steps:
        for name, value in _step_metrics(by_step[step], step, series, examples).items():
            if value is not None:
                table[name][step] = value
    series.metrics = {n: [col.get(s) for s in series.steps] for n, col in sorted(table.items())}
    return series


def _step_metrics(
    rows: list[Mapping[str, Any]], step: int, series: Series, k: int
) -> dict[str, float | None]:
    n = len(rows)
    texts = [_text(r.get("completion")) for r in rows]
    comps = [r.get("components") or {} for r in rows]
    rewards = [_num(r.get("reward")) for r in rows]
    errors = [r.get("error") for r in rows]
    out: dict[str, float | None] = {
        "reward": _mean(rewards),
        "length": float(np.mean([len(words(t)) for t in texts])),
        "error_rate": sum(e is not None for e in errors) / n,
        "correct": _mean(_component(c, CORRECT_NAME) for c in comps),
        "format": _mean(_component(c, FORMAT_NAME) for c in comps),
    }
    for name in sorted({key for c in comps for key in c}):
        vals = [v for v in (_num(c.get(name)) for c in comps) if v is not None]
        out[f"component/{name}"] = _mean(vals)
        out[f"std/{name}"] = float(np.std(vals)) if vals else None
    for name, share in _shares(rows).items():
        out[f"share/{name}"] = share
    types: dict[str, int] = defaultdict(int)
    for e in errors:
        if isinstance(e, Mapping):
            types[str(e.get("type", "error"))] += 1
    for t, c in types.items():
        out[f"error/{t}"] = c / n
    silent = []
    for i, r in enumerate(rows):
        reasons = " ".join(str(x) for x in _find(r.get("info"), "reason"))
        if errors[i] is not None or (rewards[i] == 0 and _PARSE_FAIL.search(reasons)):
            silent.append(i)
    out["silent_zero_rate"] = len(silent) / n
    _keep(series, "silent_zero_rate", step, [f"{_err(errors[i])}: {texts[i][:160]}" for i in silent], k)
    truncated = [_truncated(r) for r in rows]
    if any(t is not None for t in truncated):
        out["clipped_ratio"] = _mean(truncated)
    loops = [i for i, t in enumerate(texts) if repetition_rate(t) >= LOOP_THRESHOLD]
    out["repetition"] = len(loops) / n
    _keep(series, "repetition", step, [texts[i][:240] for i in loops], k)
    hedges = [i for i, t in enumerate(texts) if len(final_answers(t)) >= 2]
    out["hedging"] = len(hedges) / n
    _keep(series, "hedging", step, [texts[i][:240] for i in hedges], k)
    labels = [_label(r) for r in rows]
    if any(v is not None for v in labels):
        out["label_acc"] = _mean(labels)
        pairs = [(x, y) for x, y in zip(rewards, labels, strict=True) if x is not None and y is not None]
        if len(pairs) >= 3 and np.std([p[0] for p in pairs]) > 0 and np.std([p[1] for p in pairs]) > 0:
            out["reward_label_corr"] = float(np.corrcoef(np.array(pairs).T)[0, 1])
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[_group_key(r)].append(i)
    multi = [g for g in groups.values() if len(g) >= 2]
    if multi:
        scored = [[x for i in g if (x := rewards[i]) is not None] for g in multi]
        scored = [s for s in scored if len(s) >= 2]
        if scored:
            out["zero_std_frac"] = sum(float(np.std(s)) == 0 for s in scored) / len(scored)
        sims = [pairwise_similarity([texts[i] for i in g]) for g in multi]
        sim = _mean(sims)
        out["diversity"] = None if sim is None else 1.0 - sim
    out["agreement"] = _mean(_num(v) for r in rows for v in _find(r.get("info"), "agreement")[:1])
    out["pseudo_correct"] = _mean(_num(v) for r in rows for v in _find(r.get("info"), "correct")[:1])
    areas = [a for r in rows for v in _find(r.get("info"), "area_ratio") if (a := _num(v)) is not None]
    out["box_area_ratio"] = float(np.median(areas)) if areas else None
    return out


def _err(e: Any) -> str:
    return str(e.get("type", "error")) if isinstance(e, Mapping) else "unparsed"


def _truncated(row: Mapping[str, Any]) -> float | None:
    meta = row.get("metadata") if isinstance(row.get("metadata"), Mapping) else {}
    for src in (row, meta):
        if not isinstance(src, Mapping):
            continue
        if "truncated" in src and isinstance(src["truncated"], bool):
            return float(src["truncated"])
        if src.get("finish_reason") is not None:
            return float(src["finish_reason"] == "length")
    return None


def _keep(series: Series, name: str, step: int, texts: list[str], k: int) -> None:
    if texts and k:
        series.examples.setdefault(name, {})[step] = texts[:k]


# --- trainer logs ------------------------------------------------------------------------------------

# Trainer metric name -> canonical name. TRL 1.16 (GRPOTrainer._log / log_history), verl 0.9
# (critic/score/*, response_length/*, actor/entropy), OpenRLHF 0.11 (train/* after the prefix is cut).
_KEYS: dict[str, str] = {
    "reward": "reward",
    "completions/mean_length": "length",
    "completions/clipped_ratio": "clipped_ratio",
    "frac_reward_zero_std": "zero_std_frac",
    "entropy": "entropy",
    "critic/score/mean": "reward",
    "response_length/mean": "length",
    "response_length/clip_ratio": "clipped_ratio",
    "actor/entropy": "entropy",
    "response_length": "length",
    "truncated_ratio": "clipped_ratio",
}
_STEP_KEYS = (
    "step",
    "global_step",
    "train/global_step",
    "training/global_step",
    "_step",
    "update",
    "iteration",
)


def _canonical(raw: Mapping[str, Any], columns: Mapping[str, str] | None = None) -> dict[str, float]:
    """One log row's numbers under canonical names (plus ``component/*``, ``std/*``, ``share/*``).
    ``columns`` maps canonical names to a log's own column names (they win over the built-in names)."""
    out: dict[str, float] = {}
    for canon, column in (columns or {}).items():
        if (v := _num(raw.get(column))) is not None:
            out[canon] = v
    row = {re.sub(r"^(train|rollout)/", "", k): v for k, v in raw.items()}
    funcs = {m.group(1) for k in row if (m := re.fullmatch(r"rewards/(.+)/mean", k))}
    for key, value in row.items():
        v = _num(value)
        if v is None:
            continue
        if key in _KEYS:
            out.setdefault(_KEYS[key], v)
        elif m := re.fullmatch(r"rewards/(.+)/mean", key):
            out[f"component/{m.group(1)}"] = v
        elif m := re.fullmatch(r"rewards/(.+)/std", key):
            out[f"std/{m.group(1)}"] = v
        elif key.endswith("/error_rate"):
            out["error_rate"] = max(v, out.get("error_rate", 0.0))
        elif (m := re.fullmatch(r"([^/]+)/([^/]+)", key)) and m.group(1) in funcs | {"rewardlab"}:
            out[f"component/{m.group(2)}"] = v  # rewardlab's adapter: <function name>/<component>
        elif re.match(r"(val|eval)", key) and re.search(r"acc|correct", key):
            out.setdefault("label_acc", v)
    comps = {k[len("component/") :]: v for k, v in out.items() if k.startswith("component/")}
    for name, v in comps.items():
        if CORRECT_NAME.search(name):
            out.setdefault("correct", v)
        elif FORMAT_NAME.search(name):
            out.setdefault("format", v)
    stds = {k[len("std/") :]: v for k, v in out.items() if k.startswith("std/")}
    total = sum(s * s for s in stds.values())
    if len(stds) >= 2 and total > 0:
        for name, s in stds.items():
            out[f"share/{name}"] = s * s / total
    return out


def _step_of(raw: Mapping[str, Any], index: int) -> int:
    for key in _STEP_KEYS:
        if key in raw and _num(raw[key]) is not None:
            return int(raw[key])
    return index + 1


def log_series(
    rows: Iterable[Mapping[str, Any]], source: str = "log", columns: Mapping[str, str] | None = None
) -> Series:
    """A series from a trainer's metric rows (dicts with a step key; verl's ``{"step", "data"}`` is
    unwrapped). Rows of a step are merged; rows without any known metric (run totals) add nothing.
    ``columns``: ``{canonical name: the log's column}`` for logs with their own names."""
    canon = []
    for i, raw in enumerate(rows):
        data = raw["data"] if isinstance(raw.get("data"), Mapping) else raw
        metrics = _canonical(data, columns)
        if metrics:
            canon.append({"step": _step_of(raw, i) if "step" in raw else _step_of(data, i), **metrics})
    merged: dict[int, dict[str, float]] = {}
    for r in canon:
        merged.setdefault(int(r["step"]), {}).update(r)
    series = Series.from_rows(merged.values(), source=source)
    return series


def read_log(path: str | Path, columns: Mapping[str, str] | None = None) -> Series:
    """A trainer's metric log as a series: TRL ``trainer_state.json``, jsonl rows (TRL, verl's file
    logger, OpenRLHF), verl console lines, or a CSV with a step column. ``columns`` maps canonical
    metric names to the log's own (``{"reward": "reward_mean"}``), for logs written by other tools."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"no such log file: {path}")
    text = p.read_text(encoding="utf-8", errors="replace")
    name = f"log:{p.name}"
    if p.suffix == ".csv":
        rows: list[dict[str, Any]] = [
            {k: _float_or_str(v) for k, v in r.items() if k} for r in csv.DictReader(text.splitlines())
        ]
        return log_series(rows, name, columns)
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n{" not in stripped.strip():
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not JSON ({exc})") from None
        if isinstance(doc, Mapping) and isinstance(doc.get("log_history"), list):
            return log_series(doc["log_history"], name, columns)
        if isinstance(doc, Mapping):
            return log_series([doc], name, columns)
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, Mapping):
                rows.append(dict(obj))
        elif re.match(r"^(\S+ - )?step:\d+", line):  # verl console: step:3 - critic/score/mean:0.5 - ...
            rows.append({k.strip(): _float_or_str(v) for k, _, v in
                         (part.partition(":") for part in line.split(" - ")) if k.strip()})  # fmt: skip
    if not rows:
        raise ConfigError(
            f"{path}: no metric rows found (expected trainer_state.json, jsonl, verl console or CSV)"
        )
    return log_series(rows, name, columns)


def _float_or_str(v: str) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v
