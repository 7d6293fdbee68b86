"""``evaluate(kind, data, ...)``: read a benchmark file, score it (or read its stored scores), compute
every metric, and return a JSON-ready summary plus the arrays the report plots.

Kinds: ``pairwise``, ``rm-bench``, ``judgebench``, ``processbench``, ``best-of-n``. A scorer error on
any response of an item removes that item from the metrics; it is counted (by error type) and listed,
never turned into a score.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rewardlab.core.spec import RewardSpec
from rewardlab.errors import ConfigError
from rewardlab.eval import datasets as ds
from rewardlab.eval import metrics as m
from rewardlab.eval.scoring import LENGTH, Scored, length_scores, sample, score_samples

Kind = Literal["pairwise", "best-of-n", "rm-bench", "judgebench", "processbench"]
KINDS: tuple[str, ...] = ("pairwise", "best-of-n", "rm-bench", "judgebench", "processbench")
HEADLINE = {
    "pairwise": "accuracy",
    "rm-bench": "accuracy",
    "judgebench": "accuracy",
    "processbench": "f1",
    "best-of-n": "rm_at_k",
}


@dataclass(frozen=True)
class EvalSettings:
    """How an evaluation runs: ``seed`` (bootstrap, splits), ``ties`` (pairwise tie policy), ``n_boot``
    bootstrap replicates, ``confidence`` of the intervals, ``threshold`` (ProcessBench step threshold),
    ``fit_fraction`` (share of ProcessBench solutions the threshold is fitted on), ``grouping`` of
    best-of-N answers for maj@k (``"exact"`` strings, as Qwen2.5-Math's script; ``"math"``: the math
    reward's equivalence), ``workers`` and ``timeout`` of the runner."""

    seed: int = 0
    ties: m.TiePolicy = "wrong"
    n_boot: int = m.stats.DEFAULT_BOOTSTRAP
    confidence: float = m.stats.DEFAULT_CONFIDENCE
    threshold: float = 0.5
    fit_fraction: float = 0.5
    grouping: Literal["exact", "math"] = "exact"
    workers: int | None = None
    timeout: float | None = 30.0

    def __post_init__(self) -> None:
        problems = []
        if self.ties not in m.TIE_POLICIES:
            problems.append(f"`ties` must be one of {', '.join(m.TIE_POLICIES)}, got {self.ties!r}")
        if not 0 < self.confidence < 1:
            problems.append(f"`confidence` must be in (0, 1), got {self.confidence!r}")
        if isinstance(self.n_boot, bool) or not isinstance(self.n_boot, int) or self.n_boot < 1:
            problems.append(f"`n_boot` must be an integer >= 1, got {self.n_boot!r}")
        if not 0 < self.fit_fraction < 1:
            problems.append(f"`fit_fraction` must be in (0, 1), got {self.fit_fraction!r}")
        if self.grouping not in ("exact", "math"):
            problems.append(f"`grouping` must be 'exact' or 'math', got {self.grouping!r}")
        if problems:
            raise ConfigError(problems, where="eval settings")

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class EvalResult:
    """``summary``: every number and setting (what ``--json`` writes); ``details``: per-item arrays for
    plots (scores of chosen and rejected, curves, matrices)."""

    summary: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.summary["kind"])

    def headline(self) -> float:
        """The kind's headline number: accuracy, F1, or RM@N for best-of-n."""
        value = self.summary[HEADLINE[self.kind]]
        return float(value[-1] if isinstance(value, list) else value)


def _ci(values: Any, settings: EvalSettings, statistic: Callable[[Any], float] | None = None) -> list[float]:
    lo, hi = m.bootstrap_ci(
        values,
        statistic=statistic,
        n_boot=settings.n_boot,
        confidence=settings.confidence,
        seed=settings.seed,
    )
    return [lo, hi]


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, np.floating | np.integer):
        return _nan_to_none(value.item())
    return value


