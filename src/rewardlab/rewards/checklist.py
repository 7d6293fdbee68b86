"""The ``"checklist"`` reward: a list of criteria, each checked by a rule, a registered reward or a judge.

A criterion is a table::

    {"id": "cites", "kind": "regex", "pattern": "\\[\\d+\\]", "weight": 2}
    {"id": "no_pw", "kind": "contains", "text": "password", "negate": true, "gate": true}
    {"id": "status", "kind": "json_path", "path": "result.items[0].status", "equals": "ok", "turn": -1}
    {"id": "called", "kind": "json_path", "field": "tool_calls", "path": "[0].name", "equals": "search"}
    {"id": "answer", "kind": "reward", "reward": "math", "threshold": 1.0}
    {"id": "polite", "kind": "judge", "question": "Is the reply polite?"}

Common keys: ``id`` (default ``c<i>``), ``weight`` (>= 0, default 1), ``gate`` (a bottom-line criterion),
``negate`` (pass when the rule does *not* match), ``turn`` (an assistant-turn index, negative from the
end, ``"last"`` or ``"any"``; default: the whole completion), ``field`` (``content``, ``tool_calls`` as
decoded calls, or ``tool_results``), ``description``. Kind keys: regex ``pattern``, ``flags``; contains
``text``, ``case_sensitive``; json_path ``path`` (dotted/bracket: ``a.b[0]["x.y"]``) and ``equals``
(absent: the path must exist), read from the text's JSON (raw or fenced) or from the decoded calls;
reward ``reward`` (a registered name or spec table), ``threshold`` (default 1.0), ``reference`` (given
to that reward; default ``sample.reference``); judge ``question``, ``threshold`` (default 0.5).

Criteria come from the ``criteria`` option and from ``sample.reference`` (a list of criteria, or a table
with ``criteria`` and/or ``turns``: ``turns[i]`` is the checklist of assistant turn ``i``, as CM2's per-turn
checklists). Score: the weighted fraction of passed non-gate criteria (``aggregate="weighted"``) or 1/0
for all passed (``"all"``); if any gate fails, the score is ``gate_fail_score`` (default 0), as the
bottom-line criteria of SearchLLM and DeepTravel zero the rest. ``components[id]`` is 1/0 per criterion;
``info["criteria"]`` lists each verdict with its *evidence* (the turn and the matched span, path value,
reward score or judge note). With a message completion, ``step_scores[i]`` is the part of the score
earned in assistant turn ``i`` (a passed criterion counts at the turn of its evidence, one without a
locatable turn at the last turn; a failed gate puts ``gate_fail_score`` at its evidence turn), so they
sum to the score.

A ``judge`` criterion needs the ``judge`` option: a table of judge settings (``{base_url = ...,
model = ...}``, see :mod:`rewardlab.judges`: the criterion's question goes to an OpenAI-compatible judge,
guarded, and its pass/fail verdict is the criterion's), or any object with ``check(question, text,
sample) -> bool | float | (verdict, note)``. Without one the reward refuses to build (or, for a judge
criterion in a reference, that sample fails) with a clear error.

Differences from the anchors. verifiers' ``Rubric`` is a weighted sum of reward functions with no
gating, no per-turn scope and no evidence; eval-protocol's rubric evaluators call an LLM for every
item. Here cheap deterministic rules and registered rewards come first, a judge is one kind among
them, every verdict records what satisfied it, and bad criteria are configuration errors (all listed
at once) rather than silent zeros. A failing sub-reward or judge fails the checklist (an error, not a 0).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardlab.core.reward import Reward, RewardLike
from rewardlab.core.spec import as_reward
from rewardlab.core.trajectory import Trajectory, trajectory
from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import ConfigError
from rewardlab.rewards.format import extract_json

__all__ = ["Checklist", "Criterion", "get_path", "parse_path"]

KINDS = {
    "regex": {"pattern", "flags"},
    "contains": {"text", "case_sensitive"},
    "json_path": {"path", "equals"},
    "reward": {"reward", "threshold", "reference"},
    "judge": {"question", "threshold"},
}
COMMON = {"id", "kind", "weight", "gate", "negate", "turn", "field", "description"}
FIELDS = ("content", "tool_calls", "tool_results")
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "a": re.ASCII}
_ID = re.compile(r"[A-Za-z0-9_][\w-]*")
_PATH_TOKEN = re.compile(r"\.?([A-Za-z_][\w-]*)|\[\s*(-?\d+)\s*\]|\[\s*(['\"])(.*?)\3\s*\]")
NO_JUDGE = "no judge is configured (give the checklist a `judge` table: base_url, model, ...)"


def parse_path(path: str) -> tuple[str | int, ...]:
    """``a.b[0]["x.y"]`` -> ``("a", "b", 0, "x.y")``; a leading ``$`` is allowed. ValueError if malformed.

    Hand-written rather than a JSONPath library: a checklist needs one value at one fixed path, and
    JSONPath implementations disagree on filters and wildcards that a criterion must not depend on.
    """
    if not isinstance(path, str):
        raise ValueError(f"a path must be a string, got {type(path).__name__}")
    rest = path.strip()
    rest = rest[1:] if rest.startswith("$") else rest
    tokens: list[str | int] = []
    i = 0
    while i < len(rest):
        m = _PATH_TOKEN.match(rest, i)
        if not m or (m.group(1) and i > 0 and rest[i] != "."):
            raise ValueError(f"cannot read path {path!r} at position {i + (len(path) - len(rest))}")
        tokens.append(m.group(1) if m.group(1) else int(m.group(2)) if m.group(2) else m.group(4))
        i = m.end()
    return tuple(tokens)


def get_path(data: Any, path: str | Sequence[str | int]) -> tuple[bool, Any]:
    """``(found, value)`` at ``path`` in nested dicts/lists (negative list indices count from the end)."""
    tokens = parse_path(path) if isinstance(path, str) else tuple(path)
    for tok in tokens:
        in_list = isinstance(tok, int) and isinstance(data, list) and -len(data) <= tok < len(data)
        if in_list or (isinstance(tok, str) and isinstance(data, Mapping) and tok in data):
            data = data[tok]
        else:
            return False, None
    return True, data


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


@dataclass(frozen=True)
class Criterion:
    """A validated criterion (see the module docstring for the keys)."""

    id: str
    kind: str
    spec: Mapping[str, Any] = field(repr=False)
    weight: float = 1.0
    gate: bool = False
    negate: bool = False
    turn: int | str | None = None
    part: str = "content"  # the ``field`` key: content, tool_calls or tool_results
    compiled: Any = field(default=None, repr=False)  # a compiled regex, a path, or a reward object


def _criterion(raw: Any, index: int, problems: list[str], *, judge: Any, where: str) -> Criterion | None:
    at = f"{where}[{index}]"
    if not isinstance(raw, Mapping):
        problems.append(f"{at} must be a table, got {type(raw).__name__}")
        return None
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(f"{at}: `kind` must be one of {sorted(KINDS)}, got {kind!r}")
        return None
    start = len(problems)
    cid = raw.get("id", f"c{index}")
    if not isinstance(cid, str) or not _ID.fullmatch(cid):
        problems.append(f"{at}: `id` must be letters, digits, '_' or '-', got {cid!r}")
    at = f"{where}[{index}] ({cid})"
    unknown = sorted(set(raw) - COMMON - KINDS[kind])
    if unknown:
        problems.append(
            f"{at}: unknown key(s) {unknown} for kind {kind!r} (allowed: {sorted(COMMON | KINDS[kind])})"
        )
    weight = raw.get("weight", 1.0)
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or weight < 0
    ):
        problems.append(f"{at}: `weight` must be a finite number >= 0, got {weight!r}")
    for key in ("gate", "negate", "case_sensitive"):
        if key in raw and not isinstance(raw[key], bool):
            problems.append(f"{at}: `{key}` must be true or false, got {raw[key]!r}")
    turn = raw.get("turn")
    if not (
        turn is None or turn in ("last", "any") or (isinstance(turn, int) and not isinstance(turn, bool))
    ):
        problems.append(f"{at}: `turn` must be an integer, 'last' or 'any', got {turn!r}")
    fld = raw.get("field", "content")
    if fld not in FIELDS:
        problems.append(f"{at}: `field` must be one of {list(FIELDS)}, got {fld!r}")
    compiled: Any = None
    if kind == "regex":
        flags = raw.get("flags", "")
        if not isinstance(flags, str) or any(f not in _FLAGS for f in flags):
            problems.append(f"{at}: `flags` must be letters from {''.join(_FLAGS)!r}, got {flags!r}")
        else:
            try:
                compiled = re.compile(raw.get("pattern"), sum((_FLAGS[f] for f in flags), 0))
            except (re.error, TypeError) as exc:
                problems.append(
                    f"{at}: `pattern` is not a valid regular expression ({exc}): {raw.get('pattern')!r}"
                )
    elif kind == "contains":
        if not isinstance(raw.get("text"), str) or not raw["text"]:
            problems.append(f"{at}: `text` must be a non-empty string, got {raw.get('text')!r}")
    elif kind == "json_path":
        try:
            compiled = parse_path(raw.get("path"))  # type: ignore[arg-type]
        except ValueError as exc:
            problems.append(f"{at}: `path`: {exc}")
    elif kind == "reward":
        try:
            compiled = as_reward(raw.get("reward"))  # type: ignore[arg-type]  # None is reported by as_reward
        except ConfigError as exc:
            problems.append(f"{at}: `reward`: {exc}")
    elif kind == "judge":
        if not isinstance(raw.get("question"), str) or not raw["question"].strip():
            problems.append(f"{at}: `question` must be a non-empty string, got {raw.get('question')!r}")
        if judge is None:
            problems.append(
                f"{at}: {NO_JUDGE}; pass a `judge` object with check(question, text, sample) to use judge criteria"
            )
    if kind in ("reward", "judge"):
        threshold = raw.get("threshold", 1.0 if kind == "reward" else 0.5)
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
        ):
            problems.append(f"{at}: `threshold` must be a finite number, got {threshold!r}")
    if len(problems) > start:
        return None
    return Criterion(cid, kind, dict(raw), float(weight), bool(raw.get("gate", False)), bool(raw.get("negate", False)),
                     turn, fld, compiled)  # fmt: skip


def _criteria(raws: Sequence[Any], *, judge: Any, where: str) -> list[Criterion]:
    problems: list[str] = []
    out = [_criterion(r, i, problems, judge=judge, where=where) for i, r in enumerate(raws)]
    ids = [c.id for c in out if c is not None]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"{where}: duplicate criterion id(s) {dupes}")
    if problems:
        raise ValueError("; ".join(problems) if len(problems) < 2 else "\n  - " + "\n  - ".join(problems))
    return [c for c in out if c is not None]


def _reference_criteria(reference: Any) -> list[Any]:
    if isinstance(reference, list):
        return reference
    if not isinstance(reference, Mapping):
        return []
    raws = list(reference.get("criteria") or [])
    turns = reference.get("turns")
    if turns is not None:
        if not isinstance(turns, list) or not all(isinstance(t, list) for t in turns):
            raise ValueError("reference 'turns' must be a list of per-turn criterion lists")
        for i, per_turn in enumerate(turns):
            raws += [{**c, "turn": i} if isinstance(c, Mapping) else c for c in per_turn]
    return raws


class Checklist(Reward):
    """Weighted (optionally gated) fraction of passed criteria; see the module docstring."""

    name = "checklist"

    def __init__(
        self,
        criteria: Sequence[Mapping[str, Any]] | None = None,
        aggregate: str = "weighted",
        gate_fail_score: float = 0.0,
        judge: Any = None,
    ) -> None:
        if criteria is not None and (
            isinstance(criteria, str | Mapping) or not isinstance(criteria, Sequence)
        ):
            raise ValueError(
                f"`criteria` of checklist must be a list of criterion tables, got {type(criteria).__name__}"
            )
        if aggregate not in ("weighted", "all"):
            raise ValueError(f"`aggregate` of checklist must be 'weighted' or 'all', got {aggregate!r}")
        bad = isinstance(gate_fail_score, bool) or not isinstance(gate_fail_score, int | float)
        if bad or not math.isfinite(gate_fail_score):
            raise ValueError(
                f"`gate_fail_score` of checklist must be a finite number, got {gate_fail_score!r}"
            )
        if isinstance(judge, Mapping):  # judge settings: an OpenAI-compatible judge, guarded
            from rewardlab.judges import JudgeChecker

            judge = JudgeChecker(**dict(judge))
        if judge is not None and not callable(getattr(judge, "check", None)):
            raise ValueError(
                "`judge` of checklist must be a table of judge settings or have a check(question, text, sample) method"
            )
        self.judge = judge
        self.criteria = list(criteria or [])
        self._criteria = _criteria(self.criteria, judge=judge, where="`criteria` of checklist")
        self.aggregate = aggregate
        self.gate_fail_score = float(gate_fail_score)

    def children(self) -> list[tuple[str, RewardLike]]:
        """The rewards that ``kind = "reward"`` criteria run, named by criterion id."""
        return [(c.id, c.compiled) for c in self._criteria if c.kind == "reward"]

    # --- checking one criterion ------------------------------------------------------------------

    def _subjects(self, c: Criterion, traj: Trajectory, calls: dict[int, list[Any]]) -> list[tuple[int, Any]]:
        n = len(traj.turns)
        if c.turn is None or c.turn == "any":
            idx = list(range(n))
        else:
            t = n - 1 if c.turn == "last" else c.turn
            t = t + n if isinstance(t, int) and t < 0 else t
            idx = [t] if isinstance(t, int) and 0 <= t < n else []
        out: list[tuple[int, Any]] = []
        for i in idx:
            turn = traj.turns[i]
            if c.part == "tool_calls":
                out.append((i, calls.get(i, [])))
            elif c.part == "tool_results":
                out.append((i, "\n".join(turn.tool_results)))
            else:
                out.append((i, turn.text))
        return out

    def _rule(self, c: Criterion, subject: Any) -> dict[str, Any] | None:
        """Evidence when the rule matches ``subject``, else None."""
        text = subject if isinstance(subject, str) else json.dumps(subject, ensure_ascii=False)
        if c.kind == "regex":
            m = c.compiled.search(text)
            return None if m is None else {"span": [m.start(), m.end()], "text": m.group(0)[:200]}
        if c.kind == "contains":
            needle = c.spec["text"]
            hay, nee = (
                (text, needle) if c.spec.get("case_sensitive") else (text.casefold(), needle.casefold())
            )
            pos = hay.find(nee)
            return (
                None if pos < 0 else {"span": [pos, pos + len(needle)], "text": text[pos : pos + len(needle)]}
            )
        data = subject
        if isinstance(subject, str):
            try:
                data, _ = extract_json(subject)
            except ValueError:
                return None
        found, value = get_path(data, c.compiled)
        if not found or ("equals" in c.spec and not _json_equal(value, c.spec["equals"])):
            return None
        return {"path": c.spec["path"], "value": value}

    def _scored(self, c: Criterion, text: str, sample: Sample, whole: bool) -> tuple[bool, dict[str, Any]]:
        if c.kind == "reward":
            ref = c.spec.get("reference", sample.reference)
            sub = Sample(prompt=sample.prompt, completion=sample.completion if whole else text, reference=ref,
                         metadata=sample.metadata)  # fmt: skip
            try:
                result = c.compiled(sub)
            except Exception as exc:  # recorded on the checklist's result with the criterion's name
                raise _CriterionFailed(c.id, ErrorInfo.from_exception(exc)) from exc
            if result.error is not None or result.score is None:
                err = result.error or ErrorInfo("NoScore", "no score")
                raise _CriterionFailed(c.id, err)
            return result.score >= c.spec.get("threshold", 1.0), {"score": result.score}
        if self.judge is None:
            raise ValueError(f"criterion {c.id!r}: {NO_JUDGE}; pass a `judge` object to the checklist")
        try:
            out = self.judge.check(c.spec["question"], text, sample)
        except Exception as exc:
            raise _CriterionFailed(c.id, ErrorInfo.from_exception(exc)) from exc
        note = None
        if isinstance(out, tuple):
            out, note = out[0], out[1]
        score = float(out)
        return score >= c.spec.get("threshold", 0.5), {"score": score, "note": note}

    def _check(
        self, c: Criterion, traj: Trajectory, calls: dict[int, list[Any]], sample: Sample
    ) -> dict[str, Any]:
        """``{"passed", "turn", "evidence"}``; ``turn`` is where the evidence is (None: whole sample/none)."""
        hit: tuple[int | None, Any] | None = None
        seen: Any = None  # for reward/judge criteria that fail: the last score, so a 0 is explainable
        if c.kind in ("reward", "judge") and c.turn is None:
            ok, seen = self._scored(c, sample.completion_text, sample, whole=True)
            hit = (None, seen) if ok else None
        else:
            for i, subject in self._subjects(c, traj, calls):
                if c.kind in ("reward", "judge"):
                    text = subject if isinstance(subject, str) else json.dumps(subject, ensure_ascii=False)
                    ok, seen = self._scored(c, text, sample, whole=False)
                    found = seen if ok else None
                else:
                    found = self._rule(c, subject)
                if found is not None:
                    hit = (i, found)
                    break
        passed = hit is None if c.negate else hit is not None
        return {"passed": passed, "turn": hit[0] if hit else None, "evidence": hit[1] if hit else seen}

    # --- the reward --------------------------------------------------------------------------------

    def compute(self, sample: Sample) -> RewardResult:
        criteria = list(self._criteria)
        extra = _reference_criteria(sample.reference)
        if extra:
            criteria += _criteria(extra, judge=self.judge, where="sample.reference criteria")
            ids = [c.id for c in criteria]
            if len(set(ids)) != len(ids):
                raise ValueError(f"criterion ids repeat between the option and the reference: {sorted(ids)}")
        if not criteria:
            raise ValueError(
                "checklist has no criteria (give the `criteria` option or criteria in sample.reference)"
            )
        traj = trajectory(sample)
        calls: dict[int, list[Any]] = {}
        if any(c.part == "tool_calls" for c in criteria):
            from rewardlab.rewards.tools.parse import parse_calls

            for call in parse_calls(sample).calls:
                calls.setdefault(call.turn or 0, []).append(call.to_dict())
        verdicts = []
        for c in criteria:
            try:
                v = self._check(c, traj, calls, sample)
            except _CriterionFailed as exc:
                return RewardResult(score=None, error=exc.info, info={"criterion": exc.cid})
            verdicts.append({"id": c.id, "kind": c.kind, "gate": c.gate, "weight": c.weight, **v})
        return self._aggregate(verdicts, sample, len(traj.turns))

    def _aggregate(self, verdicts: list[dict[str, Any]], sample: Sample, n_turns: int) -> RewardResult:
        failed_gates = [v for v in verdicts if v["gate"] and not v["passed"]]
        rest = [v for v in verdicts if not v["gate"]]
        total = sum(v["weight"] for v in rest)
        if self.aggregate == "all":
            raw = float(all(v["passed"] for v in rest))
        else:
            raw = sum(v["weight"] for v in rest if v["passed"]) / total if total > 0 else 1.0
        score = self.gate_fail_score if failed_gates else raw
        info: dict[str, Any] = {"criteria": verdicts}
        if failed_gates:
            info["gate_failed"] = [v["id"] for v in failed_gates]
        step_scores = None
        if isinstance(sample.completion, list) and n_turns:
            steps = [0.0] * n_turns
            if failed_gates:
                t = failed_gates[0]["turn"]
                steps[t if t is not None else n_turns - 1] = score
            elif raw > 0:
                passed = [v for v in rest if v["passed"]]
                weights = [v["weight"] if self.aggregate == "weighted" else 1.0 for v in passed]
                if sum(weights) > 0:
                    for v, w in zip(passed, weights, strict=True):
                        t = v["turn"] if v["turn"] is not None else n_turns - 1
                        steps[t] += score * w / sum(weights)
                else:  # only gates (all passed), or zero weights: nothing to attribute finer than the end
                    steps[-1] = score
            step_scores = steps
        components = {v["id"]: float(v["passed"]) for v in verdicts}
        return RewardResult(score=score, components=components, info=info, step_scores=step_scores)


class _CriterionFailed(Exception):
    def __init__(self, cid: str, err: ErrorInfo) -> None:
        self.cid = cid
        self.info = ErrorInfo("CriterionError", f"criterion {cid!r} failed: {err.type}: {err.message}")
        super().__init__(self.info.message)
