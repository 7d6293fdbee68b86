"""The answers routes send: the one error body, the errors routes raise, results written as JSON.

Every refusal of the API has one body, ``{"error": {"type", "message", "field"?}}``: routes raise
:class:`ApiError` (or a :class:`~rewardlab.ServiceError`, answered 503 with ``Retry-After``) and the
app's handlers turn them into it. Results are written one by one, strictly (no NaN/Infinity tokens), so
a result that cannot be written costs only itself.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import JSONResponse, Response

from rewardlab.core.types import ErrorInfo, RewardResult
from rewardlab.errors import Overloaded, ServiceError


class ApiError(Exception):
    """An HTTP error answer: ``status``, a ``type`` name, the message and the offending field."""

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.kind = kind
        self.message = message
        self.field = field
        self.headers = headers
        super().__init__(message)

    def response(self) -> JSONResponse:
        return error_response(self.status, self.kind, self.message, self.field, self.headers)


def error_response(
    status: int, kind: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error body of the API: ``{"error": {"type", "message", "field"?}}``."""
    body: dict[str, Any] = {"error": {"type": kind, "message": message}}
    if field:
        body["error"]["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def encode_results(results: list[RewardResult], with_info: bool) -> tuple[list[str], list[RewardResult]]:
    """Each result as JSON text, strictly (no NaN/Infinity tokens), and the results as sent.

    A result that cannot be written (an ``info`` value whose ``str`` raises, NaN deeper than the
    nesting :meth:`~rewardlab.RewardResult.to_dict` cleans, nesting too deep to encode) is sent as that
    sample's ``ResultError``: it never costs the other results of the response."""
    texts, sent = [], []
    for r in results:
        try:
            text = json.dumps(r.to_dict(with_info=with_info), allow_nan=False, default=str)
        except Exception as exc:  # ValueError (NaN), RecursionError, whatever a __str__ raises
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            r = RewardResult(
                None, error=ErrorInfo("ResultError", f"result could not be written as JSON ({reason})")
            )
            text = json.dumps(r.to_dict(with_info=with_info))
        texts.append(text)
        sent.append(r)
    return texts, sent


def service_error_response(exc: ServiceError) -> JSONResponse:
    """503 with Retry-After for a server that takes no new work (queue full, draining)."""
    retry = max(1, math.ceil(exc.retry_after)) if isinstance(exc, Overloaded) else 1
    return error_response(503, type(exc).__name__, str(exc), headers={"Retry-After": str(retry)})


def json_response(body: dict[str, Any]) -> Response:
    """Serialise once with the standard library; the response models document the shape (OpenAPI) but
    re-validating every result through them cost more than scoring a math answer."""
    return Response(json.dumps(body, default=str), media_type="application/json")