def _scorer_block(
    reward: RewardSpec | None, from_file: bool, scored: Scored | None, ids: Sequence[str]
) -> dict[str, Any]:
    name = (
        "stored scores (file)"
        if from_file
        else (reward if isinstance(reward, str) else getattr(reward, "name", repr(reward)))
    )
    block: dict[str, Any] = {"scorer": str(name), "source": "file" if from_file else "reward"}
    if scored is not None:
        block["errors"] = len(scored.errors)
        block["error_types"] = scored.error_types()
        block["error_samples"] = [
            {"item": ids[i] if i < len(ids) else i, "type": t, "message": msg[:300]}
            for i, t, msg in scored.errors[:20]
        ]
    return block


def _check_source(reward: RewardSpec | None, scores_from_file: bool) -> None:
    if scores_from_file and reward is not None:
        raise ConfigError("pass either a reward or scores_from_file=True, not both")
    if not scores_from_file and reward is None:
        raise ConfigError(
            "a reward (a spec, a registered name or 'length') or scores_from_file=True is needed"
        )


def evaluate(
    kind: str,
    data: str | Path,
    *,
    reward: RewardSpec | None = None,
    scores_from_file: bool = False,
    settings: EvalSettings | None = None,
    limit: int | None = None,
) -> EvalResult:
    """Evaluate ``reward`` (or the file's stored scores) on the benchmark file ``data``.

    ``reward`` is anything :func:`rewardlab.as_reward` accepts, or ``"length"`` (the length-only
    baseline). ``limit`` keeps the first rows only. See :class:`EvalSettings` for the options.
    """
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    _check_source(reward, scores_from_file)
    st = settings or EvalSettings()
    runner = {
        "pairwise": _pairwise,
        "rm-bench": _rm_bench,
        "judgebench": _judgebench,
        "processbench": _processbench,
        "best-of-n": _best_of_n,
    }[kind]
    result = runner(Path(data), reward, scores_from_file, st, limit)
    result.summary = _nan_to_none(
        {
            "kind": kind,
            **result.summary,
            "seed": st.seed,
            "settings": st.as_dict(),
            "environment": {"python": platform.python_version(), "rewardlab": _version()},
        }
    )
    return result


def _version() -> str:
    from rewardlab import __version__

    return __version__


def _limit(loaded: ds.Loaded[Any], limit: int | None) -> ds.Loaded[Any]:
    if limit is not None:
        loaded.rows = loaded.rows[:limit]
    return loaded


# -- pairwise ------------------------------------------------------------------------------------------


def _pair_block(chosen: np.ndarray, rejected: np.ndarray, st: EvalSettings) -> dict[str, Any]:
    acc = m.pairwise_accuracy(chosen, rejected, ties=st.ties)
    credit = m.credits(m.outcomes(chosen, rejected), st.ties)
    return {**acc.as_dict(), "ci": _ci(credit, st)}


