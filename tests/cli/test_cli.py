"""The command line, run as a real subprocess (the way users run it) and through typer's runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewardlab.cli import app

runner = CliRunner()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_score_jsonl_with_a_column_map_and_a_broken_line(tmp_path: Path) -> None:
    inp = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": 1, "solution": "so \\boxed{4}", "answer": "4"}),
            "{not json",
            json.dumps({"id": 3, "solution": "I think 5", "answer": "4"}),
            json.dumps({"id": 4, "answer": "4"}),
        ],
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        ["score", str(inp), "--reward", "math", "--out", str(out), "--workers", "1", "--timeout", "5",
         "--map", "completion=solution", "--map", "reference=answer"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4  # nothing lost
    assert rows[0]["id"] == 1 and rows[0]["reward"] == 1.0 and rows[0]["error"] is None
    assert rows[1]["_line"] == 2 and rows[1]["reward"] is None
    assert rows[1]["error"]["type"] == "SampleError" and "line 2: invalid JSON" in rows[1]["error"]["message"]
    assert rows[2]["reward"] == 0.0
    assert rows[3]["error"]["type"] == "SampleError" and "no column 'solution'" in rows[3]["error"]["message"]
    assert "errors 2" in result.output and "rows/s" in result.output


def test_score_with_config_and_parquet_round_trip(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    spec = _write(
        tmp_path / "spec.toml",
        ['[reward]', 'type = "sum"', '[reward.components.correct]', 'type = "math"',
         '[reward.components.fmt]', 'type = "boxed_format"', 'weight = 0.5'],
    )  # fmt: skip
    inp = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"completion": f"\\boxed{{{i}}}", "reference": "2", "metadata": {"k": i}})
            for i in range(5)
        ],
    )
    out = tmp_path / "out.parquet"
    result = runner.invoke(app, ["score", str(inp), "-c", str(spec), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out).to_pylist()
    assert [r["reward"] for r in table] == [0.5, 0.5, 1.5, 0.5, 0.5]
    assert json.loads(table[2]["components"]) == {"correct": 1.0, "fmt": 1.0}
    # parquet in, jsonl out
    out2 = tmp_path / "again.jsonl"
    result = runner.invoke(app, ["score", str(out), "-r", "boxed_format", "-o", str(out2), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["reward"] for x in out2.read_text().splitlines()] == [1.0] * 5


def test_config_errors_exit_2_and_list_every_problem(tmp_path: Path) -> None:
    spec = _write(
        tmp_path / "bad.toml",
        [
            'type = "sum"',
            "[components.a]",
            'type = "nope"',
            "[components.b]",
            'type = "math"',
            "weight = nan",
        ],
    )
    inp = _write(tmp_path / "in.jsonl", [json.dumps({"completion": "1"})])
    result = runner.invoke(app, ["score", str(inp), "-c", str(spec), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert "unknown reward 'nope'" in result.output and "must be a finite number" in result.output
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2 and "2 problems" in result.output


def test_on_error_raise_exits_1(tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.jsonl", [json.dumps({"completion": "1", "reference": None})])
    result = runner.invoke(
        app,
        [
            "score",
            str(inp),
            "-r",
            "math",
            "-o",
            str(tmp_path / "o.jsonl"),
            "--workers",
            "0",
            "--on-error",
            "raise",
        ],
    )
    assert result.exit_code == 1 and "sample 0: ValueError" in result.output


def test_rewards_lists_the_registry() -> None:
    result = runner.invoke(app, ["rewards"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("math", "think_answer_format", "bleu", "overlong_penalty"):
        assert name in result.output


def test_console_script_runs_as_a_subprocess(tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.jsonl", [json.dumps({"completion": "#### 72", "reference": "72"})])
    out = tmp_path / "o.jsonl"
    exe = Path(sys.executable).parent / "rewardlab"
    proc = subprocess.run(
        [str(exe), "score", str(inp), "-r", "math", "-o", str(out), "--workers", "1", "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["reward"] == 1.0


def test_demo_runs_on_bundled_data(tmp_path: Path) -> None:
    from rewardlab.demo import run_demo

    report = run_demo(out_dir=tmp_path, workers=1)
    pb = report["processbench_sample.jsonl"]
    assert pb["rows"] == 300 and pb["errors"] == 0
    assert pb["agree"] / pb["n"] >= 0.99
    gsm = report["gsm8k_solutions_sample.jsonl"]
    assert gsm["agree"] == gsm["n"] == 200


def _problems(output: str) -> set[str]:
    return {line.strip().removeprefix("- ") for line in output.splitlines() if line.strip().startswith("- ")}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (  # every runner value wrong, a misspelt runner key, and a misspelt reward: all at once
            ["[reward]", 'type = "maths"', "[runner]", "workers = -1", "timeout = 0", 'on_error = "bogus"',
             "memory_mb = 1", "chunk_size = 0", "wokers = 4"],
            ["unknown reward 'maths'", "workers must be", "timeout must be", "on_error must be",
             "memory_mb must be", "chunk_size must be", "'wokers'"],
        ),
        (  # a misplaced top-level table, a [runner] that is not a table, and a bad reward option
            ["runner = 5", "[reward]", 'type = "math"', "rel_tol = 1", "[extra]", "x = 1"],
            ["'extra'", "'runner' must be a table", "rel_tol"],
        ),
        (  # timeout needs worker processes, and a weight that is not finite
            ["[reward]", 'type = "sum"', "[reward.components.a]", 'type = "math"', "weight = nan",
             "[runner]", "workers = 0", "timeout = 5"],
            ["must be a finite number", "timeout needs worker processes"],
        ),
    ],
)  # fmt: skip
def test_validate_reports_the_runner_table_exactly_as_score_does(
    tmp_path: Path, lines: list[str], expected: list[str]
) -> None:
    spec = _write(tmp_path / "spec.toml", lines)
    inp = _write(tmp_path / "in.jsonl", [json.dumps({"completion": "1", "reference": "1"})])
    checked = runner.invoke(app, ["validate", str(spec)], env={"COLUMNS": "400"})
    scored = runner.invoke(app, ["score", str(inp), "-c", str(spec), "-o", str(tmp_path / "o.jsonl")],
                           env={"COLUMNS": "400"})  # fmt: skip
    assert checked.exit_code == scored.exit_code == 2, (checked.output, scored.output)
    problems = _problems(checked.output)
    assert problems == _problems(scored.output) and len(problems) == len(expected), checked.output
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, checked.output)
    assert not (tmp_path / "o.jsonl").exists()


def test_validate_refuses_a_reward_that_cannot_reach_worker_processes_as_score_does(tmp_path: Path) -> None:
    inp = _write(tmp_path / "in.jsonl", [json.dumps({"completion": "1"})])
    for workers, code in (("1", 2), ("0", 0)):
        spec = _write(tmp_path / f"w{workers}.toml", ["[reward]", 'type = "_rewards:Locked"', "[runner]",
                                                     f"workers = {workers}"])  # fmt: skip
        checked = runner.invoke(app, ["validate", str(spec)], env={"COLUMNS": "400"})
        scored = runner.invoke(app, ["score", str(inp), "-c", str(spec), "-o", str(tmp_path / "o.jsonl")],
                               env={"COLUMNS": "400"})  # fmt: skip
        assert checked.exit_code == scored.exit_code == code, (checked.output, scored.output)
        if code:
            assert "cannot be sent to worker processes" in checked.output
            assert "cannot be sent to worker processes" in scored.output


def test_serve_refuses_bad_grader_settings_before_listening() -> None:
    result = runner.invoke(
        app,
        ["serve", "--grader-workers", "0", "--grader-timeout", "-1", "--port", "1"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 2, result.output
    assert "grader_workers must be an integer >= 1, got 0" in result.output
    assert "grader_timeout must be a positive number of seconds, got -1" in result.output


def test_score_group_by_keeps_groups_whole_and_refuses_a_split_group(tmp_path: Path) -> None:
    rows = [{"completion": c, "pid": g} for g, c in [("p1", "\\boxed{3}"), ("p1", "\\boxed{3}"), ("p1", "\\boxed{4}"),
            ("p2", "\\boxed{9}"), ("p2", "\\boxed{9}"), ("p3", "\\boxed{1}"), ("p4", "\\boxed{2}"), ("p3", "\\boxed{1}")]]  # fmt: skip
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(
        app, ["score", str(inp), "-r", "majority_vote", "--group-by", "pid", "-o", str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["reward"] for r in scored[:5]] == [1.0, 1.0, 0.0, 1.0, 1.0]
    assert scored[6]["error"]["type"] == "GroupError"  # p4 is a group of one
    assert all(scored[i]["error"]["type"] == "GroupError" for i in (5, 7))  # p3 is split in the file
