"""Hostile input on a shared server: one bad sample (or request) costs only itself, and every answer is
valid JSON with the one error body."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from _server import Server

from _rewards import Behave, Hostile

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:httpx")

JSON = {"content-type": "application/json"}
HONEST = '{"completion": "so \\\\boxed{4}", "reference": "4"}'


def nested(depth: int) -> str:
    """A JSON object ``depth`` levels deep, as text (the standard library cannot even write it)."""
    return '{"x": ' * depth + "1" + "}" * depth


def strict_json(text: str) -> Any:
    """Parse ``text`` as JSON proper: NaN and Infinity tokens are an error."""

    def refuse(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


async def post(c: Any, path: str, text: str) -> Any:
    return await c.post(path, content=text.encode(), headers={"content-type": "application/json"})


@pytest.mark.timeout(60)
def test_deep_samples_cost_only_themselves_and_not_other_clients_in_the_same_micro_batch() -> None:
    depths = list(range(300, 820, 20))  # deeper bodies than ~900 levels cannot be parsed at all: a 400
    places = [
        lambda d: f'{{"completion": "\\\\boxed{{4}}", "reference": "4", "metadata": {nested(d)}}}',
        lambda d: f'{{"completion": "\\\\boxed{{4}}", "reference": {nested(d)}}}',
        lambda d: (
            f'{{"completion": [{{"role": "assistant", "content": "\\\\boxed{{4}}", "x": {nested(d)}}}], '
            '"reference": "4"}'
        ),
    ]
    hostile = [place(d) for d in depths for place in places]
    body = '{"samples": [' + ", ".join([HONEST, *hostile, HONEST]) + "]}"

    async def main() -> None:
        async with Server(workers=1, timeout=5, max_wait_ms=200, concurrency=1) as c:
            bad_task = asyncio.create_task(post(c, "/v1/score", body))
            others = [post(c, "/v1/score", '{"samples": [' + HONEST + "]}") for _ in range(3)]
            answers = await asyncio.wait_for(asyncio.gather(bad_task, *others), 30)
            for r in answers:
                assert r.status_code == 200, r.text[:500]
            bad = strict_json(answers[0].text)["results"]
            assert len(bad) == len(hostile) + 2
            assert bad[0]["reward"] == bad[-1]["reward"] == 1.1
            kinds = set()
            for i, res in enumerate(bad[1:-1], start=1):
                kind = res["error"]["type"] if res["error"] else res["reward"]
                kinds.add(kind)
                if kind == "SampleError":  # too deep to cross to a worker: says so and names its row
                    assert f"row {i}:" in res["error"]["message"]
            # shallow enough: scored (a dict reference is the math reward's own error); deeper: SampleError
            assert kinds == {1.1, "ComponentError", "SampleError"}, kinds
            assert all(x["error"]["type"] == "SampleError" for x in bad[-4:-1]), bad[-4:-1]  # 800 deep
            for r in answers[1:]:  # the other clients of the same micro-batch are not touched
                assert strict_json(r.text)["results"][0]["reward"] == 1.1

    asyncio.run(main())


@pytest.mark.parametrize("path", ["/v1/score", "/get_reward", "/v1/graders/run", "/v1/graders/validate"])
def test_a_body_nested_100k_deep_or_not_utf8_is_a_400_with_the_one_error_body(path: str) -> None:
    async def main() -> None:
        async with Server(workers=1) as c:
            deep = await post(c, path, '{"samples": ' + "[" * 100_000 + "]" * 100_000 + "}")
            assert deep.status_code == 400, deep.text
            err = strict_json(deep.text)["error"]
            assert err["type"] == "MalformedJSON" and err["field"] == "body"
            assert "nested too deeply" in err["message"]
            latin1 = await c.post(
                path, content='{"samples": [{"completion": "café"}]}'.encode("latin-1"),
                headers={"content-type": "application/json"},
            )  # fmt: skip
            assert latin1.status_code == 400, latin1.text
            err = strict_json(latin1.text)["error"]
            assert err["type"] == "MalformedJSON" and "UTF-8" in err["message"], err
            ok = await post(c, "/v1/score", '{"samples": [' + HONEST + "]}")
            assert ok.status_code == 200  # the server keeps serving

    asyncio.run(main())


def test_a_result_that_cannot_be_written_as_json_is_that_samples_error() -> None:
    async def main() -> None:
        async with Server(spec=Hostile(), workers=1) as c:
            kinds = ("ok", "unprintable", "deep_nan", "deep_info", "ok")
            samples = [{"completion": "x", "metadata": {"do": d}} for d in kinds]
            r = await c.post("/v1/score", json={"samples": samples})
            assert r.status_code == 200, r.text
            out = strict_json(r.text)
            res = out["results"]
            assert [x["reward"] for x in res] == [1.0, None, None, None, 1.0]
            for bad in res[1:3]:
                assert bad["error"]["type"] == "ResultError"
                assert "could not be written as JSON" in bad["error"]["message"]
            assert "could not be sent back" in res[3]["error"]["message"]  # 100,000 deep: not even pickled
            assert out["errors"] == 3
            metrics = (await c.get("/metrics")).text
            assert 'rewardlab_sample_errors_total{type="ResultError"} 2.0' in metrics

    asyncio.run(main())


def test_on_error_raise_in_the_spec_cannot_make_one_sample_fail_other_clients() -> None:
    import rewardlab as rl
    from rewardlab.serve import ServeSettings

    spec = {"reward": {"type": "_rewards:Behave"}, "runner": {"on_error": "raise"}}

    async def main() -> None:
        async with Server(spec=spec, workers=1, max_wait_ms=200, concurrency=1) as c:
            bad, good = await asyncio.gather(
                c.post("/v1/score", json={"samples": [{"completion": "x", "metadata": {"do": "raise"}}]}),
                c.post("/v1/score", json={"samples": [{"completion": "x", "metadata": {"value": 3}}]}),
            )
            assert good.json()["results"][0] == {"reward": 3.0, "components": {}, "error": None, "info": {}}
            failed = bad.json()["results"][0]  # recorded on its own sample: the server never raises
            assert failed["reward"] is None and failed["error"]["type"] == "ValueError"

    asyncio.run(main())
    with pytest.raises(rl.ConfigError, match="on_error='raise'"):
        ServeSettings(on_error="raise")


async def call_asgi(app: Any, path: str, pieces: Any) -> tuple[int, bytes]:
    """POST to the ASGI app the way a server does when a client trickles its body: one message per piece."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": path,
             "raw_path": path.encode(), "query_string": b"", "root_path": "", "scheme": "http",
             "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1),
             "server": ("test", 80)}  # fmt: skip
    sent: list[dict[str, Any]] = []
    source = aiter(pieces)

    async def receive() -> dict[str, Any]:
        try:
            return {"type": "http.request", "body": await anext(source), "more_body": True}
        except StopAsyncIteration:
            return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_a_body_sent_in_tiny_pieces_is_read_in_linear_time_and_an_endless_one_is_413() -> None:
    payload = json.dumps({"samples": [{"completion": "x" * (6 << 20), "metadata": {"value": 2}}]}).encode()

    async def pieces(size: int) -> Any:
        for i in range(0, len(payload), size):
            yield payload[i : i + size]

    async def endless() -> Any:
        while True:
            yield b" " * 1024

    async def main() -> None:
        server = Server(spec=Behave(), workers=1, max_body_bytes=8 << 20)
        async with server:
            # 6 MB in 64-byte pieces: appending each to a bytes object copied the body received so far
            # every time (quadratic: seconds to minutes of copying on the event loop); now read in 1 s.
            status, body = await asyncio.wait_for(call_asgi(server.app, "/v1/score", pieces(64)), 5)
            assert status == 200 and json.loads(body)["results"][0]["reward"] == 2.0
            status, body = await asyncio.wait_for(call_asgi(server.app, "/v1/score", endless()), 5)
            assert status == 413 and json.loads(body)["error"]["type"] == "PayloadTooLarge"

    asyncio.run(main())