def _pairwise(
    path: Path, reward: RewardSpec | None, from_file: bool, st: EvalSettings, limit: int | None
) -> EvalResult:
    loaded = _limit(ds.read_pairs(path), limit)
    pairs = loaded.rows
    scored = None
    if from_file:
        keep = [p for p in pairs if p.scores is not None]
        missing = len(pairs) - len(keep)
        c = np.array([p.scores[0] for p in keep if p.scores], float)
        r = np.array([p.scores[1] for p in keep if p.scores], float)
        failed: list[int] = []
    else:
        samples = [sample(p.prompt, t, None, id=p.id) for p in pairs for t in (p.chosen, p.rejected)]
        scored = score_samples(reward, samples, workers=st.workers, timeout=st.timeout)  # type: ignore[arg-type]
        s = scored.scores
        ok = [i for i in range(len(pairs)) if s[2 * i] is not None and s[2 * i + 1] is not None]
        failed = [i for i in range(len(pairs)) if i not in set(ok)]
        keep = [pairs[i] for i in ok]
        c = np.array([s[2 * i] for i in ok], float)
        r = np.array([s[2 * i + 1] for i in ok], float)
        missing = 0
    subsets = [p.subset for p in keep]
    main = _pair_block(c, r, st)
    lc = np.array(length_scores([p.chosen for p in keep]))
    lr = np.array(length_scores([p.rejected for p in keep]))
    length = _pair_block(lc, lr, st) if len(keep) else {}
    per_subset = {}
    for name in sorted(set(subsets)):
        idx = [i for i, s_ in enumerate(subsets) if s_ == name]
        per_subset[name] = {
            **_pair_block(c[idx], r[idx], st),
            "length_baseline": _pair_block(lc[idx], lr[idx], st)["accuracy"],
        }
    all_scores = np.r_[c, r]
    all_len = np.r_[lc, lr]
    summary = {
        **main,
        "length_baseline": length,
        "vs_length_baseline": m.mcnemar(m.outcomes(c, r) > 0, m.outcomes(lc, lr) > 0).as_dict()
        if len(keep)
        else None,
        "score_length_correlation": {
            "pearson": m.pearson(all_scores, all_len),
            "spearman": m.spearman(all_scores, all_len),
        },
        "margin": {
            "mean": float(np.mean(c - r)) if len(keep) else math.nan,
            "median": float(np.median(c - r)) if len(keep) else math.nan,
        },
        "subsets": per_subset,
        "excluded": {"scorer_error": len(failed), "no_stored_score": missing},
        "data": loaded.summary(),
        **_scorer_block(reward, from_file, scored, [p.id for p in pairs for _ in (0, 1)]),
    }
    details = {
        "chosen": c.tolist(),
        "rejected": r.tolist(),
        "subsets": subsets,
        "len_chosen": lc.tolist(),
        "len_rejected": lr.tolist(),
    }
    return EvalResult(summary, details)


# -- RM-Bench ------------------------------------------------------------------------------------------


def _rm_numbers(chosen: np.ndarray, rejected: np.ndarray, domains: list[str]) -> dict[str, Any]:
    per: dict[str, Any] = {}
    for dom in sorted(set(domains)):
        idx = [i for i, d in enumerate(domains) if d == dom]
        mat = m.style_matrix(chosen[idx], rejected[idx])
        per[dom] = {**m.difficulty(mat), "n": len(idx), "matrix": mat.tolist()}
    return {"overall": m.overall(per), "domains": per}


def _rm_bench(
    path: Path, reward: RewardSpec | None, from_file: bool, st: EvalSettings, limit: int | None
) -> EvalResult:
    loaded = _limit(ds.read_rm_bench(path), limit)
    rows = loaded.rows
    scored = None
    if from_file:
        keep = [x for x in rows if x.scores is not None]
        c = np.array([x.scores[0] for x in keep if x.scores], float).reshape(-1, 3)
        r = np.array([x.scores[1] for x in keep if x.scores], float).reshape(-1, 3)
        failed = 0
    else:
        samples = [sample(x.prompt, t, None, id=x.id) for x in rows for t in (*x.chosen, *x.rejected)]
        scored = score_samples(reward, samples, workers=st.workers, timeout=st.timeout)  # type: ignore[arg-type]
        s = scored.scores
        ok = [i for i in range(len(rows)) if all(v is not None for v in s[6 * i : 6 * i + 6])]
        keep = [rows[i] for i in ok]
        c = np.array([s[6 * i : 6 * i + 3] for i in ok], float).reshape(-1, 3)
        r = np.array([s[6 * i + 3 : 6 * i + 6] for i in ok], float).reshape(-1, 3)
        failed = len(rows) - len(ok)
    domains = [m.domain_of(x.domain) for x in keep]
    nums = _rm_numbers(c, r, domains)
    lc = np.array([length_scores(x.chosen) for x in keep], float).reshape(-1, 3)
    lr = np.array([length_scores(x.rejected) for x in keep], float).reshape(-1, 3)
    lnums = _rm_numbers(lc, lr, domains) if keep else {"overall": {}}
    stacked = np.concatenate([c, r], axis=1)

    def stat(rows_: np.ndarray) -> float:
        return float(
            _rm_numbers(rows_[:, :3], rows_[:, 3:6], [domains[int(i)] for i in rows_[:, 6]])["overall"][
                "average"
            ]
        )

    ci = (
        _ci(np.concatenate([stacked, np.arange(len(keep))[:, None]], axis=1), st, stat)
        if keep
        else [math.nan, math.nan]
    )
    ties = int(np.sum(c[:, :, None] == r[:, None, :]))
    summary = {
        "n": len(keep),
        "accuracy": nums["overall"]["average"],
        **{k: nums["overall"][k] for k in ("easy", "normal", "hard")},
        "ties": ties,
        "ci": ci,
        "domains": nums["domains"],
        "length_baseline": lnums["overall"],
        "excluded": {"scorer_error": failed, "no_stored_score": len(rows) - len(keep) - failed},
        "data": loaded.summary(),
        **_scorer_block(reward, from_file, scored, [x.id for x in rows for _ in range(6)]),
    }
    details = {"chosen": c.tolist(), "rejected": r.tolist(), "domains": domains}
    return EvalResult(summary, details)


