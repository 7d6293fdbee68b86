"""The server's outer edge: a pure ASGI middleware in front of the FastAPI app.

It enforces the body size limit before a byte is parsed (413), refuses numbers Python's JSON parser
accepts and JSON cannot hold (``NaN``, ``Infinity``, ``1e999``: 400), gives every request an id
(``x-request-id``, taken from the request when present), records latency and status metrics per route
and writes one JSON log line per request.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from rewardlab.serve.responses import error_response
from rewardlab.serve.state import ServerState

log = logging.getLogger("rewardlab.serve")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ROUTES = ("/v1/score", "/get_reward", "/health", "/metrics", "/v1/rewards", "/v1/graders/run",
          "/v1/graders/validate")  # fmt: skip
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


class Edge:
    """Pure ASGI middleware: body size limit, request id, latency metrics and one JSON log line per request."""

    def __init__(self, app: Any, state: ServerState) -> None:
        self.app = app
        self.fastapi = app  # the FastAPI object (OpenAPI schema, lifespan, routes)
        self.state = state

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.state.settings.max_body_bytes
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"")  # echoed back and logged: only a short, plain token
        request_id = given.decode() if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        start = time.perf_counter()
        status = 500
        path = scope.get("path", "")

        async def send_wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        declared = headers.get(b"content-length")
        too_big = declared is not None and declared.isdigit() and int(declared) > limit
        parts: list[bytes] = []  # joined once: `body += chunk` costs O(n^2) on a body sent in tiny pieces
        size = 0
        more = True
        if not too_big and scope.get("method") in ("POST", "PUT", "PATCH"):
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                parts.append(chunk)
                size += len(chunk)
                more = message.get("more_body", False)
                if size > limit:
                    too_big = True
                    break
        body = b"".join(parts)
        try:
            if too_big:
                response = error_response(
                    413, "PayloadTooLarge", f"request body exceeds {limit} bytes", "body"
                )
                await response(scope, receive, send_wrapped)
                return
            token = _nonstandard_number(body)
            if token is not None:
                reason = (
                    f"request body is not valid JSON: {token} is not a finite number (send null or a string)"
                )
                await error_response(400, "MalformedJSON", reason, "body")(scope, receive, send_wrapped)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(
                scope, replay if scope.get("method") in ("POST", "PUT", "PATCH") else receive, send_wrapped
            )
        finally:
            seconds = time.perf_counter() - start
            route = path if path in ROUTES else "other"
            self.state.requests.labels(route, str(status)).inc()
            self.state.latency.labels(route).observe(seconds)
            log.info(
                json.dumps(
                    {"event": "request", "id": request_id, "method": scope.get("method"), "path": path,
                     "status": status, "ms": round(seconds * 1000, 2), "bytes": len(body)}
                )
            )  # fmt: skip


class _Token(ValueError):
    pass


_BIG_EXPONENT = re.compile(rb"[0-9][eE]\+?[0-9]{3,}")


def _nonstandard_number(body: bytes) -> str | None:
    """The first number of ``body`` that is not finite (``NaN``, ``Infinity``, ``-Infinity``, ``1e999``),
    else None. Python's parser (which FastAPI uses) takes them; a reward would then see a float that JSON
    cannot hold. Only a body holding such text is parsed twice; one that is not JSON is left to FastAPI."""
    if b"NaN" not in body and b"Infinity" not in body and not _BIG_EXPONENT.search(body):
        return None

    def refuse(token: str) -> Any:
        raise _Token(token)

    def finite(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise _Token(text)
        return value

    try:
        json.loads(body, parse_constant=refuse, parse_float=finite)
    except _Token as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None
    return None
