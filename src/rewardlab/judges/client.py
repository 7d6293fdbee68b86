"""An OpenAI-compatible chat-completions client for judges: limits, retries, deadlines and a cache.

Works with anything that serves ``/v1/chat/completions`` (vLLM, SGLang, ``transformers serve``, hosted
APIs) through the ``openai`` package (the ``judges`` extra). What it adds, and why:

- **Rate limits counted from the real usage.** A sliding one-minute window of requests and tokens: a call
  waits until both have room, reserving an estimate of its tokens (prompt characters / 4 plus
  ``max_tokens``), and the reservation is replaced by the response's real ``usage`` when it arrives.
  verl's judge rate limiter charges a fixed 2,000 tokens per request whatever the request costs.
- **Retries with back-off and jitter** on 429, 408, 5xx, timeouts and connection errors (``Retry-After``
  is honoured), inside a **per-call deadline** that also respects the sample's time budget under the
  runner (:func:`rewardlab.core.budget.deadline`). When every retry fails the call is a
  :class:`~rewardlab.errors.JudgeUnavailable` error on that sample (an abstention), never a 0.0 (verl
  turns a judge timeout into reward 0.0).
- **A concurrency limit**, and **many calls at once from one process**: :meth:`JudgeClient.complete_many`
  runs a batch concurrently on the client's event loop (a background thread), which is what a judge
  reward's ``score_batch`` uses, so a runner worker does not block on one request at a time.
- **A persistent cache** keyed by the full request (base URL, model, messages and every sampling
  parameter; SQLite, content hash), so a re-run costs nothing and an interrupted evaluation resumes.
  Only successful answers are cached.
- **Accounting**: calls, cache hits, retries, 429s, prompt and completion tokens and an optional cost,
  in :meth:`JudgeClient.stats`.

The client pickles as its settings only (runner workers rebuild their own connections and loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import os
import random
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rewardlab.core.budget import deadline as sample_deadline
from rewardlab.errors import ConfigError, DependencyError, JudgeError, JudgeParseError, JudgeUnavailable

T = TypeVar("T")
Message = dict[str, Any]


def default_cache_path() -> Path:
    """``$REWARDLAB_CACHE_DIR/judge-cache.sqlite`` (default ``~/.cache/rewardlab``)."""
    root = os.environ.get("REWARDLAB_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "rewardlab"
    )
    return Path(root) / "judge-cache.sqlite"


@dataclass(frozen=True)
class JudgeConfig:
    """Where the judge is and how to call it. ``base_url``, ``api_key`` and ``model`` fall back to the
    ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` and ``REWARDLAB_JUDGE_MODEL`` environment variables.

    ``timeout`` bounds one HTTP attempt; ``deadline`` bounds a whole call with its retries (and the
    sample's budget under a runner bounds it further). ``cache``: True (the default path), False, or a
    path. ``price_in``/``price_out``: cost per million prompt/completion tokens, for the accounting.
    """

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    concurrency: int = 8
    rpm: float | None = None
    tpm: float | None = None
    timeout: float = 60.0
    deadline: float = 180.0
    max_retries: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    temperature: float = 0.0
    seed: int | None = 0
    max_tokens: int = 512
    logprobs: bool = False
    top_logprobs: int | None = None
    cache: bool | str = True
    price_in: float | None = None
    price_out: float | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []

        def positive(name: str, value: Any, allow_none: bool = False) -> None:
            if value is None and allow_none:
                return
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (value > 0 and math.isfinite(value))
            ):
                problems.append(f"`{name}` of the judge must be a positive number, got {value!r}")

        positive("timeout", self.timeout)
        positive("deadline", self.deadline)
        positive("rpm", self.rpm, allow_none=True)
        positive("tpm", self.tpm, allow_none=True)
        if (
            isinstance(self.concurrency, bool)
            or not isinstance(self.concurrency, int)
            or self.concurrency < 1
        ):
            problems.append(f"`concurrency` of the judge must be an integer >= 1, got {self.concurrency!r}")
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            problems.append(f"`max_retries` of the judge must be an integer >= 0, got {self.max_retries!r}")
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            problems.append(f"`max_tokens` of the judge must be an integer >= 1, got {self.max_tokens!r}")
        if not isinstance(self.temperature, int | float) or not 0 <= self.temperature <= 2:
            problems.append(f"`temperature` of the judge must be in [0, 2], got {self.temperature!r}")
        if not isinstance(self.cache, bool | str):
            problems.append(f"`cache` of the judge must be true, false or a path, got {self.cache!r}")
        if problems:
            raise ConfigError(problems, where="judge")

    @property
    def resolved_base_url(self) -> str:
        url = self.base_url or os.environ.get("OPENAI_BASE_URL")
        if not url:
            raise ConfigError(
                "the judge needs `base_url` (or the OPENAI_BASE_URL environment variable), e.g. "
                "http://localhost:8000/v1",
                where="judge",
            )
        return url

    @property
    def resolved_model(self) -> str:
        model = self.model or os.environ.get("REWARDLAB_JUDGE_MODEL")
        if not model:
            raise ConfigError("the judge needs `model` (or REWARDLAB_JUDGE_MODEL)", where="judge")
        return model

    @property
    def resolved_api_key(self) -> str:
        return self.api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"  # local servers need none


@dataclass
class JudgeReply:
    """One judge answer: its text, token usage, logprobs (when asked for and offered), and provenance."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    logprobs: list[tuple[str, float]] | None = None
    cached: bool = False
    attempts: int = 1

    def to_info(self) -> dict[str, Any]:
        return {
            "tokens": self.prompt_tokens + self.completion_tokens,
            "cached": self.cached,
            "attempts": self.attempts,
        }


class _Window:
    """Sliding one-minute window of requests and tokens (an asyncio limiter on the client's loop)."""

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.rpm, self.tpm = rpm, tpm
        self.events: deque[list[float]] = deque()  # [time, tokens]

    def _prune(self, now: float) -> None:
        while self.events and now - self.events[0][0] >= 60.0:
            self.events.popleft()

    async def acquire(self, estimate: float, until: float) -> list[float]:
        while True:
            now = time.monotonic()
            self._prune(now)
            used = sum(e[1] for e in self.events)
            full = (self.rpm is not None and len(self.events) >= self.rpm) or (
                self.tpm is not None and self.events and used + estimate > self.tpm
            )
            if not full:
                entry = [now, float(estimate)]
                self.events.append(entry)
                return entry
            wait = 60.0 - (now - self.events[0][0]) + 0.01
            if now + wait > until:
                raise JudgeUnavailable(
                    "rate_limited", "the judge's rate limit leaves no room before the deadline"
                )
            await asyncio.sleep(min(wait, 1.0))


class _Cache:
    """SQLite cache of judge answers keyed by the request's content hash; safe across worker processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._pid = -1

    def _db(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT, created REAL)"
            )
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def get(self, key: str) -> JudgeReply | None:
        row = self._db().execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        if data.get("logprobs") is not None:
            data["logprobs"] = [tuple(x) for x in data["logprobs"]]
        return JudgeReply(**{**data, "cached": True, "attempts": 0})

    def put(self, key: str, reply: JudgeReply) -> None:
        data = {k: v for k, v in asdict(reply).items() if k not in ("cached", "attempts")}
        self._db().execute(
            "INSERT OR REPLACE INTO replies (key, reply, created) VALUES (?, ?, ?)",
            (key, json.dumps(data), time.time()),
        )

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None


class _Loop:
    """A background event loop thread for one client (the client's async state lives on it)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="rewardlab-judge", daemon=True)
        self.thread.start()
        self.openai: Any = None  # the AsyncOpenAI client, bound to this loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        """Close the HTTP connections and stop the thread (also run when the client is collected)."""
        if not self.thread.is_alive():
            return
        if self.openai is not None:
            with contextlib.suppress(Exception):  # best effort: the loop goes away next
                self.run(self.openai.close())
            self.openai = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class JudgeClient:
    """Calls an OpenAI-compatible judge; see the module docstring. Thread-safe; one per reward is fine."""

    def __init__(self, config: JudgeConfig | None = None, **options: Any) -> None:
        self.config = config if config is not None else JudgeConfig(**options)
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._loop: _Loop | None = None
        self._sem: asyncio.Semaphore | None = None
        self._window: _Window | None = None
        cache = self.config.cache
        self._cache = (
            None if cache is False else _Cache(default_cache_path() if cache is True else Path(cache))
        )
        self._stats = {
            "calls": 0,
            "cache_hits": 0,
            "retries": 0,
            "rate_limited": 0,
            "errors": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
        }

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.config = state["config"]
        self._reset()

    # -- accounting ---------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counters since this client was made (this process): calls, cache hits, retries, tokens, cost."""
        out: dict[str, Any] = dict(self._stats)
        c = self.config
        if c.price_in is not None or c.price_out is not None:
            out["cost"] = (
                out["prompt_tokens"] * (c.price_in or 0) + out["completion_tokens"] * (c.price_out or 0)
            ) / 1e6
        return out

    # -- requests ----------------------------------------------------------------------------------------
    def request_key(self, messages: Sequence[Message], max_tokens: int | None = None) -> str:
        """The cache key: a hash of everything that decides the answer (never the API key)."""
        c = self.config
        body = {
            "base_url": c.resolved_base_url.rstrip("/"),
            "model": c.resolved_model,
            "messages": list(messages),
            "temperature": c.temperature,
            "seed": c.seed,
            "max_tokens": max_tokens or c.max_tokens,
            "logprobs": c.logprobs,
            "top_logprobs": c.top_logprobs,
            "extra_body": c.extra_body,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def complete(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> JudgeReply:
        """One call; raises :class:`JudgeError` (unavailable, malformed) instead of returning a reply."""
        out = self.complete_many([messages], max_tokens=max_tokens)[0]
        if isinstance(out, BaseException):
            raise out
        return out

    def complete_many(
        self, batch: Sequence[Sequence[Message]], *, max_tokens: int | None = None
    ) -> list[JudgeReply | JudgeError]:
        """Many calls at once (up to ``concurrency`` in flight); each item is a reply or that call's error."""
        until = time.monotonic() + self.config.deadline
        budget = sample_deadline()  # the runner's per-sample budget, when there is one
        if budget is not None:
            until = min(until, budget)
        loop = self._ensure_loop()
        return loop.run(self._gather(batch, max_tokens, until))

    def _ensure_loop(self) -> _Loop:
        with self._lock:
            if self._loop is None:
                self._loop = _Loop()
                weakref.finalize(self, self._loop.close)  # connections and thread go with the client
            return self._loop

    async def _gather(
        self, batch: Sequence[Sequence[Message]], max_tokens: int | None, until: float
    ) -> list[JudgeReply | JudgeError]:
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.config.concurrency)
            self._window = _Window(self.config.rpm, self.config.tpm)
        results = await asyncio.gather(
            *(self._one(list(m), max_tokens, until) for m in batch), return_exceptions=True
        )
        out: list[JudgeReply | JudgeError] = []
        for r in results:
            if isinstance(r, JudgeReply | JudgeError):
                out.append(r)
            elif isinstance(r, BaseException):  # a bug or an unexpected client error: still that sample's
                self._stats["errors"] += 1
                out.append(JudgeUnavailable("http", f"{type(r).__name__}: {r}"))
            else:
                out.append(JudgeParseError(f"unexpected judge result {type(r).__name__}"))
        return out

    def _client(self) -> Any:
        assert self._loop is not None
        if self._loop.openai is None:
            try:
                import openai
            except ImportError as exc:
                raise DependencyError(
                    "LLM judges need the `openai` package: pip install 'rewardlab[judges]'"
                ) from exc
            c = self.config
            self._loop.openai = openai.AsyncOpenAI(
                base_url=c.resolved_base_url, api_key=c.resolved_api_key, max_retries=0, timeout=c.timeout
            )
        return self._loop.openai

    async def _one(self, messages: list[Message], max_tokens: int | None, until: float) -> JudgeReply:
        key = self.request_key(messages, max_tokens) if self._cache is not None else ""
        if self._cache is not None:
            hit = await asyncio.to_thread(self._cache.get, key)
            if hit is not None:
                self._stats["cache_hits"] += 1
                return hit
        assert self._sem is not None and self._window is not None
        client = self._client()
        c = self.config
        tokens = max_tokens or c.max_tokens
        estimate = sum(len(str(m.get("content", ""))) for m in messages) / 4 + tokens
        attempt = 0
        while True:
            attempt += 1
            left = until - time.monotonic()
            if left <= 0:
                self._stats["errors"] += 1
                raise JudgeUnavailable(
                    "timeout", "the judge call ran out of its deadline", attempts=attempt - 1
                )
            async with self._sem:
                entry = await self._window.acquire(estimate, until)
                self._stats["calls"] += 1
                try:
                    kwargs: dict[str, Any] = {
                        "model": c.resolved_model,
                        "messages": messages,
                        "temperature": c.temperature,
                        "max_tokens": tokens,
                        "timeout": min(c.timeout, max(0.01, until - time.monotonic())),
                    }
                    if c.seed is not None:
                        kwargs["seed"] = c.seed
                    if c.logprobs:
                        kwargs["logprobs"] = True
                        if c.top_logprobs:
                            kwargs["top_logprobs"] = c.top_logprobs
                    if c.extra_body:
                        kwargs["extra_body"] = c.extra_body
                    resp = await client.chat.completions.create(**kwargs)
                except Exception as exc:
                    entry[1] = 0.0  # nothing was spent we know of
                    kind, retry_after = _classify(exc)
                    if kind is None or attempt > c.max_retries:
                        self._stats["errors"] += 1
                        raise JudgeUnavailable(
                            kind or "http",
                            f"judge call failed: {type(exc).__name__}: {exc}"[:500],
                            attempts=attempt,
                        ) from None
                    self._stats["retries"] += 1
                    if kind == "rate_limited":
                        self._stats["rate_limited"] += 1
                    pause = min(c.max_backoff, c.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
                    if retry_after is not None:
                        pause = max(pause, retry_after)
                    if time.monotonic() + pause > until:
                        self._stats["errors"] += 1
                        raise JudgeUnavailable(
                            kind,
                            f"judge call failed and no retry fits the deadline: {type(exc).__name__}",
                            attempts=attempt,
                        ) from None
                    await asyncio.sleep(pause)
                    continue
            reply = _reply(resp, attempt)
            entry[1] = float(reply.prompt_tokens + reply.completion_tokens) or estimate
            self._stats["prompt_tokens"] += reply.prompt_tokens
            self._stats["completion_tokens"] += reply.completion_tokens
            if self._cache is not None:
                await asyncio.to_thread(self._cache.put, key, reply)
            return reply

    def close(self) -> None:
        """Stop the background loop and close the connections and the cache (a new call restarts them)."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.close()
        self._sem, self._window = None, None
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> JudgeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _classify(exc: BaseException) -> tuple[str | None, float | None]:
    """(retry kind or None when the error is final, Retry-After seconds)."""
    try:
        import openai
    except ImportError:  # pragma: no cover - the client could not have been built
        return None, None
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", None
    if isinstance(exc, openai.APIConnectionError):
        return "connection", None
    if isinstance(exc, openai.APIStatusError):
        retry_after = None
        try:
            header = exc.response.headers.get("retry-after")
            retry_after = float(header) if header is not None else None
        except (TypeError, ValueError, AttributeError):
            retry_after = None
        if exc.status_code == 429:
            return "rate_limited", retry_after
        if exc.status_code in _RETRY_STATUS:
            return "http", retry_after
    return None, None


def _reply(resp: Any, attempts: int) -> JudgeReply:
    """A :class:`JudgeReply` from an OpenAI response; a malformed response is a parse error."""
    choices = getattr(resp, "choices", None)
    if not choices:
        raise JudgeParseError("the judge's response has no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None)
    if not isinstance(text, str):
        raise JudgeParseError("the judge's response has no text content")
    usage = getattr(resp, "usage", None)
    logprobs = None
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if content:
        logprobs = [(str(t.token), float(t.logprob)) for t in content]
    return JudgeReply(
        text=text,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        finish_reason=getattr(choice, "finish_reason", None),
        logprobs=logprobs,
        attempts=attempts,
    )