# -- JudgeBench ----------------------------------------------------------------------------------------


def _judgebench(
    path: Path, reward: RewardSpec | None, from_file: bool, st: EvalSettings, limit: int | None
) -> EvalResult:
    loaded = _limit(ds.read_judgebench(path), limit)
    rows = loaded.rows
    scored = None
    if from_file:
        keep = [x for x in rows if x.decisions is not None]
        first = [x.decisions[0] for x in keep if x.decisions]
        swapped = [
            (x.decisions[1] if len(x.decisions) > 1 else m.flip(x.decisions[0])) for x in keep if x.decisions
        ]
        orders = (
            "both"
            if all(x.decisions and len(x.decisions) == 2 for x in keep)
            else "single (a missing second order counts as the first, flipped)"
        )
        failed = 0
    else:
        samples = [sample(x.question, t, None, id=x.id) for x in rows for t in (x.response_a, x.response_b)]
        scored = score_samples(reward, samples, workers=st.workers, timeout=st.timeout)  # type: ignore[arg-type]
        s = scored.scores
        ok = [i for i in range(len(rows)) if s[2 * i] is not None and s[2 * i + 1] is not None]
        keep = [rows[i] for i in ok]
        first = [m.decide(s[2 * i], s[2 * i + 1]) for i in ok]  # type: ignore[arg-type]
        swapped = [m.flip(d) for d in first]  # a scalar scorer scores each response alone: order-free
        orders = "single (a scalar scorer is order-independent: the swapped order is the same decision)"
        failed = len(rows) - len(ok)
    labels = [x.label for x in keep]
    nv = m.net_vote(labels, first, swapped)
    votes = np.array(m.votes(labels, first, swapped))
    cats = [ds.category(x.source) for x in keep]
    per_cat = {}
    for cat in sorted(set(cats)):
        idx = [i for i, c_ in enumerate(cats) if c_ == cat]
        sub = m.net_vote([labels[i] for i in idx], [first[i] for i in idx], [swapped[i] for i in idx])
        per_cat[cat] = {**sub.as_dict(), "ci": _ci((votes[idx] > 0).astype(float), st)}
    length_dec = [m.decide(len(x.response_a), len(x.response_b)) for x in keep]
    length = m.net_vote(labels, length_dec, [m.flip(d) for d in length_dec])
    summary = {
        **nv.as_dict(),
        "ci": _ci((votes > 0).astype(float), st),
        "orders": orders,
        "categories": per_cat,
        "length_baseline": length.as_dict(),
        "excluded": {"scorer_error": failed, "no_judgments": len(rows) - len(keep) - failed},
        "data": loaded.summary(),
        **_scorer_block(reward, from_file, scored, [x.id for x in rows for _ in (0, 1)]),
    }
    details = {"categories": cats, "votes": votes.tolist()}
    return EvalResult(summary, details)


# -- ProcessBench --------------------------------------------------------------------------------------


