"""OpenAI-compatible grader endpoints: ``POST /v1/graders/validate`` and ``POST /v1/graders/run``.

The OpenAI SDK (``client.fine_tuning.alpha.graders.run / .validate``, base URL ``http://host:port/v1``)
posts to ``/v1/fine_tuning/alpha/graders/*``: the same handlers answer there too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from rewardlab.serve.models import GraderRunRequest, GraderValidateRequest
from rewardlab.serve.state import ApiError, json_response

router = APIRouter()


def _check(grader: dict[str, Any]) -> None:
    from rewardlab.rewards.graders import validate_grader

    problems = validate_grader(grader)
    if problems:
        raise ApiError(422, "InvalidGrader", "; ".join(problems), problems[0].split(":")[0])


@router.post("/v1/fine_tuning/alpha/graders/validate", responses={422: {}}, include_in_schema=False)
@router.post("/v1/graders/validate", responses={422: {}})
async def graders_validate(body: GraderValidateRequest) -> Any:
    """OpenAI-compatible grader validation: the grader back, or 422 listing every problem."""
    _check(body.grader)
    return {"grader": body.grader}


@router.post("/v1/fine_tuning/alpha/graders/run", responses={422: {}}, include_in_schema=False)
@router.post("/v1/graders/run", responses={422: {}})
async def graders_run(body: GraderRunRequest) -> Any:
    """OpenAI-compatible grader run: reward, metadata with OpenAI's error categories, sub_rewards."""
    from rewardlab.rewards.graders import run_grader

    _check(body.grader)
    # graders may run Python in the sandbox: keep that off the event loop
    return json_response(await asyncio.to_thread(run_grader, body.grader, body.model_sample, body.item))
