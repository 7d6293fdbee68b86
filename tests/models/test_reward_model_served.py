"""A reward model behind ``rewardlab serve``: requests of many clients are micro-batched into the runner's
worker, every client gets exactly the in-process score of its own samples, and the event loop keeps
answering while forward passes run (they run in the worker process, never on the loop)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import rewardlab as rl
from rewardlab.models import RewardModel
from rewardlab.serve import create_app


def texts(n: int, tag: str) -> list[dict[str, str]]:
    return [{"prompt": f"q{i} ", "completion": f"{tag} answer {i} " + "good " * (i % 7)} for i in range(n)]


async def serve(
    spec: dict[str, Any], clients: list[list[dict[str, str]]]
) -> tuple[list[Any], list[float], str]:
    app = create_app(spec=spec, workers=1, max_wait_ms=50)
    life = app.fastapi.router.lifespan_context(app.fastapi)
    await life.__aenter__()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            await c.post("/v1/score", json={"samples": clients[0][:1]})  # the worker loads the model
            health: list[float] = []

            async def ping() -> None:  # /health while the batches are scored
                for _ in range(5):
                    t0 = time.perf_counter()
                    assert (await c.get("/health")).status_code == 200
                    health.append(time.perf_counter() - t0)
                    await asyncio.sleep(0.01)

            answers = await asyncio.gather(
                *(c.post("/v1/score", json={"samples": s}) for s in clients), ping()
            )
            metrics = (await c.get("/metrics")).text
    finally:
        await life.__aexit__(None, None, None)
    return [a.json() for a in answers[:-1]], health, metrics


def test_concurrent_clients_share_batches_and_each_gets_its_own_exact_scores(trained_bt: Path) -> None:
    spec = {"type": "reward_model", "path": str(trained_bt), "batch_size": 8}
    clients = [texts(3 + k % 4, f"client{k}") for k in range(12)]
    answers, health, metrics = asyncio.run(serve(spec, clients))
    reward = RewardModel(str(trained_bt))
    for sent, got in zip(clients, answers, strict=True):
        expected = [r.score for r in reward.score_batch([rl.Sample(**s) for s in sent])]
        assert [r["error"] for r in got["results"]] == [None] * len(sent)
        assert [r["reward"] for r in got["results"]] == pytest.approx(expected, abs=1e-5)
    # micro-batched across clients: fewer batches than requests (the histogram's count), none of one
    count = next(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("rewardlab_batch_size_count")
    )
    assert 1 <= count - 1 < len(clients)  # minus the warm-up request
    assert len(health) == 5 and max(health) < 5.0
