"""Reading a verdict out of a judge's answer, without guessing.

A judge model writes free text. rewardlab reads its verdict only from the *final answer*: everything in
``<think>...</think>`` is reasoning and is removed first (an answer whose ``<think>`` is never closed has
no final answer at all). verifiers' rubric judge reads the whole text, so a draft verdict in the
reasoning ("maybe [[A]]... no") can be taken for the answer (its PR #2072 is still open); here it cannot.

Three declared forms, tried in this order, each on the final answer:

1. a JSON object (the last one that parses) with the field (``verdict``, ``score``, ``winner``, ...);
2. a tag (``<verdict>correct</verdict>``, ``<score>7</score>``, ``[[A]]``);
3. a labelled line (``Verdict: correct``, ``Score: 7/10``, ``Winner: B``), or an answer that is only
   the verdict;
4. for labels only, a short answer (at most 12 words) in which exactly one label word occurs, once
   ("The answer is incorrect."): small judges answer in a sentence; two label words are a parse error.

Within a form, two different verdicts are a parse error, never a coin flip; a form that is absent falls
through to the next. No verdict at all is a :class:`~rewardlab.errors.JudgeParseError`, or a
:class:`~rewardlab.errors.JudgeRefusal` when the answer reads as a refusal. Numbers outside the declared
range are parse errors, never clipped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence

from rewardlab.errors import JudgeParseError, JudgeRefusal

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_REFUSAL = re.compile(
    r"\b(i\s*(?:can(?:no|')t|cannot|am\s+(?:not\s+able|unable)|won't|will\s+not)\s+"
    r"(?:help|assist|evaluate|judge|grade|provide|comply|do\s+that)|i'?m\s+sorry,?\s+but|as\s+an\s+ai\b)",
    re.IGNORECASE,
)

LABELS_CORRECT: dict[str, tuple[str, ...]] = {
    "correct": ("correct", "pass", "passed", "yes", "true", "right", "accept", "accepted", "valid"),
    "incorrect": ("incorrect", "fail", "failed", "no", "false", "wrong", "reject", "rejected", "invalid"),
}
PREFERENCE = {"A": ("a", "1", "first", "response a", "assistant a"), "B": ("b", "2", "second", "response b",
              "assistant b"), "tie": ("tie", "equal", "draw", "both", "neither", "c")}  # fmt: skip


def final_answer(text: str | None) -> str:
    """The judge's answer without its reasoning: ``<think>`` blocks removed. Raises
    :class:`JudgeParseError` when there is no text, or when a ``<think>`` is never closed."""
    if text is None or not str(text).strip():
        raise JudgeParseError("the judge returned no text")
    out = _THINK.sub(" ", str(text))
    if re.search(r"<think>", out, re.IGNORECASE):
        raise JudgeParseError("the judge's reasoning (<think>) is never closed: there is no final answer")
    out = re.sub(r"</think>", " ", out, flags=re.IGNORECASE)  # a closing tag without its opener
    if not out.strip():
        raise JudgeParseError("the judge's answer is all reasoning: no final answer after </think>")
    return out.strip()


def _json_objects(text: str) -> list[dict[str, object]]:
    """Every JSON object in ``text`` that parses (outermost braces), in order."""
    found: list[dict[str, object]] = []
    decoder = json.JSONDecoder()
    i = text.find("{")
    while i != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = text.find("{", end)
    return found


def _one(values: Iterable[str], what: str) -> str | None:
    distinct = list(dict.fromkeys(values))
    if len(distinct) > 1:
        raise JudgeParseError(f"the judge's answer gives {len(distinct)} different {what}s: {distinct[:4]}")
    return distinct[0] if distinct else None


def _raw_fields(text: str, keys: Sequence[str], tags: Sequence[str]) -> list[list[str]]:
    """Candidate raw verdicts by form (JSON, tag, labelled line), each form's values in order."""
    forms: list[list[str]] = [[], [], []]
    for obj in _json_objects(text):
        for key in keys:
            for k, v in obj.items():
                if (
                    str(k).strip().lower() == key
                    and isinstance(v, str | int | float)
                    and not isinstance(v, bool)
                ):
                    forms[0].append(str(v))
                elif str(k).strip().lower() == key and isinstance(v, bool):
                    forms[0].append("true" if v else "false")
    for tag in tags:
        forms[1] += [m.strip() for m in re.findall(rf"<{tag}>\s*(.*?)\s*</{tag}>", text, re.DOTALL | re.I)]
    label = "|".join(re.escape(k) for k in keys)
    pattern = rf"(?im)^[\s*#>_-]*(?:final\s+)?(?:{label})\s*[:=\-]\s*\**\s*(.+?)\s*\**\s*$"
    forms[2] += [m.strip() for m in re.findall(pattern, text)]
    return forms


