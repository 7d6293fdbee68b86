"""The HTML report of ``rewardlab eval``: the headline with its interval, the length baseline, per-subset
accuracy, and the kind's plots (score distributions, best-of-N curves, RM-Bench matrices, F1 by
threshold), then every setting and the data's checksum."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rewardlab.eval.metrics.rmbench import STYLES
from rewardlab.eval.run import EvalResult
from rewardlab.report import figures
from rewardlab.report.html import Document


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}%"


def _ci(ci: Any) -> str:
    if not ci or ci[0] is None:
        return ""
    return f"95% bootstrap interval {_pct(ci[0])} – {_pct(ci[1])}"


def eval_report(result: EvalResult) -> Document:
    """The report of one evaluation as a :class:`~rewardlab.report.Document`."""
    s, d = result.summary, result.details
    kind = s["kind"]
    doc = Document(
        f"rewardlab eval · {kind}", subtitle=f"{Path(s['data']['path']).name} · scorer {s['scorer']}"
    )
    top = doc.section("Result")
    if kind == "best-of-n":
        n_ = s["N"]
        top.add_headline(f"RM@{n_}", _pct(s["rm_at_k"][-1]), _ci(s["ci"]["rm_at_k"][-1]))
        top.add_kv({f"maj@{n_}": _pct(s["maj_at_k"][-1]), f"oracle@{n_}": _pct(s["oracle_at_k"][-1]),
                    f"longest@{n_} (length baseline)": _pct(s["length_at_k"][-1]), "problems": s["n"],
                    "majority grouping": s["majority_grouping"], "problems with tied top scores": s["ties"]})  # fmt: skip
    elif kind == "processbench":
        top.add_headline("F1", _pct(s["f1"]), _ci(s["ci"]))
        top.add_kv({"accuracy on erroneous solutions": _pct(s["error_accuracy"]),
                    "accuracy on correct solutions": _pct(s["correct_accuracy"]),
                    "threshold": s["threshold"], "step scores": s["step_scores"], "solutions": s["n"]})  # fmt: skip
    else:
        top.add_headline("accuracy", _pct(s["accuracy"]), _ci(s["ci"]))
        base = s.get("length_baseline") or {}
        base_acc = base.get("accuracy", base.get("average"))
        top.add_kv({"items": s["n"], "ties": s.get("ties"), "tie policy": s.get("tie_policy", "a tie is not a win"),
                    "length-only baseline": _pct(base_acc)})  # fmt: skip
    excluded = s.get("excluded", {})
    top.add_kv({"malformed rows": s["data"]["malformed"], **{f"excluded: {k}": v for k, v in excluded.items()},
                "scorer errors": s.get("errors", 0)})  # fmt: skip
    _SECTIONS[kind](doc, s, d)
    _errors(doc, s)
    settings = doc.section("Settings and data")
    settings.add_kv({"data": s["data"]["path"], "sha256": s["data"]["sha256"], "seed": s["seed"],
                     **{k: v for k, v in s["settings"].items() if k != "seed"}, "rewardlab": s["environment"]["rewardlab"]})  # fmt: skip
    return doc


def _pairwise(doc: Document, s: dict[str, Any], d: dict[str, Any]) -> None:
    sec = doc.section("Accuracy by subset")
    names = list(s["subsets"])
    rows = [[n, s["subsets"][n]["n"], _pct(s["subsets"][n]["accuracy"]), _ci(s["subsets"][n]["ci"]).replace("95% bootstrap interval ", ""),
             s["subsets"][n]["ties"], _pct(s["subsets"][n]["length_baseline"])] for n in names]  # fmt: skip
    sec.add_table(["subset", "pairs", "accuracy", "95% interval", "ties", "length baseline"], rows)
    if names:
        sec.add_figure(
            figures.bars_with_intervals(
                [*names, "all"],
                [s["subsets"][n]["accuracy"] for n in names] + [s["accuracy"]],
                [s["subsets"][n]["ci"] for n in names] + [s["ci"]],
                baseline=[s["subsets"][n]["length_baseline"] for n in names]
                + [s["length_baseline"]["accuracy"]],
                chance=0.5,
            ),
            caption="Pairwise accuracy per subset with 95% bootstrap intervals; grey: the length-only baseline.",
        )
    dist = doc.section("Scores of chosen and rejected responses")
    if d.get("chosen"):
        dist.add_figure(figures.two_distributions(d["chosen"], d["rejected"], labels=("chosen", "rejected")))
    corr = s["score_length_correlation"]
    mc = s.get("vs_length_baseline") or {}
    dist.add_kv({"score-length correlation (Pearson)": corr["pearson"], "score-length correlation (Spearman)": corr["spearman"],
                 "mean margin (chosen - rejected)": s["margin"]["mean"],
                 "McNemar vs length baseline: only scorer right / only baseline right": f"{mc.get('only_a')} / {mc.get('only_b')}",
                 "McNemar exact p": mc.get("p_exact")})  # fmt: skip


def _rm_bench(doc: Document, s: dict[str, Any], d: dict[str, Any]) -> None:
    sec = doc.section("Style matrix (chosen style x rejected style)")
    sec.add_text(
        "Cell (i, j): how often the chosen response in style i outscores the rejected one in style j. "
        "Hard = above the diagonal (the chosen answer is plainer), easy = below."
    )
    rows = [
        [dom, v["n"], _pct(v["easy"]), _pct(v["normal"]), _pct(v["hard"]), _pct(v["average"])]
        for dom, v in s["domains"].items()
    ]
    rows.append(
        [
            "overall (mean of domains)",
            s["n"],
            _pct(s["easy"]),
            _pct(s["normal"]),
            _pct(s["hard"]),
            _pct(s["accuracy"]),
        ]
    )
    base = s["length_baseline"]
    rows.append(
        [
            "length baseline",
            s["n"],
            _pct(base.get("easy")),
            _pct(base.get("normal")),
            _pct(base.get("hard")),
            _pct(base.get("average")),
        ]
    )
    sec.add_table(["domain", "prompts", "easy", "normal", "hard", "average"], rows)
    short = ["concise", "detailed", "markdown"]
    for dom, v in s["domains"].items():
        sec.add_figure(
            figures.heatmap(
                v["matrix"], rows=short, cols=short, title=dom, xlabel="rejected style", ylabel="chosen style"
            ),
            caption=f"{dom}: accuracy per style pair ({', '.join(STYLES)})",
        )


def _judgebench(doc: Document, s: dict[str, Any], d: dict[str, Any]) -> None:
    sec = doc.section("Both-order judging")
    sec.add_kv({"orders": s["orders"], "correct / incorrect / tie": f"{s['correct']} / {s['incorrect']} / {s['ties']}",
                "positional agreement": _pct(s["positional_agreement"]), "inconsistent pairs": s["inconsistent"],
                "right in both orders / one / none": f"{s['both_right']} / {s['one_right']} / {s['both_wrong']}"})  # fmt: skip
    cats = list(s["categories"])
    sec.add_table(["category", "pairs", "accuracy", "95% interval", "ties"],
                  [[c, s["categories"][c]["n"], _pct(s["categories"][c]["accuracy"]), _ci(s["categories"][c]["ci"]).replace("95% bootstrap interval ", ""),
                    s["categories"][c]["ties"]] for c in cats])  # fmt: skip
    if cats:
        sec.add_figure(
            figures.bars_with_intervals(
                [*cats, "all"], [s["categories"][c]["accuracy"] for c in cats] + [s["accuracy"]],
                [s["categories"][c]["ci"] for c in cats] + [s["ci"]], chance=0.5,
            ),
            caption="Net-vote accuracy per category (an inconsistent pair is a tie and earns nothing).",
        )  # fmt: skip


def _processbench(doc: Document, s: dict[str, Any], d: dict[str, Any]) -> None:
    sec = doc.section("Threshold")
    fit, orc = s["fitted_threshold"], s["oracle_threshold"]
    rows = [["configured", s["threshold"], s["n"], _pct(s["f1"])]]
    if "threshold" in fit:
        rows.append(
            [
                f"fitted on {fit['fitted_on']}, applied to the other {fit['applied_to']}",
                fit["threshold"],
                fit["applied_to"],
                _pct(fit["f1"]),
            ]
        )
    if orc:
        rows.append(["oracle (upper bound, not a result)", orc["threshold"], s["n"], _pct(orc["f1"])])
    sec.add_table(["threshold", "value", "solutions", "F1"], rows)
    curve = s.get("f1_by_threshold") or []
    if curve:
        sec.add_figure(
            figures.curves([c[0] for c in curve], {"F1": [c[1] for c in curve]}, xlabel="step threshold", ylabel="F1",
                           marker_x=s["threshold"], marker_label="configured threshold"),
            caption="ProcessBench F1 by threshold. The best point is an upper bound: it is chosen on the data it is shown on.",
        )  # fmt: skip
    sub = doc.section("By subset")
    sub.add_table(["subset", "erroneous", "correct", "error acc.", "correct acc.", "F1"],
                  [[k, v["n_error"], v["n_correct"], _pct(v["error_accuracy"]), _pct(v["correct_accuracy"]), _pct(v["f1"])]
                   for k, v in s["subsets"].items()])  # fmt: skip
    sl = s["solution_level"]
    sub.add_text(
        f"Solution level (any step flagged, step index ignored): error acc. {_pct(sl['error_accuracy'])}, "
        f"correct acc. {_pct(sl['correct_accuracy'])}, F1 {_pct(sl['f1'])}."
    )


def _best_of_n(doc: Document, s: dict[str, Any], d: dict[str, Any]) -> None:
    sec = doc.section("Best-of-N curves")
    ks = list(range(1, s["N"] + 1))
    sec.add_figure(
        figures.curves(ks, {"RM@k": s["rm_at_k"], "maj@k": s["maj_at_k"], "oracle@k": s["oracle_at_k"], "longest@k": s["length_at_k"]},
                       xlabel="k (samples)", ylabel="accuracy"),
        caption="RM@k: the scorer's top sample; maj@k: the most frequent answer; oracle@k: any sample right; longest@k: the length baseline.",
    )  # fmt: skip
    sec.add_table(["k", "RM@k", "maj@k", "oracle@k", "longest@k"],
                  [[k, _pct(s["rm_at_k"][k - 1]), _pct(s["maj_at_k"][k - 1]), _pct(s["oracle_at_k"][k - 1]), _pct(s["length_at_k"][k - 1])] for k in ks])  # fmt: skip


def _errors(doc: Document, s: dict[str, Any]) -> None:
    bad = s["data"].get("malformed_rows") or []
    errs = s.get("error_samples") or []
    if not bad and not errs:
        return
    sec = doc.section("Rows that were not scored")
    if bad:
        sec.add_table(["row index", "why it could not be read"], [[b["index"], b["reason"]] for b in bad])
    if errs:
        sec.add_table(["item", "error", "message"], [[e["item"], e["type"], e["message"]] for e in errs])


_SECTIONS = {
    "pairwise": _pairwise,
    "rm-bench": _rm_bench,
    "judgebench": _judgebench,
    "processbench": _processbench,
    "best-of-n": _best_of_n,
}
