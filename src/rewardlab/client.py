"""``rewardlab.Client`` / ``rewardlab.AsyncClient``: call a rewardlab server.

Batches large inputs, retries with exponential back-off on connection errors and on 502/503/504
(honouring ``Retry-After``), so a server restart costs latency, not results: scoring is idempotent, so a
retried batch can never be double-counted. Transports are injectable (``transport=httpx.ASGITransport(app)``)
so the server can be exercised in-process.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable, Mapping
from typing import Any

from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ServerError, ServerUnavailable

__all__ = ["AsyncClient", "Client", "ServerError", "ServerUnavailable"]

RETRY_STATUS = {502, 503, 504}


def _payload(
    samples: list[Any], reward: str | None, with_info: bool, timeout: float | None
) -> dict[str, Any]:
    rows = [s.to_dict() if isinstance(s, Sample) else dict(s) for s in samples]
    body: dict[str, Any] = {"samples": rows, "with_info": with_info}
    if reward is not None:
        body["reward"] = reward
    if timeout is not None:
        body["timeout"] = timeout
    return body


def _results(body: dict[str, Any]) -> list[RewardResult]:
    return [RewardResult.from_dict(r) for r in body["results"]]


def _delay(attempt: int, backoff: float, retry_after: str | None) -> float:
    if retry_after and retry_after.replace(".", "", 1).isdigit():
        return min(float(retry_after), 30.0)
    return min(backoff * 2**attempt, 10.0) * (0.5 + random.random() / 2)


def _outcome(
    resp: Any, exc: Exception | None, attempt: int, retries: int, backoff: float
) -> tuple[float, Any]:
    """The retry policy, shared by both clients: ``(seconds to wait before retrying, None)`` or
    ``(0, response body)`` when done. Raises :class:`ServerError` when the server refused the request
    and :class:`ServerUnavailable` (the last transport error as its cause) when every attempt failed."""
    if exc is not None:
        if attempt >= retries:
            body = {"error": {"type": type(exc).__name__, "message": f"{exc} (after {attempt + 1} attempts)"}}
            raise ServerUnavailable(None, body, attempts=attempt + 1) from exc
        return _delay(attempt, backoff, None), None
    if resp.status_code in RETRY_STATUS:
        if attempt < retries:
            return _delay(attempt, backoff, resp.headers.get("retry-after")), None
        raise ServerUnavailable(resp.status_code, _json(resp), attempts=attempt + 1)
    if resp.status_code >= 400:
        raise ServerError(resp.status_code, _json(resp))
    return 0.0, resp.json()


class Client:
    """Synchronous client. ``Client("http://host:8000").score(samples)`` -> ``list[RewardResult]``."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = 120.0,
        retries: int = 6,
        backoff: float = 0.25,
        batch_size: int = 256,
        transport: Any = None,
    ) -> None:
        import httpx

        if batch_size < 1 or retries < 0:
            raise ValueError(f"batch_size must be >= 1 and retries >= 0, got {batch_size}, {retries}")
        self.retries = retries
        self.backoff = backoff
        self.batch_size = batch_size
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        for attempt in range(self.retries + 1):
            resp, exc = None, None
            try:
                resp = self._http.post(path, json=body)
            except (httpx.TransportError, httpx.TimeoutException) as e:
                exc = e
            wait, out = _outcome(resp, exc, attempt, self.retries, self.backoff)
            if out is not None:
                return out
            time.sleep(wait)
        raise AssertionError("unreachable")

    def score(
        self,
        samples: Iterable[Sample | Mapping[str, Any]],
        *,
        reward: str | None = None,
        with_info: bool = True,
        timeout: float | None = None,
    ) -> list[RewardResult]:
        items = list(samples)
        out: list[RewardResult] = []
        for i in range(0, len(items), self.batch_size):
            chunk = items[i : i + self.batch_size]
            out.extend(_results(self._post("/v1/score", _payload(chunk, reward, with_info, timeout))))
        return out

    def health(self) -> dict[str, Any]:
        return self._http.get("/health").json()

    def rewards(self) -> dict[str, Any]:
        return self._http.get("/v1/rewards").json()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient:
    """asyncio client; batches of one call are sent concurrently (up to ``concurrency`` at a time)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = 120.0,
        retries: int = 6,
        backoff: float = 0.25,
        batch_size: int = 256,
        concurrency: int = 8,
        transport: Any = None,
    ) -> None:
        import httpx

        if batch_size < 1 or retries < 0 or concurrency < 1:
            raise ValueError("batch_size and concurrency must be >= 1, retries >= 0")
        self.retries = retries
        self.backoff = backoff
        self.batch_size = batch_size
        self._sem = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        for attempt in range(self.retries + 1):
            resp, exc = None, None
            try:
                async with self._sem:
                    resp = await self._http.post(path, json=body)
            except (httpx.TransportError, httpx.TimeoutException) as e:
                exc = e
            wait, out = _outcome(resp, exc, attempt, self.retries, self.backoff)
            if out is not None:
                return out
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def score(
        self,
        samples: Iterable[Sample | Mapping[str, Any]],
        *,
        reward: str | None = None,
        with_info: bool = True,
        timeout: float | None = None,
    ) -> list[RewardResult]:
        items = list(samples)
        chunks = [items[i : i + self.batch_size] for i in range(0, len(items), self.batch_size)]
        bodies = await asyncio.gather(
            *(self._post("/v1/score", _payload(c, reward, with_info, timeout)) for c in chunks)
        )
        return [r for body in bodies for r in _results(body)]

    async def health(self) -> dict[str, Any]:
        return (await self._http.get("/health")).json()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _json(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return {"error": {"type": "HTTPError", "message": resp.text[:500]}}
