"""Every agent reward through ``rl.score`` (worker processes), a TOML spec, and the ``rewardlab`` CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rewardlab as rl
from rewardlab.cli import app

FUNCTIONS = [{"name": "get_weather", "parameters": {"type": "dict", "properties": {"city": {"type": "string"}},
                                                    "required": ["city"]}}]  # fmt: skip
TOOL_REF = {"ground_truth": [{"get_weather": {"city": ["Oslo"]}}], "functions": FUNCTIONS}
OPENAI_CALL = [
    {"role": "assistant", "content": None,
     "tool_calls": [{"id": "1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "oslo"}'}}]},
    {"role": "tool", "content": "rain"},
    {"role": "assistant", "content": "It rains in Oslo."},
]  # fmt: skip

# name -> (rows, expected scores with default options)
ROWS: dict[str, tuple[list[dict], list[float]]] = {
    "bfcl": (
        [
            {"completion": '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>', "reference": TOOL_REF},
            {"completion": '<tool_call>{"name": "get_weather", "arguments": {"city": "Rome"}}</tool_call>', "reference": TOOL_REF},
            {"completion": OPENAI_CALL, "reference": TOOL_REF},
        ],
        [1.0, 0.0, 1.0],
    ),
    "tool_call": (
        [
            {"completion": "[get_weather(city='Oslo')]", "reference": TOOL_REF},
            {"completion": "[get_weather(city='Rome')]", "reference": TOOL_REF},
        ],
        [1.0, 0.6],
    ),
    "checklist": (
        [
            {"completion": "Booked flight SK123.", "reference": [{"kind": "regex", "pattern": "SK\\d+"}, {"kind": "contains", "text": "hotel"}]},
            {"completion": "Done.", "reference": {"criteria": [{"kind": "contains", "text": "done"}]}},
        ],
        [0.5, 1.0],
    ),
    "evidence_recall": ([{"completion": "Oslo [1].", "reference": {"evidence": [1, 2]}}], [0.5]),
    "citation_precision": ([{"completion": "Oslo [1][3].", "reference": [1, 2]}], [0.5]),
    "citation_f1": ([{"completion": "Oslo [1].", "reference": [1]}], [1.0]),
    "abstention": (
        [
            {"completion": "<answer>Oslo</answer>", "reference": ["Oslo"]},
            {"completion": "I don't know.", "reference": {"answerable": False}},
            {"completion": "Bergen", "reference": {"answerable": False}},
        ],
        [1.0, 1.0, -1.0],
    ),
}  # fmt: skip

# a TOML leaf for each reward, with options, and the scores it gives on ROWS
TOML = {
    "bfcl": ('formats = ["hermes", "openai"]', [1.0, 0.0, 1.0]),
    "tool_call": ('formats = ["python"]\n[reward.weights]\nformat = 0\nname = 0\nparam_name = 0\nparam_value = 1', [1.0, 0.0]),
    "checklist": ('aggregate = "all"\n[[reward.criteria]]\nid = "short"\nkind = "regex"\npattern = "^.{0,40}$"', [0.0, 1.0]),
    "evidence_recall": ('styles = ["brackets"]', [0.5]),
    "citation_precision": ("strip_prefixes = false", [0.5]),
    "citation_f1": ('styles = ["cite_tags"]', [0.0]),
    "abstention": ("answer_unanswerable = -3.0", [1.0, 1.0, -3.0]),
}  # fmt: skip

NAMES = list(ROWS)


@pytest.mark.parametrize("name", NAMES)
def test_through_rl_score_in_worker_processes(name: str) -> None:
    rows, expected = ROWS[name]
    results = rl.score(name, rows, workers=1, timeout=30)
    assert [r.error for r in results] == [None] * len(rows)
    assert [r.score for r in results] == pytest.approx(expected)
    inline = rl.score(name, rows, workers=0)  # the same in-process
    assert [r.to_dict() for r in inline] == [r.to_dict() for r in results]


@pytest.mark.parametrize("name", NAMES)
def test_through_a_toml_spec(name: str, tmp_path: Path) -> None:
    options, expected = TOML[name]
    spec = tmp_path / "spec.toml"
    spec.write_text(f'[reward]\ntype = "{name}"\n{options}\n', encoding="utf-8")
    reward = rl.build_reward(spec)
    results = rl.score(reward, ROWS[name][0], workers=0)
    assert [r.score for r in results] == pytest.approx(expected)


@pytest.mark.parametrize("name", NAMES)
def test_through_the_cli(name: str, tmp_path: Path) -> None:
    rows, expected = ROWS[name]
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(
        "".join(json.dumps({"id": i, **row}) + "\n" for i, row in enumerate(rows)), encoding="utf-8"
    )
    result = CliRunner().invoke(
        app, ["score", str(inp), "-r", name, "-o", str(out), "--workers", "0", "--with-info"]
    )
    assert result.exit_code == 0, result.output
    scored = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in scored] == list(range(len(rows)))
    assert [r["reward"] for r in scored] == pytest.approx(expected)
    assert all(r["error"] is None and r["info"] for r in scored)


def test_cli_subprocess_bfcl_with_step_scores(tmp_path: Path) -> None:
    exe = shutil.which("rewardlab", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the rewardlab console script is not installed in this environment")
    rows, expected = ROWS["bfcl"]
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    proc = subprocess.run([exe, "score", str(inp), "-r", "bfcl", "-o", str(out), "--workers", "1"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    scored = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["reward"] for r in scored] == expected
    assert scored[0]["components"]["exact"] == 1.0 and "partial" in scored[1]["components"]
    assert scored[2]["step_scores"] == [1.0, 0.0]  # one per assistant turn of the message completion
