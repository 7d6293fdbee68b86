"""The Ray backend on a local Ray instance (num_cpus=2)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from _rewards import Behave, Hostile

ray = pytest.importorskip("ray")

from rewardlab.runner.ray_backend import RayRunner  # noqa: E402


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    os.environ["RAY_AUTH_MODE"] = "disabled"
    tmp = tmp_path_factory.mktemp("ray")
    tests = Path(__file__).resolve().parents[1]  # Ray workers import the test rewards from here
    path = os.pathsep.join([str(tests), str(tests.parent / "src")])  # and rewardlab from this tree
    ray.init(
        num_cpus=2,
        _temp_dir=str(tmp),
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    yield
    ray.shutdown()


def test_ray_runner_orders_records_and_times_out(local_ray: None) -> None:
    rows = [{"completion": "x", "metadata": {"value": i}} for i in range(300)]
    rows[7] = {"completion": "x", "metadata": {"do": "raise", "value": 7}}
    rows[150] = {"completion": "x", "metadata": {"do": "sleep", "seconds": 30}}
    rows[200] = {"completion": 5}  # malformed
    with RayRunner(Behave(), actors=2, timeout=1.0, chunk_size=32) as runner:
        assert runner.actors == 2 and len(set(runner.nodes())) == 2
        results = runner.score(rows)
    assert len(results) == 300
    expected = [float(i) for i in range(300)]
    for i in (7, 150, 200):
        expected[i] = None  # type: ignore[call-overload]
    assert [r.score for r in results] == expected
    assert results[7].error.type == "ValueError"
    assert results[150].error.type == "Timeout"
    assert results[200].error.type == "SampleError" and "row 200" in results[200].error.message
    assert runner.stats.errors == 3 and runner.stats.timeouts == 1


def test_ray_a_sample_or_result_that_cannot_cross_fails_only_itself(local_ray: None) -> None:
    deep: dict = {}
    for _ in range(100_000):
        deep = {"x": deep}
    rows: list[dict] = [{"completion": "x"} for _ in range(40)]
    rows[5] = {"completion": "x", "metadata": {"lock": threading.Lock()}}  # cannot be pickled at all
    rows[9] = {"completion": "x", "metadata": {"deep": deep}}  # too deep to pickle
    rows[22] = {"completion": "x", "metadata": {"do": "one_hop"}}  # its result cannot leave the actor
    with RayRunner(Hostile(), actors=2, chunk_size=8) as runner:
        results = runner.score(rows)
    assert [i for i, r in enumerate(results) if r.score != 1.0] == [5, 9, 22]
    for i in (5, 9):
        err = results[i].error
        assert err is not None and err.type == "SampleError" and f"row {i}:" in err.message, err
        assert "cannot be sent" in err.message
    err = results[22].error
    assert err is not None and "could not be sent back" in err.message and "OneHop" in err.message, err
    assert runner.stats.errors == 3


def test_cli_backend_ray(local_ray: None, tmp_path: Path) -> None:
    from rewardlab.batch import score_file

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"completion": f"#### {i}", "reference": "2"}) + "\n" for i in range(100))
    )
    out = tmp_path / "out.jsonl"
    summary = score_file(src, out, "math", workers=2, timeout=5, backend="ray", progress=False)
    rewards = [json.loads(line)["reward"] for line in out.read_text().splitlines()]
    assert summary.rows == 100 and rewards == [1.0 if i == 2 else 0.0 for i in range(100)]
