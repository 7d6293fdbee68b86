"""Memory stays flat when streaming many rows through the CLI path (slow: ~20 s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, resource, sys
from pathlib import Path
from rewardlab.batch import score_file
if __name__ == "__main__":
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    s = score_file(src, dst, "math", workers=2, timeout=5, progress=False)
    print(json.dumps({"rows": s.rows, "errors": s.errors,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(tmp_path: Path, n: int) -> dict:
    src = tmp_path / f"rows_{n}.jsonl"
    with src.open("w") as f:
        for i in range(n):
            row = {
                "id": i,
                "completion": f"work {i}. The answer is \\boxed{{{i % 97}}}",
                "reference": str(i % 89),
            }
            f.write(json.dumps(row) + "\n")
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script), str(src), str(tmp_path / f"out_{n}.jsonl")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_parent_memory_is_flat_from_10k_to_100k_rows(tmp_path: Path) -> None:
    small = _run(tmp_path, 10_000)
    large = _run(tmp_path, 100_000)
    assert small["rows"] == 10_000 and large["rows"] == 100_000
    assert small["errors"] == large["errors"] == 0
    # 10x the rows may not cost more than a few MB: nothing is held per row.
    assert large["maxrss_mb"] - small["maxrss_mb"] < 20, (small, large)
