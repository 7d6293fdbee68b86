"""Group rewards on the server: a request's groups are its own and are scored whole, even when other
clients' requests share the micro-batch and use the same group names."""

from __future__ import annotations

import asyncio

from _server import Server


def request(answers: list[str], group: str = "0") -> dict:
    return {"samples": [{"completion": f"\\boxed{{{a}}}", "metadata": {"group": group}} for a in answers]}


def test_groups_are_private_to_their_request_and_whole_in_a_batch() -> None:
    async def run() -> list[dict]:
        async with Server(spec="majority_vote", workers=1, max_batch=4, max_wait_ms=100, concurrency=1) as c:
            # two clients, both calling their group "0"; each request is larger than half a batch
            a, b = await asyncio.gather(
                c.post("/v1/score", json=request(["1", "1", "2"])),
                c.post("/v1/score", json=request(["7", "8", "8"])),
            )
            return [a.json(), b.json()]

    first, second = asyncio.run(run())
    assert [r["reward"] for r in first["results"]] == [1.0, 1.0, 0.0]
    assert [r["reward"] for r in second["results"]] == [0.0, 1.0, 1.0]


def test_a_group_split_across_requests_is_refused() -> None:
    async def run() -> dict:
        async with Server(spec="majority_vote", workers=1) as c:
            body = request(["1", "1"])
            for s in body["samples"]:
                s["metadata"]["group_size"] = 4  # the other half is in another request
            return (await c.post("/v1/score", json=body)).json()

    out = asyncio.run(run())
    assert all(r["error"]["type"] == "GroupError" for r in out["results"])
