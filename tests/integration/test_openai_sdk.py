"""rewardlab's grader endpoints under the real ``openai`` SDK (``scripts/openai_graders.py``, openai 3.63.0
in its own virtualenv) against a real ``rewardlab serve`` process.

The SDK posts to ``/v1/fine_tuning/alpha/graders/run`` and ``/validate`` (rewardlab's own paths are
``/v1/graders/*``); every ``run`` reply must parse, and validate, as the SDK's ``GraderRunResponse``; a
``multi`` grader written in the SDK's typed form (``graders``: one grader) must validate and run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _trainer_envs import OPENAI, last_json, rewardlab_serve, run_in


@pytest.fixture(scope="module")
def sdk_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with rewardlab_serve(["--workers", "1", "--eos", "none"], log) as url:
        done = run_in(OPENAI, "openai_graders.py", url, timeout=300)
        assert done.returncode == 0, done.stderr[-6000:] + Path(log).read_text()[-2000:]
        yield last_json(done.stdout)


def test_run_through_the_sdk_path_with_typed_replies(sdk_run: Any) -> None:
    run = sdk_run["run"]
    assert run["exact_hit"] == {"reward": 1.0, "sub_rewards": {}, "errors": []}
    assert run["exact_miss"] == {"reward": 0.0, "sub_rewards": {}, "errors": []}
    assert run["multi"] == {"reward": 2.0, "sub_rewards": {"exact": 1.0}, "errors": []}
    assert run["python"] == {"reward": 0.5, "sub_rewards": {}, "errors": []}  # in the code sandbox


def test_failures_are_flagged_in_openai_categories(sdk_run: Any) -> None:
    run = sdk_run["run"]
    assert run["multi_formula_error"]["errors"] == ["formula_parse_error"]
    assert run["python_timeout"]["errors"] == ["unresponsive_reward_error"]


def test_validate_accepts_the_sdk_typed_multi_grader_and_explains_a_bad_one(sdk_run: Any) -> None:
    assert sdk_run["validate_multi"]["graders"]["name"] == "exact"
    bad = sdk_run["validate_bad"]
    assert bad["status"] == 422 and bad["body"]["field"] == "grader.operation"
