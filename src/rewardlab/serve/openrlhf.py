"""``POST /get_reward``: exactly what OpenRLHF's remote reward client sends (openrlhf 0.11.2).

OpenRLHF needs a number for every sample, so an errored sample scores the explicit ``error_score`` and
is flagged in ``extra_logs["reward_error"]``; it is never a silent 0.0.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rewardlab.core.types import RewardResult, Sample
from rewardlab.serve.models import OpenRLHFRequest, OpenRLHFResponse
from rewardlab.serve.responses import ApiError, json_response
from rewardlab.serve.state import ServerState

router = APIRouter()


@router.post("/get_reward", response_model=OpenRLHFResponse, responses={422: {}, 503: {}})
async def get_reward(body: OpenRLHFRequest, request: Request) -> Any:
    """OpenRLHF's remote reward API: ``query`` (prompt + response text), ``prompts``, ``labels``."""
    state: ServerState = request.app.state.rewardlab
    n = len(body.query)
    for name in ("prompts", "labels"):
        value = getattr(body, name)
        if value is not None and len(value) != n:
            raise ApiError(422, "ValidationError", f"{name} has {len(value)} items, query has {n}", name)
    prompts = body.prompts or [""] * n
    labels = body.labels or [None] * n
    samples: list[Sample | RewardResult] = []
    for q, p, label in zip(body.query, prompts, labels, strict=True):
        completion = q[len(p) :] if p and q.startswith(p) else q
        samples.append(Sample(prompt=p, completion=completion, reference=label))
    _, results = await state.score(None, samples, None)
    error_score = state.settings.error_score
    rewards = [r.score if r.score is not None else error_score for r in results]
    names = sorted({k for r in results for k in r.components})
    extra = {k: [float(r.components.get(k, 0.0)) for r in results] for k in names}
    extra["reward_error"] = [float(r.error is not None) for r in results]
    return json_response({"rewards": rewards, "scores": rewards, "extra_logs": extra})
