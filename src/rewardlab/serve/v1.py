"""rewardlab's own API: ``POST /v1/score``, ``GET /v1/rewards``, ``GET /health``, ``GET /metrics``."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from rewardlab.core.registry import REGISTRY
from rewardlab.core.types import RewardResult, Sample
from rewardlab.serve.models import ScoreRequest, ScoreResponse
from rewardlab.serve.state import ServerState

router = APIRouter()


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.rewardlab
    return state


@router.post(
    "/v1/score", response_model=ScoreResponse, responses={422: {}, 503: {}, 504: {}, 413: {}, 400: {}}
)
async def score(body: ScoreRequest, request: Request) -> Any:
    """Score a batch of samples; one result per sample, in order, each with its own error."""
    start = time.perf_counter()
    samples: list[Sample | RewardResult] = [
        Sample(s.prompt, s.completion, s.reference, s.metadata)
        for s in body.samples  # validated already
    ]
    state = _state(request)
    name, results = await state.score(body.reward, samples, body.timeout)
    texts, errors = state.encode(results, body.with_info)  # each result on its own: one bad costs itself
    tail = {"reward": name, "errors": errors, "seconds": time.perf_counter() - start}
    text = '{"results": [' + ", ".join(texts) + "], " + json.dumps(tail)[1:]
    return Response(text, media_type="application/json")


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """``status``: ``ok``, ``degraded`` (``reasons`` say which queue is full or stalled) or ``draining``;
    the depth of the sample queues and of the grader queue. Always HTTP 200 while the server answers."""
    return _state(request).health()


@router.get("/metrics")
async def metrics(request: Request) -> Any:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    state = _state(request)
    state.queue.set(state.pending)
    state.health()  # refreshes the grader queue gauges
    return PlainTextResponse(generate_latest(state.registry).decode(), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/rewards")
async def rewards(request: Request) -> dict[str, Any]:
    state = _state(request)
    return {
        "default": {"spec": state.spec_source, "reward": getattr(state.reward, "name", "")},
        "registered": [{"name": e.name, "group": e.group, "doc": e.doc} for e in REGISTRY.entries()],
    }
