"""Dataset readers: every format, malformed rows reported with their index and reason, counted."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from _eval_data import EVAL, SHARED_DATA, needs_shared_data

from rewardlab.errors import ConfigError
from rewardlab.eval.datasets import (
    category,
    read_best_of_n,
    read_judgebench,
    read_pairs,
    read_processbench,
    read_rm_bench,
    sniff_pairs,
    split_transcript,
)


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_plain_pairs_with_malformed_rows_counted(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "pairs.jsonl",
        [
            {"prompt": "p", "chosen": "good", "rejected": "bad", "subset": "s1"},
            "{not json",
            {"prompt": "p", "chosen": "only"},
            [1, 2],
            {"prompt": [{"role": "user", "content": "q"}], "chosen": [{"role": "assistant", "content": "c"}],
             "rejected": "r", "score_chosen": 1.5, "score_rejected": 0.5},
            {"prompt": "p", "chosen": "c", "rejected": "r", "score_chosen": "high", "score_rejected": 0},
        ],
    )  # fmt: skip
    loaded = read_pairs(path)
    assert [p.chosen for p in loaded.rows] == ["good", "c"]
    assert loaded.rows[0].subset == "s1" and loaded.rows[1].subset == "pairs"
    assert loaded.rows[1].prompt == "q" and loaded.rows[1].scores == (1.5, 0.5)
    reasons = {b.index: b.reason for b in loaded.bad}
    assert set(reasons) == {1, 2, 3, 5}
    assert "line 2: invalid JSON" in reasons[1]
    assert "missing field(s) 'rejected'" in reasons[2]
    assert "expected a JSON object, got list" in reasons[3]
    assert "'score_chosen' must be a number" in reasons[5]
    summary = loaded.summary()
    assert summary["rows"] == 2 and summary["malformed"] == 4 and len(summary["sha256"]) == 64


def test_hh_rlhf_transcripts_split_at_the_last_assistant_turn() -> None:
    prompt, reply = split_transcript("\n\nHuman: hi\n\nAssistant: hello\n\nHuman: and?\n\nAssistant: bye")
    assert prompt.endswith("and?\n\nAssistant:") and reply == "bye"
    loaded = read_pairs(EVAL / "hh_rlhf_harmless_sample.jsonl")
    assert len(loaded.rows) == 29 and loaded.rows[0].subset == "hh_rlhf_harmless_sample"
    assert [(b.index, b.reason) for b in loaded.bad] == [
        (23, "chosen and rejected transcripts differ before their last Assistant turn")
    ]
    assert all(p.prompt.endswith("Assistant:") and "Human:" not in p.chosen for p in loaded.rows)


def test_gzip_and_json_arrays(tmp_path: Path) -> None:
    gz = tmp_path / "x.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"prompt": "p", "chosen": "a", "rejected": "b"}\n'))
    assert len(read_pairs(gz).rows) == 1
    arr = tmp_path / "x.json"
    arr.write_text(json.dumps({"data": [{"prompt": "p", "chosen": "a", "rejected": "b"}]}))
    assert len(read_pairs(arr).rows) == 1
    with pytest.raises(ConfigError, match="does not exist"):
        read_pairs(tmp_path / "missing.jsonl")


def test_llmbar_labels_pick_the_chosen_output() -> None:
    loaded = read_pairs(EVAL / "llmbar_sample.json")
    assert len(loaded.rows) == 30 and not loaded.bad
    assert {p.subset for p in loaded.rows} == {"Natural", "Adversarial/GPTInst"}
    raw = json.loads((EVAL / "llmbar_sample.json").read_text())
    for row, pair in zip(raw, loaded.rows, strict=True):
        assert pair.chosen == row[f"output_{row['label']}"]


def test_rm_bench_rows_and_sniffing(tmp_path: Path) -> None:
    loaded = read_rm_bench(EVAL / "rm_bench_sample.json")
    assert len(loaded.rows) == 20 and {r.domain for r in loaded.rows} == {"chat", "code"}
    assert all(len(r.chosen) == len(r.rejected) == 3 for r in loaded.rows)
    assert sniff_pairs(EVAL / "rm_bench_sample.json") == "rm-bench"
    assert sniff_pairs(EVAL / "llmbar_sample.json") == "pairs"
    bad = _jsonl(
        tmp_path / "chat_x.jsonl", [{"prompt": "p", "chosen": ["a", "b"], "rejected": ["c", "d", "e"]}]
    )
    got = read_rm_bench(bad)
    assert "'chosen' must be a list of 3 responses" in got.bad[0].reason
    assert "RM-Bench row" in read_pairs(EVAL / "rm_bench_sample.json").bad[0].reason


def test_judgebench_judgments() -> None:
    loaded = read_judgebench(EVAL / "judgebench_o1mini_sample.jsonl")
    assert len(loaded.rows) == 30 and not loaded.bad
    assert all(r.decisions is not None and len(r.decisions) == 2 for r in loaded.rows)
    assert {category(r.source) for r in loaded.rows} <= {"knowledge", "reasoning", "math", "coding"}


def test_judgebench_malformed(tmp_path: Path) -> None:
    base = {"question": "q", "response_A": "a", "response_B": "b", "label": "A>B"}
    path = _jsonl(
        tmp_path / "jb.jsonl",
        [
            base,
            dict(base, label="A=B"),
            dict(base, judgments=[{"decision": "A>>B"}]),
            dict(base, judgments=[None, None]),
        ],
    )
    loaded = read_judgebench(path)
    assert len(loaded.rows) == 2 and loaded.rows[1].decisions == [None, None]
    assert [b.index for b in loaded.bad] == [1, 2]
    assert "'label' must be 'A>B' or 'B>A'" in loaded.bad[0].reason and "A>>B" in loaded.bad[1].reason


def test_processbench_rows(tmp_path: Path) -> None:
    loaded = read_processbench(EVAL / "processbench_steps_sample.jsonl")
    assert len(loaded.rows) == 40 and {r.subset for r in loaded.rows} == {"gsm8k", "math"}
    assert all(r.reference is not None and -1 <= r.label < len(r.steps) for r in loaded.rows)
    path = _jsonl(
        tmp_path / "pb.jsonl",
        [
            {"problem": "p", "steps": ["a", "b"], "label": 1, "step_scores": [0.9, 0.1]},
            {"problem": "p", "steps": ["a"], "label": 3},
            {"problem": "p", "steps": ["a", "b"], "label": -1, "step_scores": [0.9]},
        ],
    )
    got = read_processbench(path)
    assert got.rows[0].step_scores == [0.9, 0.1]
    assert "'label' must be -1 or a step index below 1" in got.bad[0].reason
    assert "'step_scores' must be a list of 2 numbers" in got.bad[1].reason


def test_best_of_n_rows() -> None:
    loaded = read_best_of_n(EVAL / "qwen25_math_bon_sample.jsonl")
    assert len(loaded.rows) == 20 and not loaded.bad
    row = loaded.rows[0]
    assert len(row.responses) == len(row.answers) == len(row.correct) == 8
    assert row.scores is not None and len(row.scores) == 8


@needs_shared_data
@pytest.mark.parametrize(
    ("reader", "path", "rows", "bad"),
    [
        (read_pairs, "preference/hh_rlhf/harmless-base/test.jsonl.gz", 1118, 1),
        (read_pairs, "preference/llmbar/Natural/dataset.json", 100, 0),
        (read_pairs, "preference/llmbar/Adversarial/GPTInst/dataset.json", 92, 0),
        (read_rm_bench, "preference/rm_bench/chat_filtered.json", 129, 0),
        (read_rm_bench, "preference/rm_bench/code_filtered.json", 228, 0),
        (read_processbench, "processbench/gsm8k.json", 400, 0),
        (read_processbench, "processbench/math.json", 1000, 0),
        (read_best_of_n, "math/qwen2.5-math_eval_rm_maj_example/math_cot_100.jsonl", 100, 0),
    ],
)
def test_shared_sets_read_whole(reader: object, path: str, rows: int, bad: int) -> None:
    loaded = reader(SHARED_DATA / path)  # type: ignore[operator]
    assert (len(loaded.rows), len(loaded.bad)) == (rows, bad)
