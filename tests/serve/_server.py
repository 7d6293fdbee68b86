"""The real ASGI app in-process, with its lifespan (batchers started, drained and closed)."""

from __future__ import annotations

from typing import Any

import httpx

from rewardlab.serve import create_app


class Server:
    """``async with Server(**settings) as client``: an ``httpx.AsyncClient`` on the app (ASGI transport)."""

    def __init__(self, **settings: Any) -> None:
        self.app = create_app(**settings)

    async def __aenter__(self) -> httpx.AsyncClient:
        self._life = self.app.fastapi.router.lifespan_context(self.app.fastapi)
        await self._life.__aenter__()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test")
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await self._life.__aexit__(None, None, None)
