"""OpenAI-compatible grader endpoints: ``POST /v1/graders/validate`` and ``POST /v1/graders/run``.

Both are jobs on the server's grader queue (:mod:`.grader_queue`): they run in grader worker
processes, never on the event loop or in its thread pool, each under the ``grader_timeout`` deadline
(504 past it), and a full queue answers 503 with ``Retry-After``, as ``/v1/score`` does.

The OpenAI SDK (``client.fine_tuning.alpha.graders.run / .validate``, base URL ``http://host:port/v1``)
posts to ``/v1/fine_tuning/alpha/graders/*``: the same handlers answer there too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rewardlab.serve.models import GraderRunRequest, GraderValidateRequest
from rewardlab.serve.responses import json_response
from rewardlab.serve.state import ServerState

router = APIRouter()
REFUSALS: dict[int | str, dict[str, Any]] = {422: {}, 503: {}, 504: {}}


@router.post("/v1/fine_tuning/alpha/graders/validate", responses=REFUSALS, include_in_schema=False)
@router.post("/v1/graders/validate", responses=REFUSALS)
async def graders_validate(body: GraderValidateRequest, request: Request) -> Any:
    """OpenAI-compatible grader validation: the grader back, or 422 listing every problem."""
    state: ServerState = request.app.state.rewardlab
    return json_response(await state.graders.run({"grader": body.grader, "mode": "validate"}, "", None))


@router.post("/v1/fine_tuning/alpha/graders/run", responses=REFUSALS, include_in_schema=False)
@router.post("/v1/graders/run", responses=REFUSALS)
async def graders_run(body: GraderRunRequest, request: Request) -> Any:
    """OpenAI-compatible grader run: reward, metadata with OpenAI's error categories, sub_rewards."""
    state: ServerState = request.app.state.rewardlab
    return json_response(
        await state.graders.run({"grader": body.grader, "mode": "run"}, body.model_sample, body.item)
    )
