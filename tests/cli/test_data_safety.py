"""`rewardlab score` with hostile or careless input and output: one clear message, the right exit code,
never a truncated input or a half-written output under its final name."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewardlab.cli import app

runner = CliRunner()
GOOD = json.dumps({"completion": "\\boxed{4}", "reference": "4"})


def score(inp: Path, out: Path, *extra: str) -> object:
    return runner.invoke(app, ["score", str(inp), "-r", "math", "-o", str(out), "--workers", "1", *extra])


def test_output_equal_to_the_input_or_a_link_to_it_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text(GOOD + "\n", encoding="utf-8")
    before = inp.read_bytes()
    link = tmp_path / "link.jsonl"
    os.link(inp, link)
    for out in (inp, link, tmp_path / "." / "in.jsonl"):
        result = score(inp, out)
        assert result.exit_code == 2 and "is the input file" in result.output, result.output
        assert inp.read_bytes() == before


def test_bad_lines_are_rows_with_their_line_number_and_a_bom_is_accepted(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        b"\xef\xbb\xbf" + GOOD.encode(),  # UTF-8 byte-order mark on line 1
        b'{"completion": "\xff\xfe", "reference": "1"}',  # not UTF-8
        deep.encode(),
        b'{"completion": "\\ud800", "reference": "1"}',  # a lone surrogate
        GOOD.encode(),
    ]
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    result = score(inp, out)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["reward"] for r in rows] == [1.0, None, None, None, 1.0]
    messages = [r["error"]["message"] if r["error"] else "" for r in rows]
    assert "line 2: not valid UTF-8" in messages[1]
    assert "line 3: JSON nested too deeply" in messages[2]
    assert "line 4: holds a lone UTF-16 surrogate" in messages[3]


def test_truncated_gzip_is_one_message_exit_2_and_no_output(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join([GOOD] * 2000) + "\n").encode())
    inp = tmp_path / "in.jsonl.gz"
    inp.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.jsonl"
    result = score(inp, out)
    assert result.exit_code == 2, result.output
    assert "cannot read past line" in result.output and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl*"))


def test_corrupt_parquet_is_one_message_exit_2(tmp_path: Path) -> None:
    inp = tmp_path / "in.parquet"
    inp.write_bytes(b"PAR1" + os.urandom(2000) + b"PAR1")
    result = score(inp, tmp_path / "out.jsonl")
    assert result.exit_code == 2 and "parquet" in result.output, result.output


def test_parquet_output_keeps_every_row_when_errors_and_scores_mix(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"completion": "x", "reference": None}] * 5 + [json.loads(GOOD)] * 5  # errors first
    inp = tmp_path / "in.jsonl"
    inp.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    # a tiny row group so that the first group holds only error rows
    from rewardlab import io

    original = io.RowWriter.__init__

    def small_groups(self: io.RowWriter, path: str | Path, batch_size: int = 4096) -> None:
        original(self, path, batch_size=3)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(io.RowWriter, "__init__", small_groups)
        result = score(inp, out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out).to_pylist()
    assert [r["reward"] for r in table] == [None] * 5 + [1.0] * 5
    assert json.loads(table[0]["error"])["type"] == "ValueError"


def test_a_failed_run_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text(GOOD + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(inp), "-r", "no_such_reward", "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous results\n"
