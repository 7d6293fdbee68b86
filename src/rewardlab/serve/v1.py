"""rewardlab's own API: ``POST /v1/score``, ``GET /v1/rewards``, ``GET /health``, ``GET /metrics``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from rewardlab.core.registry import REGISTRY
from rewardlab.core.types import RewardResult, Sample
from rewardlab.serve.models import ScoreRequest, ScoreResponse
from rewardlab.serve.state import ServerState, json_response

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
    name, results = await _state(request).score(body.reward, samples, body.timeout)
    return json_response(
        {
            "results": [r.to_dict(with_info=body.with_info) for r in results],
            "reward": name,
            "errors": sum(r.error is not None for r in results),
            "seconds": time.perf_counter() - start,
        }
    )


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    state = _state(request)
    draining = any(b.closing for b in state.batchers.values())
    return {"status": "draining" if draining else "ok", "pending": state.pending, "spec": state.spec_source}


@router.get("/metrics")
async def metrics(request: Request) -> Any:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    state = _state(request)
    state.queue.set(state.pending)
    return PlainTextResponse(generate_latest(state.registry).decode(), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/rewards")
async def rewards(request: Request) -> dict[str, Any]:
    state = _state(request)
    return {
        "default": {"spec": state.spec_source, "reward": getattr(state.reward, "name", "")},
        "registered": [{"name": e.name, "group": e.group, "doc": e.doc} for e in REGISTRY.entries()],
    }
