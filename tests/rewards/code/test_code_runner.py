"""The code rewards through the isolating runner (each worker owns its sandbox pool) and the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _code_variants import humaneval_rows, humaneval_sample, mbpp_rows, mbpp_sample

import rewardlab as rl

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")

STDIO = {
    "completion": "print(sum(map(int, input().split())))",
    "reference": {"inputs": ["1 2"], "outputs": ["3"]},
}


def samples() -> list[dict[str, Any]]:
    he = humaneval_rows(shared=False)[:3]
    mb = mbpp_rows(shared=False)[:3]
    return [
        *(humaneval_sample(r) for r in he),
        humaneval_sample(he[0], "return_none"),
        *(mbpp_sample(r) for r in mb),
        mbpp_sample(mb[0], "syntax_error"),
        STDIO,
    ]


def test_rl_score_runs_the_code_reward_in_worker_processes() -> None:
    results = rl.score("code", samples(), workers=2, timeout=30)
    assert [r.score for r in results] == [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    assert all(r.error is None for r in results)
    assert results[3].info["error_type"] == "AssertionError"
    assert results[7].info["compile_error"]["type"] == "SyntaxError"


def test_a_runner_keeps_its_workers_and_their_warm_sandboxes() -> None:
    with rl.Runner(rl.reward("code_strict", timeout=5), workers=1, timeout=30) as runner:
        first = runner.score(samples())
        second = runner.score(samples())
        assert [r.score for r in first] == [r.score for r in second]
        assert runner.stats.worker_restarts == 0 and runner.stats.errors == 0


def test_the_sandbox_deadline_shrinks_to_the_runners() -> None:
    hang = {"completion": "while True:\n    pass", "reference": {"inputs": ["1"], "outputs": ["1"]}}
    with rl.Runner(rl.reward("code", timeout=30), workers=1, timeout=1.5) as runner:
        stuck, after = runner.score([hang, STDIO])
    # the program's 30 s limit is cut to what the runner's 1.5 s leaves: a failed test, not a lost sample
    assert stuck.error is None and stuck.score == 0.0 and stuck.info["timed_out"] is True, stuck
    assert stuck.info["seconds"] < 1.5
    assert after.score == 1.0


def test_the_cli_scores_a_jsonl_file(tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(s) + "\n" for s in samples()), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    exe = Path(sys.executable).with_name("rewardlab")
    cmd = [str(exe), "score", str(inp), "-r", "code", "-o", str(out), "--workers", "1", "--timeout", "30",
           "--with-info"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["reward"] for row in rows] == [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    assert rows[3]["info"]["first_failure"]["error_type"] == "AssertionError"
    assert "WARNING" not in proc.stderr  # bubblewrap was used: no fallback warning


# Loops forever on negative input; answers the others. Per input the reward allows 1 s; the runner gives
# the whole sample 3 s: five waves of looping inputs (two sandboxes) would need 5 s.
LOOPER = "n = int(input())\nwhile n < 0:\n    pass\nprint(n * 2)\n"
LOOPING_INPUTS = {"inputs": ["1", "2", *(str(-i) for i in range(1, 11))], "outputs": ["2", "4", *["0"] * 10]}


@pytest.mark.parametrize("strict", [False, True])
def test_per_input_limits_fit_inside_the_runners_deadline(strict: bool) -> None:
    reward = rl.reward("code_strict" if strict else "code", timeout=1.0, sandboxes=2)
    sample = {"completion": LOOPER, "reference": LOOPING_INPUTS}
    (result,) = rl.score(reward, [sample], workers=1, timeout=3.0)
    assert result.error is None, result.error  # inputs that time out fail; the sample keeps its score
    assert result.score == (0.0 if strict else 2 / 12), result.info
    assert result.info["error_type"] == "Timeout"
    if not strict:  # the inputs left when the budget ran out are failures, and said so
        assert result.info.get("budget_exhausted") is True, result.info
        assert result.info["passed"] == 2 and result.info["total"] == 12


def test_a_sample_whose_budget_is_gone_before_it_starts_is_a_timeout_error() -> None:
    from rewardlab.core import sample_budget
    from rewardlab.rewards.code import CodeTests

    reward = CodeTests(timeout=1.0, sandboxes=1)
    try:
        with sample_budget(0.2):  # less than the reserve: nothing can run
            result = rl.score_one(reward, rl.Sample(completion=LOOPER, reference=LOOPING_INPUTS))
        assert result.score is None and result.error is not None and result.error.type == "Timeout"
    finally:
        reward.close()
