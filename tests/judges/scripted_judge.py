"""An OpenAI-compatible chat-completions server whose answers are scripted (a test double at the wire).

A real FastAPI app served by uvicorn on a real socket, called by rewardlab through the real ``openai``
client. ``script(request_json, call_number)`` returns the assistant text, or a :class:`Reply` with a
status code, headers, a delay or a raw body (for 429 storms, 5xx, timeouts and malformed responses).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Reply:
    text: str | None = "ok"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: Any = None  # a raw JSON body instead of a completion


Script = Callable[[dict[str, Any], int], "str | Reply"]


@dataclass
class Judge:
    url: str
    requests: list[dict[str, Any]]
    max_in_flight: int = 0

    @property
    def calls(self) -> int:
        return len(self.requests)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def scripted_judge(script: Script) -> Iterator[Judge]:
    app = FastAPI()
    port = _free_port()
    judge = Judge(url=f"http://127.0.0.1:{port}/v1", requests=[])
    in_flight = 0
    lock = threading.Lock()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> JSONResponse:
        nonlocal in_flight
        body = await request.json()
        with lock:
            judge.requests.append(body)
            n = len(judge.requests)
            in_flight += 1
            judge.max_in_flight = max(judge.max_in_flight, in_flight)
        try:
            out = script(body, n)
            reply = out if isinstance(out, Reply) else Reply(text=out)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.body is not None or reply.status != 200:
                payload = (
                    reply.body if reply.body is not None else {"error": {"message": "scripted", "type": "x"}}
                )
                return JSONResponse(payload, status_code=reply.status, headers=reply.headers)
            prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
            completion = len(reply.text or "") // 4 + 1
            return JSONResponse(
                {
                    "id": f"chatcmpl-{n}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "scripted"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt,
                        "completion_tokens": completion,
                        "total_tokens": prompt + completion,
                    },
                }
            )
        finally:
            with lock:
                in_flight -= 1

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("scripted judge did not start")
        time.sleep(0.01)
    try:
        yield judge
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def user_text(request: dict[str, Any]) -> str:
    """The user message of a chat request."""
    return next(m["content"] for m in request["messages"] if m["role"] == "user")