def _processbench(
    path: Path, reward: RewardSpec | None, from_file: bool, st: EvalSettings, limit: int | None
) -> EvalResult:
    loaded = _limit(ds.read_processbench(path), limit)
    rows = loaded.rows
    scored = None
    steps: list[list[float]] = []
    keep: list[ds.StepSolution] = []
    placement = "per step (stored)"
    if from_file:
        keep = [x for x in rows if x.step_scores is not None]
        steps = [list(x.step_scores or []) for x in keep]
        failed = 0
    else:
        samples = [sample(x.problem, "\n\n".join(x.steps), x.reference, id=x.id) for x in rows]
        scored = score_samples(reward, samples, workers=st.workers, timeout=st.timeout)  # type: ignore[arg-type]
        failed = 0
        scalar = 0
        for i, x in enumerate(rows):
            value, per_step = scored.scores[i], scored.step_scores[i]
            if value is None:
                failed += 1
                continue
            keep.append(x)
            if per_step is not None and len(per_step) == len(x.steps):
                steps.append(per_step)
            else:  # an outcome score judges the final step, where the answer is; earlier steps pass
                scalar += 1
                steps.append([math.inf] * (len(x.steps) - 1) + [value])
        if scalar:
            placement = f"outcome scores on the final step ({scalar} of {len(keep)} solutions)"
    labels = np.array([x.label for x in keep], dtype=np.int64)
    finite_steps = steps  # +inf marks a step that is never flagged
    pred = m.earliest_error(finite_steps, st.threshold)
    score = m.processbench_score(pred, labels)
    subsets = [x.subset for x in keep]
    per_subset = {
        name: m.processbench_score(
            pred[[i for i, s_ in enumerate(subsets) if s_ == name]],
            labels[[i for i, s_ in enumerate(subsets) if s_ == name]],
        ).as_dict()
        for name in sorted(set(subsets))
    }
    n = len(keep)
    order = np.random.default_rng(st.seed).permutation(n)
    cut = round(st.fit_fraction * n)
    fit_idx, test_idx = np.sort(order[:cut]), np.sort(order[cut:])
    fitted: dict[str, Any] = {}
    oracle: dict[str, Any] = {}
    curve: list[list[float]] = []
    if n >= 4 and len(set(labels.tolist())) > 1:
        cand = m.candidate_thresholds(finite_steps, max_candidates=64)
        f1s = m.f1_by_threshold(finite_steps, labels, cand)
        curve = [[float(t), float(f)] for t, f in zip(cand, f1s, strict=True)]
        try:
            t_fit = m.fit_threshold([finite_steps[i] for i in fit_idx], labels[fit_idx], cand)
            held = m.processbench_score(
                m.earliest_error([finite_steps[i] for i in test_idx], t_fit), labels[test_idx]
            )
            fitted = {
                "threshold": t_fit,
                "fitted_on": len(fit_idx),
                "applied_to": len(test_idx),
                **held.as_dict(),
            }
        except ValueError as exc:
            fitted = {"error": str(exc)}
        t_or = m.fit_threshold(finite_steps, labels, cand)
        oracle = {
            "label": "upper bound: threshold chosen on the data it is reported on (not a result)",
            "threshold": t_or,
            **m.processbench_score(m.earliest_error(finite_steps, t_or), labels).as_dict(),
        }

    def f1_stat(rows_: np.ndarray) -> float:
        return m.processbench_score(rows_[:, 0], rows_[:, 1]).f1

    ci = _ci(np.stack([pred, labels], axis=1), st, f1_stat) if n else [math.nan, math.nan]
    flagged = pred != -1
    outcome = m.processbench_score(np.where(flagged, 0, -1), np.where(labels != -1, 0, -1))
    summary = {
        "n": n,
        **score.as_dict(),
        "ci": ci,
        "threshold": st.threshold,
        "step_scores": placement,
        "subsets": per_subset,
        "fitted_threshold": fitted,
        "oracle_threshold": oracle,
        "solution_level": {
            "description": "any step flagged vs the solution has an error (step index ignored)",
            **outcome.as_dict(),
        },
        "f1_by_threshold": curve,
        "excluded": {"scorer_error": failed, "no_stored_scores": len(rows) - len(keep) - failed},
        "data": loaded.summary(),
        **_scorer_block(reward, from_file, scored, [x.id for x in rows]),
    }
    return EvalResult(summary, {"f1_by_threshold": curve, "threshold": st.threshold})