def test_a_request_id_is_echoed_only_when_it_is_a_short_plain_token() -> None:
    async def main() -> None:
        async with Server(spec=Behave(), workers=1) as c:
            body = {"samples": [{"completion": "x"}]}
            given = await c.post("/v1/score", json=body, headers={"x-request-id": "trainer-7.step:12"})
            assert given.headers["x-request-id"] == "trainer-7.step:12"
            for hostile in (b"\xff\xfe\xfd", b"a" * 65, b"id with spaces", b'{"forged": 1}'):
                r = await c.post("/v1/score", json=body, headers={"x-request-id": hostile})
                assert r.status_code == 200, r.text
                echoed = r.headers["x-request-id"]
                assert echoed.encode() != hostile and len(echoed) == 16 and echoed.isalnum()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("path", "text", "token"),
    [
        ("/v1/score", '{"samples": [{"completion": "x", "reference": NaN}]}', "NaN"),
        ("/v1/score", '{"samples": [{"completion": "x"}], "timeout": Infinity}', "Infinity"),
        ("/v1/score", '{"samples": [{"completion": "x", "metadata": {"v": -Infinity}}]}', "-Infinity"),
        ("/get_reward", '{"query": ["a"], "labels": [1e999]}', "1e999"),
        ("/v1/graders/run", '{"grader": {}, "model_sample": "x", "item": {"v": 2E+400}}', "2E+400"),
    ],
)
def test_numbers_json_cannot_hold_are_a_400_naming_them(path: str, text: str, token: str) -> None:
    # Python's parser takes NaN, Infinity and 1e999 (as inf); a reward must never see them
    async def main() -> None:
        async with Server(spec=Behave(), workers=1) as c:
            r = await post(c, path, text)
            assert r.status_code == 400, r.text
            err = strict_json(r.text)["error"]
            assert err["type"] == "MalformedJSON" and f"{token} is not a finite number" in err["message"]
            ok = await post(c, "/v1/score", '{"samples": [{"completion": "NaN Infinity 1e999"}]}')
            assert ok.status_code == 200 and ok.json()["results"][0]["reward"] == 1.0  # in strings: fine
            huge = await post(
                c, "/v1/score", '{"samples": [{"completion": "x", "reference": 1' + "0" * 5000 + "}]}"
            )
            assert huge.status_code == 400 and "digits" in huge.json()["error"]["message"]

    asyncio.run(main())


