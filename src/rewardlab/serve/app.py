"""The reward server: a FastAPI app around micro-batched, isolating runners.

Endpoints, one router per API: rewardlab's own (:mod:`.v1`: ``POST /v1/score``, ``GET /v1/rewards``,
``GET /health``, ``GET /metrics``), OpenRLHF's remote reward API (:mod:`.openrlhf`: ``POST /get_reward``)
and OpenAI-compatible graders (:mod:`.graders`). Routes raise typed errors; the handlers here turn them
into the one error body ``{"error": {"type", "message", "field"?}}``.

What differs from the anchors' reward servers (OpenRLHF's ``serve_rm``, ad-hoc Flask scripts): reward
work never runs on the event loop (worker processes with per-sample deadlines, so one pathological
sample cannot hang the server: OpenRLHF #450/#1123); the queue is bounded and a full queue answers 503
with Retry-After at once; bodies are size-limited; a request may carry its own deadline; shutdown drains
accepted work before the workers stop; every failure is reported per sample, never as a silent 0.0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from rewardlab.errors import ServiceError
from rewardlab.serve import graders, openrlhf, v1
from rewardlab.serve.edge import Edge
from rewardlab.serve.responses import ApiError, error_response, service_error_response
from rewardlab.serve.state import ServerState, ServeSettings

__all__ = ["ServeSettings", "create_app"]

log = logging.getLogger("rewardlab.serve")
_TYPE_TAG = re.compile(r"^(?:str|int|float|bool|none|list\[.*\]|dict\[.*\])$")


def create_app(settings: ServeSettings | None = None, **overrides: Any) -> Edge:
    """Build the ASGI app. The spec is validated here: a bad spec fails before the server listens."""
    settings = replace(settings or ServeSettings(), **overrides)
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.batcher(None)  # the default reward's batcher exists from the start
        yield
        batchers = state.every_batcher()
        drained = all(await asyncio.gather(*(b.drain(settings.drain_timeout) for b in batchers)))
        log.info(json.dumps({"event": "shutdown", "drained": drained, "pending": state.pending}))
        await asyncio.gather(*(b.close() for b in batchers))

    app = FastAPI(
        title="rewardlab",
        version=_version(),
        summary="Reward service: verifiable rewards behind an isolating, micro-batched runner.",
        lifespan=lifespan,
    )
    app.state.rewardlab = state
    for module in (v1, openrlhf, graders):
        app.include_router(module.router)
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]
    return Edge(app, state)


async def _api_error(request: Request, exc: ApiError) -> Any:
    return exc.response()


async def _service_error(request: Request, exc: ServiceError) -> Any:
    return service_error_response(exc)


async def _http_error(request: Request, exc: HTTPException) -> Any:
    """Starlette's and FastAPI's own refusals (a body it could not parse, 404, 405) in the one error body."""
    cause = exc.__cause__
    if exc.status_code == 400 and cause is not None:  # FastAPI: "There was an error parsing the body"
        if isinstance(cause, RecursionError):
            reason = "nested too deeply to parse"
        elif isinstance(cause, UnicodeDecodeError):
            reason = f"not UTF-8 ({cause.reason} at byte {cause.start})"
        else:
            reason = f"{type(cause).__name__}: {str(cause)[:200]}"
        return error_response(400, "MalformedJSON", f"request body is not valid JSON: {reason}", "body")
    try:
        kind = HTTPStatus(exc.status_code).phrase.title().replace(" ", "").replace("-", "")
    except ValueError:
        kind = "HTTPError"
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, kind, str(exc.detail), headers=headers)


async def _invalid(request: Request, exc: RequestValidationError) -> Any:
    """pydantic's validation errors as one 422 naming each field (400 for a body that is not JSON)."""
    by_field: dict[str, list[str]] = {}
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return error_response(
                400, "MalformedJSON", f"request body is not valid JSON: {err.get('msg')}", "body"
            )
        # drop "body" and pydantic's union-branch tags ("str", "list[dict[str,any]]") from the location
        loc = [str(p) for p in err.get("loc", ()) if p != "body" and not _TYPE_TAG.match(str(p))]
        by_field.setdefault(".".join(loc) or "body", []).append(str(err.get("msg")))
    message = "; ".join(f"{where}: {' or '.join(dict.fromkeys(msgs))}" for where, msgs in by_field.items())
    return error_response(422, "ValidationError", message, next(iter(by_field), "body"))


def _version() -> str:
    from rewardlab import __version__

    return __version__
