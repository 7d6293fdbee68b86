"""Training data for reward models: preference pairs and ranked lists, with every bad row reported.

A file is ``.jsonl``, ``.jsonl.gz`` or ``.parquet`` (read by :func:`rewardlab.io.read_rows`). A row is

- a pair ``{chosen, rejected}``: whole transcripts (HH-RLHF: ``"\\n\\nHuman: ... \\n\\nAssistant: ..."``) or,
  with a ``prompt`` column, the two responses to it; optional ``margin`` (a number: the loss asks for
  ``r+ - r- > margin``);
- a ranked list (listwise training) ``{prompt?, responses: [...], label: k}`` (``k`` indexes the best
  response) or ``{chosen, rejected: [r1, r2, ...]}``.

Texts are strings or chat-message lists. A row that cannot be used (not an object, a missing column, an
empty response, ``chosen == rejected``, a margin that is not a finite number) is a :class:`BadRecord`
with its 0-based index and the reason; ``on_bad="error"`` makes any of them fatal (one error listing
them all), ``"skip"`` (the default) leaves them out and counts them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from rewardlab.errors import ConfigError
from rewardlab.eval.datasets import BadRecord, sha256_of
from rewardlab.io import BadRow, read_rows

Text = str | list[dict[str, Any]]
OnBad = Literal["skip", "error"]
T = TypeVar("T")
ASSISTANT = "\n\nAssistant:"


@dataclass(frozen=True)
class Ranked:
    """One training example: ``responses[0]`` is preferred to every other response (a pair when there
    are two). ``prompt`` is ``""`` when the responses are whole transcripts; ``index`` is the file row."""

    index: int
    prompt: Text
    responses: tuple[Text, ...]
    margin: float = 0.0


@dataclass
class RankedData:
    """Rows read from a file: the usable ones, the bad ones (index and reason), the file's identity."""

    rows: list[Ranked]
    bad: list[BadRecord] = field(default_factory=list)
    path: str = ""
    sha256: str = ""

    def report(self) -> dict[str, Any]:
        return data_report(self.path, self.sha256, len(self.rows), self.bad)


def data_report(path: str, sha256: str, rows: int, bad: list[BadRecord], **extra: Any) -> dict[str, Any]:
    """What ``training.json`` says about a data file (every kind): its identity, the usable rows, the bad
    rows counted by reason (the text before the first ``:``) and the first 50 with index and reason."""
    reasons: dict[str, int] = {}
    for b in bad:
        key = b.reason.split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    return {
        "path": path, "sha256": sha256, "rows": rows, **extra, "bad_rows": len(bad),
        "bad_by_reason": reasons, "bad_examples": [b.as_dict() for b in bad[:50]],
    }  # fmt: skip


class _Bad(ValueError):
    pass


def _text(value: Any, what: str) -> Text:
    if value is None:
        raise _Bad(f"missing column {what!r}")
    if isinstance(value, str):
        if not value.strip():
            raise _Bad(f"empty response: {what!r} is blank")
        return value
    if isinstance(value, list) and value and all(isinstance(m, Mapping) for m in value):
        if not any(str(m.get("content") or "").strip() for m in value):
            raise _Bad(f"empty response: {what!r} has no message content")
        return [dict(m) for m in value]
    raise _Bad(f"bad type: {what!r} must be text or a list of chat messages, got {type(value).__name__}")


def _last_reply(text: Text) -> str:
    """The part of a response that a preference is about: an HH transcript's last Assistant reply, the
    last message of a chat list, or the text itself."""
    if isinstance(text, list):
        return str(text[-1].get("content") or "")
    cut = text.rfind(ASSISTANT)
    return text[cut + len(ASSISTANT) :] if cut >= 0 else text