def test_a_registered_reward_that_needs_options_is_a_422_not_a_500() -> None:
    async def main() -> None:
        async with Server(spec=Behave(), workers=1) as c:
            r = await c.post("/v1/score", json={"samples": [{"completion": "x"}], "reward": "regex_match"})
            assert r.status_code == 422, r.text
            err = r.json()["error"]
            assert (
                err["type"] == "InvalidReward" and err["field"] == "reward" and "'pattern'" in err["message"]
            )
            ok = await c.post("/v1/score", json={"samples": [{"completion": "x"}]})
            assert ok.status_code == 200 and len((await c.get("/health")).json()["queues"]) == 1

    asyncio.run(main())


def test_a_big_request_does_not_hold_up_a_small_one_that_comes_after_it() -> None:
    big = {
        "samples": [
            {"completion": "x", "metadata": {"do": "sleep", "seconds": 0.002, "i": i}} for i in range(800)
        ]
    }

    async def main() -> None:
        async with Server(spec=Behave(), workers=1, concurrency=1, max_batch=16, max_wait_ms=0) as c:
            await c.post("/v1/score", json={"samples": [{"completion": "x"}]})  # the worker is up
            big_task = asyncio.create_task(c.post("/v1/score", json=big))
            await asyncio.sleep(0.3)
            start = time.perf_counter()
            small = await c.post(
                "/v1/score", json={"samples": [{"completion": "x", "metadata": {"value": 7}}]}
            )
            waited = time.perf_counter() - start
            assert small.json()["results"][0]["reward"] == 7.0
            assert not big_task.done()
            # first come, first served, the small request waited for all 800 (about 1.5 s more); taken
            # in turns, it is in the next batch
            assert waited < 0.5, waited
            out = (await big_task).json()["results"]
            assert len(out) == 800 and all(r["reward"] == 1.0 for r in out)

    asyncio.run(main())
