"""``POST /get_reward``: exactly what OpenRLHF's remote reward client sends (openrlhf 0.11.2).

The reply is built by the same functions as the ``.py`` route (:mod:`rewardlab.adapters.openrlhf`), so
both give the same scores and the same ``extra_logs`` keys (``rewardlab/<component>`` for every component
the spec declares, ``rewardlab/error``) whatever fails: OpenRLHF sends one rollout per request and stacks
the keys across requests. The response is the query after the prompt with the EOS cut (the server's
``--eos`` / ``--tokenizer``, :class:`~rewardlab.adapters.openrlhf.Eos`). An errored sample scores the
explicit ``error_score`` and is flagged in ``extra_logs["rewardlab/error"]``; it is never a silent 0.0.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rewardlab.adapters._common import component_keys
from rewardlab.adapters.openrlhf import query_sample, reply
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
    samples: list[Sample | RewardResult] = [
        query_sample(q, p, label, state.eos) for q, p, label in zip(body.query, prompts, labels, strict=True)
    ]
    _, results = await state.score(None, samples, None)
    return json_response(reply(results, component_keys(state.reward), state.settings.error_score))
