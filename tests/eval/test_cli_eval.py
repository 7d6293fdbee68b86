"""``rewardlab eval`` and ``rewardlab probe rm`` from the command line: the external contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _eval_data import EVAL
from typer.testing import CliRunner

from rewardlab.cli import app

runner = CliRunner()


def _eval(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    out = tmp_path / "out.json"
    res = runner.invoke(app, ["eval", *args, "--json", str(out), "--n-boot", "100"])
    data = json.loads(out.read_text()) if out.exists() else {}
    return res.exit_code, data, res.output


@pytest.mark.parametrize(
    ("kind", "data", "source", "headline"),
    [
        ("pairwise", "llmbar_sample.json", ["--reward", "length"], "accuracy"),
        ("rm-bench", "rm_bench_sample.json", ["--reward", "length"], "accuracy"),
        ("judgebench", "judgebench_o1mini_sample.jsonl", ["--scores-from-file"], "accuracy"),
        ("best-of-n", "qwen25_math_bon_sample.jsonl", ["--scores-from-file"], "rm_at_k"),
    ],
)
def test_eval_contract(tmp_path: Path, kind: str, data: str, source: list[str], headline: str) -> None:
    code, s, output = _eval(tmp_path, kind, "--data", str(EVAL / data), *source, "--seed", "3")
    assert code == 0, output
    assert s["kind"] == kind and s["n"] > 0 and s["seed"] == 3 and headline in s and "ci" in s
    assert len(s["data"]["sha256"]) == 64
    if kind == "best-of-n":
        assert all(k in s for k in ("rm_at_k", "maj_at_k", "oracle_at_k")) and len(s["rm_at_k"]) == 8
    else:
        assert "ties" in s
    assert "rewardlab eval" in output and "wrote" in output


def test_processbench_with_the_math_reward_and_a_report(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    code, s, output = _eval(
        tmp_path, "processbench", "--data", str(EVAL / "processbench_steps_sample.jsonl"), "--reward", "math",
        "--workers", "1", "--report", str(html),
    )  # fmt: skip
    assert code == 0, output
    assert s["n"] == 40 and "f1" in s and s["solution_level"]["f1"] > 0.8
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_min_accuracy_gates_the_exit_code(tmp_path: Path) -> None:
    args = ["pairwise", "--data", str(EVAL / "llmbar_sample.json"), "--reward", "length"]
    code, s, _ = _eval(tmp_path, *args, "--min-accuracy", "0.99")
    assert code == 1 and s["accuracy"] < 0.99
    code, _, _ = _eval(tmp_path, *args, "--min-accuracy", "0.01")
    assert code == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, output = _eval(tmp_path, "pairwise", "--data", str(EVAL / "llmbar_sample.json"))
    assert code == 2 and "--scores-from-file" in output
    code, _, output = _eval(
        tmp_path, "pairs", "--data", str(EVAL / "llmbar_sample.json"), "--reward", "length"
    )
    assert code == 2 and "kind must be one of" in output
    code, _, output = _eval(
        tmp_path, "pairwise", "--data", str(tmp_path / "none.jsonl"), "--reward", "length"
    )
    assert code == 2 and "does not exist" in output


def test_probe_rm(tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    res = runner.invoke(
        app,
        ["probe", "rm", "--data", str(EVAL / "llmbar_sample.json"), "--reward", "length", "--json", str(out)],
    )
    assert res.exit_code == 0, res.output
    s = json.loads(out.read_text())
    assert set(s["probes"]) == {"verbosity", "markdown_on", "markdown_off", "contrast"}
    verbose = s["probes"]["verbosity"]
    # padding the rejected response can only help it under a length scorer
    assert (
        verbose["accuracy_probed"] <= verbose["accuracy"]
        and verbose["flipped"] == verbose["flipped_to_wrong"]
    )
    again = runner.invoke(
        app,
        ["probe", "rm", "--data", str(EVAL / "llmbar_sample.json"), "--reward", "length", "--json", str(out)],
    )
    assert again.exit_code == 0 and json.loads(out.read_text())["probes"] == s["probes"]  # seeded


def test_eval_as_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    proc = subprocess.run(
        [sys.executable, "-m", "rewardlab.cli", "eval", "pairwise", "--data", str(EVAL / "hh_rlhf_harmless_sample.jsonl"),
         "--reward", "length", "--json", str(out), "--n-boot", "50"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    s = json.loads(out.read_text())
    assert s["n"] == 29 and s["data"]["malformed"] == 1 and s["data"]["malformed_rows"][0]["index"] == 23
