"""Graders have their own bounded queue, deadline and back-pressure: slow graders never stall /v1/score."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import pytest
from _server import Server

from _rewards import Behave

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:httpx")


def sleeper(seconds: float) -> dict[str, Any]:
    """A ``python`` grader that sleeps in the sandbox, then passes."""
    source = f"def grade(sample, item):\n    import time\n    time.sleep({seconds})\n    return 1.0\n"
    return {"type": "python", "name": "slow", "source": source}


CHECK = {"type": "string_check", "name": "s", "input": "{{ sample.output_text }}",
         "reference": "{{ item.answer }}", "operation": "eq"}  # fmt: skip


async def score_latency(c: Any) -> float:
    start = time.perf_counter()
    r = await asyncio.wait_for(c.post("/v1/score", json={"samples": [{"completion": "x"}]}), 10)
    assert r.status_code == 200 and r.json()["results"][0]["reward"] == 1.0
    return time.perf_counter() - start


def test_slow_graders_do_not_stall_score_and_health_shows_the_grader_queue() -> None:
    async def main() -> None:
        async with Server(spec=Behave(), workers=1) as c:
            await score_latency(c)  # the score workers are up
            # more graders than the event loop's default thread pool has threads (6 on 2 cores)
            body = {"grader": sleeper(0.8), "model_sample": "x"}
            graders = [asyncio.create_task(c.post("/v1/graders/run", json=body)) for _ in range(8)]
            await asyncio.sleep(0.3)
            latencies = [await score_latency(c) for _ in range(5)]
            health = (await c.get("/health")).json()
            # before graders had their own queue, a score request waited for a grader to finish (0.8 s+)
            assert statistics.median(latencies) < 0.2 and max(latencies) < 0.5, latencies
            queue = health["graders"]
            assert queue["running"] + queue["waiting"] == 8 - sum(t.done() for t in graders), health
            assert queue["running"] == queue["max_running"] == 2
            statuses = [(await t).status_code for t in graders]
            assert statuses == [200] * 8  # they were slow, not refused: the default queue holds them

    asyncio.run(main())


def test_a_full_grader_queue_is_503_a_late_grader_is_504_and_health_says_degraded() -> None:
    async def main() -> None:
        settings = {"grader_workers": 1, "grader_max_queue": 2, "grader_timeout": 1.0}
        async with Server(spec=Behave(), workers=1, **settings) as c:
            body = {"grader": sleeper(5), "model_sample": "x"}
            slow = [asyncio.create_task(c.post("/v1/graders/run", json=body)) for _ in range(2)]
            await asyncio.sleep(0.3)
            refused = await c.post("/v1/graders/run", json=body)
            assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
            assert refused.json()["error"]["type"] == "Overloaded"
            assert "grader queue is full" in refused.json()["error"]["message"]
            health = (await c.get("/health")).json()
            assert health["status"] == "degraded", health
            assert any("grader queue is full" in r for r in health["reasons"]), health
            assert (await score_latency(c)) < 1.0  # /v1/score is not affected
            start = time.perf_counter()
            late = [await t for t in slow]
            for r in late:  # the running one is killed at its deadline; the waiting one runs out of time
                assert r.status_code == 504, r.text
                err = r.json()["error"]
                assert err["type"] == "DeadlineExceeded" and "1 s" in err["message"]
            assert time.perf_counter() - start < 3.0
            metrics = (await c.get("/metrics")).text
            assert 'rewardlab_grader_refused_total{reason="full"} 1.0' in metrics
            assert 'rewardlab_grader_refused_total{reason="deadline"} 2.0' in metrics
            for _ in range(40):  # the running grader is killed at its deadline, then the queue is free
                if (health := (await c.get("/health")).json())["status"] == "ok":
                    break
                await asyncio.sleep(0.1)
            assert health["status"] == "ok" and health["graders"]["pending"] == 0, health
            ok = await c.post(
                "/v1/graders/run", json={"grader": CHECK, "model_sample": "a", "item": {"answer": "a"}}
            )
            assert ok.status_code == 200 and ok.json()["reward"] == 1.0

    asyncio.run(main())


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"grader_workers": 0}, "grader_workers must be an integer >= 1, got 0"),
        ({"grader_max_queue": -1}, "grader_max_queue must be an integer >= 1, got -1"),
        ({"grader_timeout": 0}, "grader_timeout must be a positive number of seconds, got 0"),
        ({"grader_timeout": float("inf")}, "grader_timeout must be a positive number of seconds, got inf"),
        ({"grader_memory_mb": 64}, "grader_memory_mb must be an integer >= 256, got 64"),
    ],
)
def test_grader_settings_are_validated(settings: dict[str, Any], fragment: str) -> None:
    import rewardlab as rl
    from rewardlab.serve import ServeSettings

    with pytest.raises(rl.ConfigError, match="server settings") as info:
        ServeSettings(**settings)
    assert fragment in str(info.value)


def test_a_grader_that_would_run_for_hours_is_killed_at_its_deadline_and_score_stays_fast() -> None:
    # ROUGE-L on two 6,000-word texts: a pure-Python LCS of 3.6e7 steps that holds the GIL. Run in the
    # server process it would slow every request for many seconds; in a grader worker it is killed at 1 s.
    text = " ".join(f"w{i % 97}" for i in range(6_000))
    grader = {"type": "text_similarity", "name": "t", "input": "{{ sample.output_text }}",
              "reference": "{{ item.ref }}", "evaluation_metric": "rouge_l"}  # fmt: skip

    async def main() -> None:
        async with Server(spec=Behave(), workers=1, grader_timeout=1.0) as c:
            await score_latency(c)
            body = {"grader": grader, "model_sample": text, "item": {"ref": text[::-1]}}
            start = time.perf_counter()
            task = asyncio.create_task(c.post("/v1/graders/run", json=body))
            await asyncio.sleep(0.2)
            latencies = [await score_latency(c) for _ in range(5)]
            r = await asyncio.wait_for(task, 10)
            assert r.status_code == 504 and r.json()["error"]["type"] == "DeadlineExceeded", r.text
            assert time.perf_counter() - start < 3.0
            assert max(latencies) < 0.5, latencies

    asyncio.run(main())


def test_hostile_grader_definitions_are_422s_naming_the_reason() -> None:
    leaf = {"type": "string_check", "name": "s", "input": "a", "reference": "a", "operation": "eq"}
    tower: dict[str, Any] = leaf
    for _ in range(20):  # multi graders inside multi graders
        tower = {"type": "multi", "name": "m", "graders": {"g": tower}, "calculate_output": "g"}
    deep_item = "1"
    for _ in range(900):
        deep_item = '{"x": ' + deep_item + "}"

    async def main() -> None:
        async with Server(spec=Behave(), workers=1) as c:
            for path in ("/v1/graders/validate", "/v1/graders/run"):
                r = await c.post(path, json={"grader": tower, "model_sample": "a"})
                assert r.status_code == 422, r.text
                err = r.json()["error"]
                assert err["type"] == "InvalidGrader" and "nested deeper than 8 levels" in err["message"]
            text = f'{{"grader": {json.dumps(leaf)}, "model_sample": "a", "item": {deep_item}}}'
            r = await c.post("/v1/graders/run", content=text, headers={"content-type": "application/json"})
            assert r.status_code == 422, r.text
            err = r.json()["error"]
            assert err["type"] == "GraderFailed" and "cannot be sent to a worker" in err["message"], err
            deeper = tower
            for _ in range(300):  # so deep that it cannot even be sent to a grader worker
                deeper = {"type": "multi", "name": "m", "graders": {"g": deeper}, "calculate_output": "g"}
            r = await c.post("/v1/graders/validate", json={"grader": deeper})
            assert r.status_code == 422 and "RecursionError" in r.json()["error"]["message"], r.text
            ok = await c.post("/v1/graders/run", json={"grader": leaf, "model_sample": "a"})
            assert ok.status_code == 200 and ok.json()["reward"] == 1.0

    asyncio.run(main())


def test_health_says_stalled_when_graders_wait_half_their_deadline_for_a_worker() -> None:
    async def main() -> None:
        settings = {"grader_workers": 1, "grader_timeout": 2.0}
        async with Server(spec=Behave(), workers=1, **settings) as c:
            body = {"grader": sleeper(5), "model_sample": "x"}
            # the first holds the only grader worker until it is killed at 2 s; the second waits for it
            tasks = [asyncio.create_task(c.post("/v1/graders/run", json=body)) for _ in range(2)]
            await asyncio.sleep(1.5)
            health = (await c.get("/health")).json()
            assert health["status"] == "degraded", health
            assert any("grader queue is stalled" in r for r in health["reasons"]), health
            assert health["graders"]["oldest_wait_s"] > 1.0 and health["graders"]["waiting"] == 1
            assert health["graders"]["running"] == 1
            assert [(await asyncio.wait_for(t, 5)).status_code for t in tasks] == [504, 504]

    asyncio.run(main())
