"""The HTTP API in-process (ASGI transport): endpoints, validation errors, faults, back-pressure."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from _server import Server

import rewardlab as rl
from _rewards import Behave
from rewardlab.serve import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:httpx")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_score_returns_one_result_per_sample_with_errors_in_place() -> None:
    async def main() -> None:
        async with Server(workers=1, timeout=5) as c:
            body = {
                "samples": [
                    {"completion": "so \\boxed{4}", "reference": "4"},
                    {"completion": "x", "reference": None},
                    {"completion": "the answer is 5", "reference": "4"},
                ]
            }
            r = await c.post("/v1/score", json=body)
            assert r.status_code == 200
            out = r.json()
            assert [x["reward"] for x in out["results"]] == [1.1, None, 0.0]
            assert out["results"][0]["components"] == {"correct": 1.0, "format": 1.0}
            assert out["results"][1]["error"]["type"] == "ComponentError"
            assert out["errors"] == 1 and out["reward"] == "default"
            assert r.headers["x-request-id"]

    run(main())


def test_openrlhf_get_reward_wire_format() -> None:
    # The exact payload of openrlhf 0.11.2 SingleTurnAgentExecutor._fetch_rewards_via_http:
    # {"query": [...], "prompts": [...], "labels": [...]} -> {"rewards", "scores", "extra_logs"}
    async def main() -> None:
        async with Server(workers=1, timeout=5) as c:
            payload = {
                "query": [
                    "<|user|>2+2?<|assistant|>It is \\boxed{4}",
                    "<|user|>3+3?<|assistant|>7",
                    "no prompt",
                ],
                "prompts": ["<|user|>2+2?<|assistant|>", "<|user|>3+3?<|assistant|>", "x"],
                "labels": ["4", "6", None],
            }
            r = await c.post("/get_reward", json=payload)
            assert r.status_code == 200
            out = r.json()
            assert out["rewards"] == [1.1, 0.0, 0.0]  # the third errors (no reference): explicit error_score
            assert out["scores"] == out["rewards"]
            assert out["extra_logs"]["rewardlab/error"] == [0.0, 0.0, 1.0]
            assert out["extra_logs"]["rewardlab/correct"] == [1.0, 0.0, 0.0]
            bad = await c.post("/get_reward", json={"query": ["a", "b"], "labels": ["1"]})
            assert bad.status_code == 422 and bad.json()["error"]["field"] == "labels"

    run(main())


def test_get_reward_keys_are_stable_whatever_fails_and_the_eos_is_cut() -> None:
    """OpenRLHF sends one rollout per request and stacks extra_logs per key across requests."""
    spec = rl.combine(
        correct=rl.math_answer(), exact="exact_match", behave=Behave(), gates={"behave": "correct"}
    )

    async def main() -> None:
        async with Server(spec=spec, workers=1, timeout=5, eos_tokens=("<|im_end|>",)) as c:
            replies = []
            for query, label in (("P: 72<|im_end|>", "72"), ("P: 7<|im_end|>", "72"), ("P: x", None)):
                r = await c.post("/get_reward", json={"query": [query], "prompts": ["P:"], "labels": [label]})
                replies.append(r.json())
            keys = {tuple(sorted(r["extra_logs"])) for r in replies}
            assert keys == {("rewardlab/behave", "rewardlab/correct", "rewardlab/error", "rewardlab/exact")}
            assert [r["extra_logs"]["rewardlab/exact"] for r in replies] == [[1.0], [0.0], [0.0]]
            assert [r["extra_logs"]["rewardlab/error"] for r in replies] == [[0.0], [0.0], [1.0]]

    run(main())


def test_openai_sdk_paths_reach_the_grader_handlers() -> None:
    exact = {"type": "string_check", "name": "exact", "input": "{{ sample.output_text }}",
             "reference": "{{ item.a }}", "operation": "eq"}  # fmt: skip
    multi = {
        "type": "multi",
        "name": "m",
        "graders": exact,
        "calculate_output": "2 * exact",
    }  # SDK-typed form

    async def main() -> None:
        async with Server(workers=1) as c:
            for prefix in ("/v1/graders", "/v1/fine_tuning/alpha/graders"):
                ok = await c.post(f"{prefix}/validate", json={"grader": multi})
                assert ok.status_code == 200 and ok.json() == {"grader": multi}
                r = await c.post(
                    f"{prefix}/run", json={"grader": multi, "model_sample": "1", "item": {"a": "1"}}
                )
                assert (
                    r.status_code == 200
                    and r.json()["reward"] == 2.0
                    and r.json()["sub_rewards"] == {"exact": 1.0}
                )

    run(main())


@pytest.mark.parametrize(
    ("body", "status", "field", "fragment"),
    [
        (b"{not json", 400, "body", "not valid JSON"),
        (json.dumps({"samples": [{"completion": 5}]}).encode(), 422, "samples.0.completion", "valid string"),
        (json.dumps({"samples": []}).encode(), 422, "samples", "at least 1"),
        (
            json.dumps({"samples": [{"completion": "x", "extra": 1}]}).encode(),
            422,
            "samples.0.extra",
            "not permitted",
        ),
        (
            json.dumps({"samples": [{"completion": "x"}], "reward": "nope"}).encode(),
            422,
            "reward",
            "unknown reward",
        ),
        (
            json.dumps({"samples": [{"completion": "x"}], "timeout": -1}).encode(),
            422,
            "timeout",
            "greater than 0",
        ),
        (json.dumps({"rows": []}).encode(), 422, "samples", "Field required"),
    ],
)
def test_bad_requests_get_4xx_naming_the_field(body: bytes, status: int, field: str, fragment: str) -> None:
    async def main() -> None:
        async with Server(workers=1) as c:
            r = await c.post("/v1/score", content=body, headers={"content-type": "application/json"})
            assert r.status_code == status, r.text
            err = r.json()["error"]
            assert err["field"] == field and fragment in err["message"], err

    run(main())


def test_oversized_body_is_413() -> None:
    async def main() -> None:
        async with Server(workers=1, max_body_bytes=4096) as c:
            big = {"samples": [{"completion": "x" * 10_000}]}
            r = await c.post("/v1/score", json=big)
            assert r.status_code == 413 and r.json()["error"]["type"] == "PayloadTooLarge"

    run(main())


def test_crash_and_timeout_on_one_sample_leave_the_rest_scored() -> None:
    async def main() -> None:
        async with Server(spec=Behave(), workers=1, timeout=1.0) as c:
            samples = [
                {"completion": "x", "metadata": {"value": 1}},
                {"completion": "x", "metadata": {"do": "exit"}},  # the worker process dies mid-batch
                {"completion": "x", "metadata": {"do": "sleep", "seconds": 30}},
                {"completion": "x", "metadata": {"do": "raise"}},
                {"completion": "x", "metadata": {"value": 5}},
            ]
            r = await c.post("/v1/score", json={"samples": samples})
            assert r.status_code == 200
            res = r.json()["results"]
            assert [x["reward"] for x in res] == [1.0, None, None, None, 5.0]
            assert [x["error"]["type"] if x["error"] else None for x in res] == [
                None, "WorkerCrashed", "Timeout", "ValueError", None
            ]  # fmt: skip
            metrics = (await c.get("/metrics")).text
            assert 'rewardlab_sample_errors_total{type="Timeout"} 1.0' in metrics

    run(main())


def test_full_queue_answers_503_with_retry_after() -> None:
    async def main() -> None:
        async with Server(spec=Behave(), workers=1, max_queue=4, max_batch=2, concurrency=1) as c:
            slow = {"samples": [{"completion": "x", "metadata": {"do": "sleep", "seconds": 0.5}}] * 4}
            first = asyncio.create_task(c.post("/v1/score", json=slow))
            await asyncio.sleep(0.2)
            refused = await c.post("/v1/score", json={"samples": [{"completion": "x"}]})
            assert refused.status_code == 503
            assert refused.json()["error"]["type"] == "Overloaded"
            assert int(refused.headers["retry-after"]) >= 1
            assert (await first).status_code == 200

    run(main())


def test_request_deadline_is_504() -> None:
    async def main() -> None:
        async with Server(spec=Behave(), workers=1) as c:
            r = await c.post(
                "/v1/score",
                json={
                    "samples": [{"completion": "x", "metadata": {"do": "sleep", "seconds": 3}}],
                    "timeout": 0.3,
                },
            )
            assert r.status_code == 504 and r.json()["error"]["field"] == "timeout"
            ok = await c.post("/v1/score", json={"samples": [{"completion": "x"}]})
            assert ok.status_code == 200  # the server keeps serving

    run(main())


def test_health_rewards_and_metrics() -> None:
    async def main() -> None:
        async with Server(workers=1) as c:
            assert (await c.get("/health")).json()["status"] == "ok"
            names = [e["name"] for e in (await c.get("/v1/rewards")).json()["registered"]]
            assert "math" in names
            await c.post(
                "/v1/score", json={"samples": [{"completion": "1", "reference": "1"}], "reward": "math"}
            )
            text = (await c.get("/metrics")).text
            assert 'rewardlab_requests_total{path="/v1/score",status="200"} 1.0' in text
            assert "rewardlab_batch_size_bucket" in text

    run(main())


def test_micro_batching_merges_concurrent_requests() -> None:
    async def main() -> None:
        async with Server(spec=Behave(), workers=1, max_wait_ms=50, concurrency=1) as c:
            reqs = [
                c.post("/v1/score", json={"samples": [{"completion": "x", "metadata": {"value": i}}]})
                for i in range(20)
            ]
            outs = await asyncio.gather(*reqs)
            assert [o.json()["results"][0]["reward"] for o in outs] == [float(i) for i in range(20)]
            text = (await c.get("/metrics")).text
            count = next(line for line in text.splitlines() if line.startswith("rewardlab_batch_size_count"))
            assert float(count.split()[-1]) < 20  # fewer batches than requests

    run(main())


def test_python_client_in_process() -> None:
    app = create_app(workers=1, timeout=5)

    async def main() -> None:
        async with (
            app.fastapi.router.lifespan_context(app.fastapi),
            rl.AsyncClient("http://test", transport=httpx.ASGITransport(app=app), batch_size=2) as client,
        ):
            rows = [{"completion": f"\\boxed{{{i}}}", "reference": "2"} for i in range(5)]
            results = await client.score(rows)
            assert [r.score for r in results] == [0.1, 0.1, 1.1, 0.1, 0.1]
            with pytest.raises(rl.RewardLabError, match="field 'reward'"):
                await client.score(rows, reward="nope")

    run(main())


def test_openai_graders_endpoints() -> None:
    grader = {"type": "string_check", "name": "s", "input": "{{ sample.output_text }}",
              "reference": "{{ item.answer }}", "operation": "ilike"}  # fmt: skip

    async def main() -> None:
        async with Server(workers=1) as c:
            ok = await c.post("/v1/graders/validate", json={"grader": grader})
            assert ok.status_code == 200 and ok.json() == {"grader": grader}
            bad = await c.post("/v1/graders/validate", json={"grader": {**grader, "operation": "x"}})
            assert bad.status_code == 422 and bad.json()["error"]["field"] == "grader.operation"
            run = await c.post(
                "/v1/graders/run",
                json={"grader": grader, "model_sample": "PARIS", "item": {"answer": "paris"}},
            )
            body = run.json()
            assert body["reward"] == 1.0 and body["metadata"]["type"] == "string_check"
            assert body["metadata"]["errors"]["invalid_variable_error"] is False
            assert set(body) == {"reward", "metadata", "sub_rewards", "model_grader_token_usage_per_model"}

    run(main())


def test_score_output_is_what_the_declared_response_model_says() -> None:
    """``/v1/score`` serialises by hand for speed; its body must still validate as ``ScoreResponse``."""
    from rewardlab.serve.models import OpenRLHFResponse, ScoreResponse

    async def main() -> None:
        async with Server(workers=1, timeout=5) as c:
            samples = [
                {"completion": "so \\boxed{4}", "reference": "4"},
                {"completion": "x", "reference": None},
                {"completion": [{"role": "assistant", "content": "\\boxed{2}"}], "reference": "3"},
            ]
            for with_info in (True, False):
                r = await c.post("/v1/score", json={"samples": samples, "with_info": with_info})
                model = ScoreResponse.model_validate(r.json(), strict=True)
                assert len(model.results) == 3 and model.errors == 1
                assert [x.reward for x in model.results] == [1.1, None, 0.1]  # wrong, but boxed
                assert model.results[1].error is not None and model.results[1].error.type == "ComponentError"
                assert (model.results[0].info is not None) == with_info
                assert ("info" in r.json()["results"][0]) == with_info
            r = await c.post("/get_reward", json={"query": ["\\boxed{1}", "x"], "labels": ["1", None]})
            OpenRLHFResponse.model_validate(r.json(), strict=True)

    run(main())


def test_one_error_body_for_every_refusal() -> None:
    async def main() -> None:
        async with Server(workers=1) as c:
            unknown = await c.post("/v1/score", json={"samples": [{"completion": "x"}], "reward": "nope"})
            mismatch = await c.post("/get_reward", json={"query": ["a", "b"], "labels": ["1"]})
            grader = await c.post("/v1/graders/validate", json={"grader": {"type": "nope"}})
            for resp, status, kind, field in (
                (unknown, 422, "UnknownReward", "reward"),
                (mismatch, 422, "ValidationError", "labels"),
                (grader, 422, "InvalidGrader", None),
            ):
                body = resp.json()
                assert resp.status_code == status and set(body) == {"error"}, body
                assert body["error"]["type"] == kind and isinstance(body["error"]["message"], str)
                if field:
                    assert body["error"]["field"] == field

    run(main())


def test_a_client_cannot_make_the_server_open_a_database_it_names(tmp_path: Any) -> None:
    import sqlite3

    outside = tmp_path / "secret.sqlite"
    with sqlite3.connect(outside) as db:
        db.execute("create table t (x)")
        db.execute("insert into t values (42)")
    allowed = tmp_path / "dbs"
    (allowed / "shop").mkdir(parents=True)
    with sqlite3.connect(allowed / "shop" / "shop.sqlite") as db:
        db.execute("create table t (x)")
        db.execute("insert into t values (7)")
    spec = {"type": "sql", "db_dir": str(allowed)}

    async def main() -> None:
        async with Server(spec=spec, workers=1) as c:
            samples = [
                {"completion": "SELECT x FROM t", "reference": {"db_id": "shop", "sql": "SELECT 7"}},
                {"completion": "SELECT x FROM t", "reference": {"db_path": str(outside), "sql": "SELECT 42"}},
                {
                    "completion": "SELECT 1",
                    "reference": {"db_id": "secret", "db_dir": str(tmp_path), "sql": "SELECT 1"},
                },
            ]
            out = (await c.post("/v1/score", json={"samples": samples})).json()["results"]
            assert out[0]["reward"] == 1.0
            assert out[1]["reward"] is None and out[1]["error"]["type"] == "PermissionError"
            assert "outside the allowed roots" in out[1]["error"]["message"]
            assert out[2]["reward"] is None and out[2]["error"] is not None  # its own db_dir is ignored
            named = await c.post("/v1/score", json={"samples": samples[1:2], "reward": "sql"})
            assert named.json()["results"][0]["error"]["type"] == "PermissionError"

    run(main())