def parse_row(index: int, row: Mapping[str, Any]) -> Ranked:
    """One file row as a :class:`Ranked` example; raises ``ValueError`` with the reason when it is bad."""
    prompt: Text = ""
    if row.get("prompt") is not None:
        p = row["prompt"]
        if not isinstance(p, str | list):
            raise _Bad(f"bad type: 'prompt' must be text or chat messages, got {type(p).__name__}")
        prompt = p
    if "responses" in row:
        raw = row["responses"]
        if not isinstance(raw, list) or len(raw) < 2:
            raise _Bad("bad type: 'responses' must be a list of at least 2 responses")
        label = row.get("label")
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < len(raw):
            raise _Bad(f"bad label: 'label' must index the best response (0..{len(raw) - 1}), got {label!r}")
        texts = [_text(r, f"responses[{i}]") for i, r in enumerate(raw)]
        responses = (texts[label], *[t for i, t in enumerate(texts) if i != label])
    else:
        chosen = _text(row.get("chosen"), "chosen")
        rej = row.get("rejected")
        if isinstance(rej, list) and rej and all(isinstance(r, str) for r in rej):
            rejected = [_text(r, f"rejected[{i}]") for i, r in enumerate(rej)]
        else:
            rejected = [_text(rej, "rejected")]
        responses = (chosen, *rejected)
    replies = [_last_reply(r).strip() for r in responses]
    if not replies[0]:
        raise _Bad("empty response: the preferred response's last reply is empty")
    for i, r in enumerate(replies[1:], start=1):
        if not r:
            raise _Bad(f"empty response: rejected response {i}'s last reply is empty")
        if responses[i] == responses[0]:
            raise _Bad("chosen equals rejected: the preferred response is identical to a rejected one")
    margin = row.get("margin", 0.0)
    if margin is None:
        margin = 0.0
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not math.isfinite(margin):
        raise _Bad(f"bad margin: 'margin' must be a finite number, got {margin!r}")
    return Ranked(index=index, prompt=prompt, responses=tuple(responses), margin=float(margin))


def read_examples(
    path: str | Path,
    parse: Callable[[int, Any], Iterable[T]],
    *,
    on_bad: str = "skip",
    limit: int | None = None,
) -> tuple[list[T], list[BadRecord], str]:
    """Every row of ``path`` (jsonl, jsonl.gz, parquet) through ``parse(index, row)``: the examples, the
    bad rows (index and reason: a line that is not JSON, or the ``ValueError`` that ``parse`` raised) and
    the file's sha256. ``on_bad="error"`` raises one :class:`ConfigError` listing every bad row; ``limit``
    reads the first rows only. Every kind's reader (pairs, users' pairs, ratings) goes through here."""
    if on_bad not in ("skip", "error"):
        raise ConfigError(f"`on_bad` must be 'skip' or 'error', got {on_bad!r}")
    p = Path(path)
    rows: list[T] = []
    bad: list[BadRecord] = []
    for index, row in enumerate(read_rows(p)):
        if limit is not None and index >= limit:
            break
        if isinstance(row, BadRow):
            bad.append(BadRecord(index, f"unreadable: line {row.line}: {row.reason}"))
            continue
        try:
            rows.extend(parse(index, row))
        except ConfigError:  # the file as a whole cannot be used (a ValueError too): stop
            raise
        except ValueError as exc:  # _Bad and every parser's reason
            bad.append(BadRecord(index, str(exc)))
    if on_bad == "error" and bad:
        raise ConfigError([f"row {b.index}: {b.reason}" for b in bad], where=f"training data {p}")
    return rows, bad, sha256_of(p)


def read_ranked(path: str | Path, *, on_bad: OnBad = "skip", limit: int | None = None) -> RankedData:
    """Every row of ``path`` as a :class:`Ranked` example, bad rows reported (see the module docstring)."""
    rows, bad, sha = read_examples(path, lambda i, row: [parse_row(i, row)], on_bad=on_bad, limit=limit)
    return RankedData(rows=rows, bad=bad, path=str(Path(path)), sha256=sha)
