"""A judge reward served by ``rewardlab serve`` (the real ASGI app, its runner's worker processes), with
the judge a scripted OpenAI-compatible server: results, the guard and an abstention over HTTP."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from scripted_judge import scripted_judge, user_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))
from _server import Server

pytest.importorskip("openai")


def verdict(request: dict[str, Any], n: int) -> str:
    text = user_text(request)
    if "garbled" in text:
        return "hmm"
    return (
        '{"verdict": "correct"}' if "42" in text.split("Candidate answer")[1] else '{"verdict": "incorrect"}'
    )


def test_a_judge_reward_over_http() -> None:
    with scripted_judge(verdict) as judge:
        spec = {"reward": {"type": "judge_label", "base_url": judge.url, "model": "m", "cache": False}}

        async def run() -> dict[str, Any]:
            async with Server(spec=spec, workers=1, timeout=30) as c:
                body = {
                    "samples": [
                        {"prompt": "6*7?", "completion": "42", "reference": "42"},
                        {"prompt": "6*7?", "completion": "41", "reference": "42"},
                        {"prompt": "6*7?", "completion": "Thought process:", "reference": "42"},
                        {"prompt": "6*7?", "completion": "garbled", "reference": "42"},
                    ],
                    "with_info": True,
                }
                return (await c.post("/v1/score", json=body)).json()

        out = asyncio.run(run())
    results = out["results"]
    assert [r["reward"] for r in results[:3]] == [1.0, 0.0, 0.0]
    assert results[2]["info"]["guard"] == ["reasoning_opener"]
    assert results[3]["reward"] is None and results[3]["error"]["type"] == "JudgeParseError"
    assert judge.calls == 3  # the master key never reached the judge