# -- best-of-N -----------------------------------------------------------------------------------------


def math_groups(answers: Sequence[str]) -> tuple[list[int], int]:
    """Group answers by the math reward's equivalence, first match wins (as Qwen2.5-Math's ``group_pred``
    with ``use_symbol=True``): each answer joins the first earlier group whose first answer it equals.
    An answer the checker cannot compare with a group (no verdict) does not join it; returns the group
    ids and the number of such no-verdict comparisons."""
    from rewardlab.errors import Unverifiable
    from rewardlab.rewards.math import verify

    heads: list[str] = []
    ids: list[int] = []
    unverifiable = 0
    for a in answers:
        for g, head in enumerate(heads):
            try:
                same = a == head or (bool(a.strip()) and bool(head.strip()) and verify(a, head))
            except (Unverifiable, ValueError):
                unverifiable += 1
                same = False
            if same:
                ids.append(g)
                break
        else:
            heads.append(a)
            ids.append(len(heads) - 1)
    return ids, unverifiable


def _best_of_n(
    path: Path, reward: RewardSpec | None, from_file: bool, st: EvalSettings, limit: int | None
) -> EvalResult:
    loaded = _limit(ds.read_best_of_n(path), limit)
    rows = loaded.rows
    sizes = {len(x.responses) for x in rows}
    if len(sizes) > 1:
        raise ConfigError(f"{path}: every problem needs the same number of responses, got {sorted(sizes)}")
    scored = None
    if from_file:
        keep = [x for x in rows if x.scores is not None]
        sel = np.array([x.scores for x in keep if x.scores], float)
        failed = 0
    else:
        samples = [sample(x.prompt, t, x.reference, id=x.id) for x in rows for t in x.responses]
        scored = score_samples(reward, samples, workers=st.workers, timeout=st.timeout)  # type: ignore[arg-type]
        big = sizes.pop() if sizes else 0
        s = scored.scores
        ok = [i for i in range(len(rows)) if all(v is not None for v in s[big * i : big * (i + 1)])]
        keep = [rows[i] for i in ok]
        sel = np.array([s[big * i : big * (i + 1)] for i in ok], float)
        failed = len(rows) - len(ok)
    correct = np.array([x.correct for x in keep], bool)
    unverifiable = 0
    if st.grouping == "math":
        keys: list[list[Any]] = []
        for x in keep:
            ids, bad = math_groups(x.answers)
            keys.append(ids)
            unverifiable += bad
    else:
        keys = [list(x.answers) for x in keep]
    if not keep:
        raise ConfigError(f"{path}: no problem has scores for every response")
    bon = m.best_of_n(sel, correct, keys)
    lengths = np.array([length_scores(x.responses) for x in keep], float)
    by_length = m.best_of_n(lengths, correct, None)
    curves = bon.curves()
    ci = {
        name: [_ci(getattr(bon, attr)[:, k], st) for k in range(sel.shape[1])]
        for name, attr in (("rm_at_k", "rm"), ("maj_at_k", "maj"), ("oracle_at_k", "oracle"))
    }
    summary = {
        "n": len(keep),
        "N": int(sel.shape[1]),
        **curves,
        "ci": ci,
        "ties": int(sum(np.sum(row == row.max()) > 1 for row in sel)),
        "length_at_k": by_length.curves()["rm_at_k"],
        "majority_grouping": st.grouping,
        "grouping_unverifiable": unverifiable,
        "excluded": {"scorer_error": failed, "no_stored_scores": len(rows) - len(keep) - failed},
        "data": loaded.summary(),
        **_scorer_block(reward, from_file, scored, [x.id for x in rows for _ in x.responses]),
    }
    return EvalResult(summary, {**curves, "length_at_k": summary["length_at_k"]})


__all__ = ["HEADLINE", "KINDS", "LENGTH", "EvalResult", "EvalSettings", "evaluate", "math_groups"]
