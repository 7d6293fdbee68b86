"""The HTTP reward service (FastAPI + uvicorn). Needs ``pip install 'rewardlab[serve]'``."""

from __future__ import annotations

from typing import Any

__all__ = ["ServeSettings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("ServeSettings", "create_app"):
        try:
            from rewardlab.serve import app
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from rewardlab.errors import DependencyError

            raise DependencyError(
                f"the server needs FastAPI: pip install 'rewardlab[serve]' ({exc})"
            ) from exc
        return getattr(app, name)
    raise AttributeError(name)


def serve(host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info", **settings: Any) -> None:
    """Run the server with uvicorn until SIGINT/SIGTERM; in-flight requests are drained first."""
    import json
    import logging

    import uvicorn

    from rewardlab.serve.app import ServeSettings, create_app

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("rewardlab.serve")
    logger.handlers[:] = [handler]
    logger.setLevel(log_level.upper())
    logger.propagate = False
    app = create_app(ServeSettings(**settings))
    eos = app.state.eos
    logger.info(
        json.dumps(
            {
                "event": "start",
                "host": host,
                "port": port,
                "spec": str(app.state.spec_source),
                **eos.describe(),
            }
        )
    )
    if eos.tokens is None:
        logger.warning(
            json.dumps(
                {
                    "event": "eos_unconfigured",
                    "message": "POST /get_reward (OpenRLHF) cuts no EOS token from responses: pass --eos "
                    "(the policy's EOS strings), --tokenizer (the policy's tokenizer) or --eos none",
                }
            )
        )
    uvicorn.run(
        app, host=host, port=port, log_level=log_level, access_log=False, timeout_graceful_shutdown=30
    )
