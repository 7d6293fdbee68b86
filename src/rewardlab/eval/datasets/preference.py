"""Preference pairs: plain ``prompt/chosen/rejected`` JSON lines, HH-RLHF transcripts, LLMBar, RM-Bench."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.eval.datasets._files import Loaded, RowProblem, first_record, load, need, number, text_of

ASSISTANT = "\n\nAssistant:"


@dataclass
class Pair:
    """One preference pair. ``scores`` holds stored ``(chosen, rejected)`` scores when the file has them."""

    id: str
    prompt: str
    chosen: str
    rejected: str
    subset: str = ""
    scores: tuple[float, float] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class StylePair:
    """An RM-Bench prompt: three chosen and three rejected responses in the style order concise,
    detailed plain, detailed markdown; ``domain`` is chat/math/code/safety-..."""

    id: str
    prompt: str
    chosen: list[str]
    rejected: list[str]
    domain: str
    subset: str = ""
    scores: tuple[list[float], list[float]] | None = None


def split_transcript(text: str) -> tuple[str, str]:
    """An HH-RLHF transcript as (everything up to and including the last ``Assistant:``, the last reply)."""
    cut = text.rfind(ASSISTANT)
    if cut < 0:
        raise RowProblem("transcript has no '\\n\\nAssistant:' turn")
    head = cut + len(ASSISTANT)
    return text[:head], text[head:].strip()


def _stored(row: Mapping[str, Any]) -> tuple[float, float] | None:
    if row.get("score_chosen") is None and row.get("score_rejected") is None:
        return None
    need(row, "score_chosen", "score_rejected")
    return number(row["score_chosen"], "score_chosen"), number(row["score_rejected"], "score_rejected")


def _pair(index: int, row: Mapping[str, Any], subset: str) -> Pair:
    rid = str(row.get("id", row.get("pair_id", index)))
    sub = str(row.get("subset") or subset)
    if "output_1" in row or "output_2" in row:  # LLMBar
        need(row, "input", "output_1", "output_2", "label")
        label = str(row["label"])
        if label not in ("1", "2"):
            raise RowProblem(f"LLMBar 'label' must be 1 or 2, got {row['label']!r}")
        one, two = text_of(row["output_1"], "output_1"), text_of(row["output_2"], "output_2")
        chosen, rejected = (one, two) if label == "1" else (two, one)
        return Pair(rid, str(row["input"]), chosen, rejected, sub, _stored(row), {"label": int(label)})
    need(row, "chosen", "rejected")
    if isinstance(row["chosen"], list) and row["chosen"] and isinstance(row["chosen"][0], str):
        raise RowProblem("'chosen' is a list of responses (an RM-Bench row: use the rm-bench kind)")
    if row.get("prompt") is None and isinstance(row["chosen"], str) and ASSISTANT in row["chosen"]:
        p1, chosen = split_transcript(row["chosen"])  # HH-RLHF: whole dialogues, last reply differs
        p2, rejected = split_transcript(text_of(row["rejected"], "rejected"))
        if p1 != p2:
            raise RowProblem("chosen and rejected transcripts differ before their last Assistant turn")
        return Pair(rid, p1, chosen, rejected, sub, _stored(row))
    need(row, "prompt")
    prompt = row["prompt"] if isinstance(row["prompt"], str) else text_of(row["prompt"], "prompt")
    return Pair(
        rid, prompt, text_of(row["chosen"], "chosen"), text_of(row["rejected"], "rejected"), sub, _stored(row)
    )


def _default_subset(path: Path) -> str:
    """A subset name from the path: LLMBar's ``Adversarial/GPTInst/dataset.json`` -> ``Adversarial/GPTInst``,
    HH-RLHF's ``harmless-base/test.jsonl.gz`` -> ``harmless-base``; otherwise the file's stem."""
    if path.stem in ("dataset", "test", "train", "test.jsonl", "train.jsonl"):
        parent = path.parent
        if parent.parent.name == "Adversarial":
            return f"Adversarial/{parent.name}"
        return parent.name
    return path.name.split(".")[0]


def read_pairs(path: str | Path, *, subset: str | None = None) -> Loaded[Pair]:
    """Preference pairs from ``path``. Each row is one of:

    - ``{prompt, chosen, rejected}`` (text or chat messages; optional ``id``, ``subset``, and stored
      ``score_chosen``/``score_rejected`` for ``--scores-from-file``);
    - HH-RLHF ``{chosen, rejected}`` transcripts (``\\n\\nHuman: ... \\n\\nAssistant: ...``): the prompt is the
      dialogue up to the last Assistant turn, which must be the same in both;
    - LLMBar ``{input, output_1, output_2, label}`` (``label`` 1 or 2 names the better output).

    ``subset`` defaults to the row's ``subset`` or a name taken from the path.
    """
    p = Path(path)
    sub = subset if subset is not None else _default_subset(p)
    return load(p, lambda i, row: _pair(i, row, sub), "pairs")


def _three(row: Mapping[str, Any], key: str) -> list[str]:
    value = row[key]
    if not isinstance(value, list) or len(value) != 3:
        raise RowProblem(
            f"'{key}' must be a list of 3 responses (concise, detailed plain, detailed markdown)"
        )
    return [text_of(v, key) for v in value]


def _style(index: int, row: Mapping[str, Any], domain: str) -> StylePair:
    need(row, "prompt", "chosen", "rejected")
    chosen, rejected = _three(row, "chosen"), _three(row, "rejected")
    scores = None
    if row.get("score_chosen") is not None or row.get("score_rejected") is not None:
        need(row, "score_chosen", "score_rejected")
        sc, sr = row["score_chosen"], row["score_rejected"]
        if not (isinstance(sc, list) and isinstance(sr, list) and len(sc) == len(sr) == 3):
            raise RowProblem("'score_chosen' and 'score_rejected' must be lists of 3 numbers")
        scores = ([number(x, "score_chosen") for x in sc], [number(x, "score_rejected") for x in sr])
    return StylePair(
        id=str(row.get("id", index)),
        prompt=str(row["prompt"]),
        chosen=chosen,
        rejected=rejected,
        domain=str(row.get("domain") or domain),
        subset=str(row.get("subset", "")),
        scores=scores,
    )


def read_rm_bench(path: str | Path, *, domain: str | None = None) -> Loaded[StylePair]:
    """RM-Bench rows ``{id, prompt, chosen: [3], rejected: [3], domain?}`` (``data/*_filtered.json`` or
    ``total_dataset.json``). Without a ``domain`` field, the domain is the file name's first word
    (``chat_filtered.json`` -> ``chat``, ``safety-refuse_filtered.json`` -> ``safety-refuse``). Stored
    ``score_chosen``/``score_rejected`` lists (RM-Bench's own result rows) are read for ``--scores-from-file``.
    """
    p = Path(path)
    dom = domain or p.name.split("_")[0].split(".")[0]
    return load(p, lambda i, row: _style(i, row, dom), "rm-bench")


def sniff_pairs(path: str | Path) -> str:
    """``"rm-bench"`` when the first record holds three-response lists, else ``"pairs"``."""
    first = first_record(path)
    if first is None:
        raise ConfigError(f"{path}: no records")
    chosen = first.get("chosen")
    return (
        "rm-bench"
        if isinstance(chosen, list) and len(chosen) == 3 and isinstance(chosen[0], str)
        else "pairs"
    )
