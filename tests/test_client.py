"""The client's retry policy through real httpx transports: what a caller sees when retries run out."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import rewardlab as rl


def _refusing(calls: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.MockTransport(handler)


def test_exhausted_retries_raise_one_server_unavailable_with_the_cause() -> None:
    calls: list[str] = []
    with (
        rl.Client(retries=2, backoff=0.001, transport=_refusing(calls)) as client,
        pytest.raises(rl.ServerUnavailable) as info,
    ):
        client.score([{"completion": "1", "reference": "1"}])
    assert calls == ["/v1/score"] * 3
    assert info.value.attempts == 3 and info.value.status is None
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "ConnectError" in str(info.value) and "after 3 attempts" in str(info.value)


def test_persistent_503_is_server_unavailable_with_the_last_answer() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        body = {"error": {"type": "Overloaded", "message": "queue full"}}
        return httpx.Response(503, json=body, headers={"Retry-After": "0"})

    transport = httpx.MockTransport(handler)
    with (
        rl.Client(retries=1, backoff=0.001, transport=transport) as client,
        pytest.raises(rl.ServerUnavailable) as info,
    ):
        client.score([{"completion": "1"}])
    assert len(calls) == 2 and info.value.status == 503 and info.value.attempts == 2
    assert str(info.value) == "HTTP 503: Overloaded: queue full"


def test_a_4xx_is_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(422, json={"error": {"type": "ValidationError", "message": "no", "field": "x"}})

    transport = httpx.MockTransport(handler)
    with rl.Client(retries=5, transport=transport) as client, pytest.raises(rl.ServerError) as info:
        client.score([{"completion": "1"}])
    assert len(calls) == 1 and not isinstance(info.value, rl.ServerUnavailable)


def test_async_client_wraps_exhausted_retries_the_same_way() -> None:
    calls: list[str] = []

    async def main() -> None:
        async with rl.AsyncClient(retries=1, backoff=0.001, transport=_refusing(calls)) as client:
            await client.score([{"completion": "1"}])

    with pytest.raises(rl.ServerUnavailable) as info:
        asyncio.run(main())
    assert info.value.attempts == 2 and len(calls) == 2