def _norm(word: str) -> str:
    return re.sub(r"[\s\"'`*.,;:!()\[\]]+", " ", word).strip().lower()


def parse_label(text: str | None, labels: Mapping[str, Sequence[str]] = LABELS_CORRECT) -> str:
    """The label (a key of ``labels``) the judge's final answer gives; ``labels`` maps each label to the
    words that mean it (case and punctuation ignored)."""
    final = final_answer(text)
    words = {_norm(w): lab for lab, ws in labels.items() for w in (lab, *ws)}
    for form in _raw_fields(final, ("verdict", "label", "grade", "judgment", "judgement", "answer"),
                            ("verdict", "label", "grade", "answer")):  # fmt: skip
        mapped = []
        for raw in form:
            key = _norm(raw)
            if key in words:
                mapped.append(words[key])
            else:  # "correct." / "**Incorrect** because ...": the first word decides, if it is a label
                first = key.split(" ", 1)[0] if key else ""
                if first in words and not (first == "no" and len(key.split()) > 1):
                    mapped.append(words[first])
        got = _one(mapped, "verdict")
        if got is not None:
            return got
    bare = _norm(final)
    if bare in words:
        return words[bare]
    tokens = bare.split()
    if len(tokens) <= 12:
        strong = {
            _norm(w): lab for lab, ws in labels.items() for w in (lab, *ws) if _norm(w) not in ("yes", "no")
        }
        found = [strong[t] for t in tokens if t in strong]
        if len(found) == 1:
            return found[0]
        if len(set(found)) > 1:
            raise JudgeParseError(f"the judge's answer names more than one verdict: {final[:200]!r}")
    _refusal_or_fail(final, f"no verdict among {sorted(labels)} in the judge's final answer")
    raise AssertionError("unreachable")


def parse_score(text: str | None, low: float, high: float) -> float:
    """The number in ``[low, high]`` the judge's final answer gives (``7``, ``7/10``, ``{"score": 7}``)."""
    final = final_answer(text)
    number = r"[-+]?\d+(?:\.\d+)?"
    for form in _raw_fields(final, ("score", "rating", "grade"), ("score", "rating")):
        values = []
        for raw in form:
            m = re.match(rf"^\s*({number})(?:\s*/\s*({number}))?", raw.replace("**", ""))
            if m:
                values.append(_in_range(m.group(1), m.group(2), low, high))
        got = _one([repr(v) for v in values], "score")
        if got is not None:
            return float(got)
    m = re.fullmatch(rf"\s*\**\s*({number})(?:\s*/\s*({number}))?\s*\**\s*\.?\s*", final)
    if m:
        return _in_range(m.group(1), m.group(2), low, high)
    _refusal_or_fail(final, f"no score in [{low:g}, {high:g}] in the judge's final answer")
    raise AssertionError("unreachable")


def _in_range(value: str, scale: str | None, low: float, high: float) -> float:
    v = float(value)
    if scale is not None and not math.isclose(float(scale), high):
        raise JudgeParseError(f"the judge scored {value}/{scale}, not on the declared scale up to {high:g}")
    if not (math.isfinite(v) and low <= v <= high):
        raise JudgeParseError(f"the judge's score {value} is outside [{low:g}, {high:g}]")
    return v


def parse_preference(text: str | None) -> str:
    """``"A"``, ``"B"`` or ``"tie"`` from the judge's final answer (``[[A]]``, ``{"winner": "B"}``, ...)."""
    final = final_answer(text)
    words = {_norm(w): lab for lab, ws in PREFERENCE.items() for w in (lab, *ws)}
    brackets = [
        m.upper() if m.upper() in ("A", "B") else "tie"
        for m in re.findall(r"\[\[\s*(A|B|C|tie)\s*\]\]", final, re.I)
    ]
    forms = _raw_fields(final, ("winner", "preference", "verdict", "better", "choice", "answer"),
                        ("winner", "preference", "verdict", "choice", "answer"))  # fmt: skip
    forms.insert(1, brackets)
    for form in forms:
        mapped = [words.get(_norm(raw), raw if raw in ("A", "B", "tie") else None)
                  for raw in form]  # fmt: skip
        got = _one([m for m in mapped if m is not None], "preference")
        if got is not None:
            return got
    bare = _norm(final)
    if bare in words:
        return words[bare]
    _refusal_or_fail(final, "no preference (A, B or tie) in the judge's final answer")
    raise AssertionError("unreachable")


def _refusal_or_fail(final: str, message: str) -> None:
    if _REFUSAL.search(final):
        raise JudgeRefusal(f"the judge declined: {final[:200]!r}")
    raise JudgeParseError(f"{message}: {final[-200:]!r}")
