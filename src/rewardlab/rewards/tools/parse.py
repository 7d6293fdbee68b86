"""Parse tool calls out of a completion: OpenAI ``tool_calls``, Hermes/Qwen ``<tool_call>`` blocks, a bare
JSON call object, and Python call syntax ``f(a=1, b="x")``.

:func:`parse_calls` returns every well-formed call (:class:`~rewardlab.core.trajectory.ToolCall`) and
every malformed one (:class:`~rewardlab.core.trajectory.MalformedCall`, with the reason); it never
raises on what the policy wrote. Where calls are looked for, per assistant turn:

1. ``"openai"``: the message's ``tool_calls`` (arguments as a JSON string or an object). When a
   message has ``tool_calls``, its text is not parsed again (the serving stack already extracted them).
2. ``"hermes"``: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks in the text. A
   block may hold several JSON objects (one per line, as ToolRL writes them) or a JSON list; the key
   ``"parameters"`` is accepted for ``"arguments"``; a block whose body is Python call syntax is read
   as such. An unclosed or stray tag is malformed.
3. ``"json"``: the whole text (or its fenced block) is a call object or a list of them.
4. ``"python"``: the whole text (or its fenced block) is ``f(a=1)``, ``[f(a=1), g(b=2)]`` or one call
   per line. Parsed with :mod:`ast`; values are read with ``ast.literal_eval`` and anything else
   (a variable, an expression) becomes its source text, as BFCL's decoder does. Never ``eval``.
   Positional arguments are malformed (a call must name its arguments to be checked).

Text that is none of these is an answer without calls (no call, nothing malformed), except text shaped
like a call (``name(...)``) that does not parse, which is malformed.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.core.trajectory import MalformedCall, ToolCall, trajectory
from rewardlab.core.types import Message, Sample

__all__ = ["FORMATS", "ParsedCalls", "parse_calls", "parse_python_calls", "parse_text"]

FORMATS = ("openai", "hermes", "json", "python")

_OPEN, _CLOSE = "<tool_call>", "</tool_call>"
_FENCE = re.compile(r"^```[ \t]*[\w+-]*[ \t]*\n(.*?)\n?```$", re.DOTALL)
# text that starts like a keyword-argument call, ``f(a=`` or ``f()``: a failed parse is a malformed call
_CALL_SHAPE = re.compile(r"\[?\s*[A-Za-z_][\w.]*\(\s*(?:[A-Za-z_]\w*\s*=[^=]|\))")
_CLIP = 300


@dataclass(frozen=True, slots=True)
class ParsedCalls:
    """The calls found in a completion, in order, and the malformed ones."""

    calls: tuple[ToolCall, ...]
    malformed: tuple[MalformedCall, ...]

    def upto(self, turn: int) -> ParsedCalls:
        """Only what was found in assistant turns ``0..turn``."""
        return ParsedCalls(
            tuple(c for c in self.calls if (c.turn or 0) <= turn),
            tuple(m for m in self.malformed if (m.turn or 0) <= turn),
        )


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[:_CLIP] + "..."


def _unfence(text: str) -> str:
    stripped = text.strip()
    m = _FENCE.match(stripped)
    return m.group(1).strip() if m else stripped


def _call_from_obj(obj: Any, source: str, turn: int | None) -> ToolCall | MalformedCall:
    text = _clip(json.dumps(obj, default=str))
    if not isinstance(obj, dict):
        return MalformedCall(source, text, f"a call must be a JSON object, got {type(obj).__name__}", turn)
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        return MalformedCall(source, text, "call has no 'name'", turn)
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):  # double-encoded, as in the OpenAI wire format
        try:
            args = json.loads(args) if args.strip() else {}
        except (ValueError, RecursionError) as exc:
            return MalformedCall(source, text, f"'arguments' is a string but not JSON ({exc})", turn)
    if not isinstance(args, dict):
        return MalformedCall(source, text, f"'arguments' must be an object, got {type(args).__name__}", turn)
    return ToolCall(name.strip(), args, source, turn)


def _json_values(body: str) -> list[Any]:
    """Every JSON value in ``body``, one after another (whitespace between them). ValueError otherwise."""
    decoder = json.JSONDecoder()
    out: list[Any] = []
    i = 0
    while True:
        while i < len(body) and body[i].isspace():
            i += 1
        if i >= len(body):
            return out
        try:
            value, i = decoder.raw_decode(body, i)
        except RecursionError as exc:
            raise ValueError("nested too deeply") from exc
        out.append(value)


def _from_json_body(body: str, source: str, turn: int | None) -> list[ToolCall | MalformedCall]:
    values = _json_values(body)  # raises ValueError
    if not values:
        raise ValueError("empty")
    out: list[ToolCall | MalformedCall] = []
    for value in values:
        for obj in value if isinstance(value, list) else [value]:
            out.append(_call_from_obj(obj, source, turn))
    return out


def _hermes_blocks(text: str) -> tuple[list[str], tuple[str, str] | None]:
    """Bodies of ``<tool_call>...</tool_call>`` blocks and the first tag problem ``(reason, text)``.

    A linear scan: a regex with a lazy ``.*?`` is quadratic on text full of unclosed tags.
    """
    bodies: list[str] = []
    i = 0
    while True:
        start = text.find(_OPEN, i)
        stray = text.find(_CLOSE, i, start if start >= 0 else len(text))
        if stray >= 0:
            return bodies, ("</tool_call> without <tool_call>", text[max(0, stray - 100) : stray + 12])
        if start < 0:
            return bodies, None
        end = text.find(_CLOSE, start + len(_OPEN))
        if end < 0:
            return bodies, ("<tool_call> is never closed", text[start:])
        bodies.append(text[start + len(_OPEN) : end])
        i = end + len(_CLOSE)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ast.unparse(node)  # a variable or an expression: its source text


def _python_call(node: ast.expr, source: str, turn: int | None) -> ToolCall | MalformedCall:
    text = _clip(ast.unparse(node))
    if not isinstance(node, ast.Call):
        return MalformedCall(source, text, "not a function call", turn)
    name = _dotted(node.func)
    if name is None:
        return MalformedCall(source, text, "the called object is not a (dotted) name", turn)
    if node.args:
        return MalformedCall(source, text, "positional arguments: name every argument (f(a=1))", turn)
    args: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            return MalformedCall(source, text, "**kwargs cannot be checked", turn)
        args[kw.arg] = _literal(kw.value)
    return ToolCall(name, args, source, turn)


def parse_python_calls(text: str, *, turn: int | None = None) -> list[ToolCall | MalformedCall] | None:
    """Calls written in Python syntax, or None when ``text`` is not call syntax at all."""
    src = _unfence(text)
    if not src:
        return None
    try:
        tree: ast.AST = ast.parse(src, mode="eval")
        body = tree.body  # type: ignore[attr-defined]
        nodes = list(body.elts) if isinstance(body, ast.List | ast.Tuple) else [body]
    except SyntaxError:
        try:
            module = ast.parse(src, mode="exec")
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            if _CALL_SHAPE.match(src):
                return [MalformedCall("python", _clip(src), f"not valid Python call syntax ({exc})", turn)]
            return None
        if not module.body or not all(isinstance(s, ast.Expr) for s in module.body):
            return None
        nodes = [s.value for s in module.body if isinstance(s, ast.Expr)]
    except (ValueError, MemoryError, RecursionError) as exc:
        return [MalformedCall("python", _clip(src), f"cannot parse ({type(exc).__name__})", turn)]
    if not nodes or not all(isinstance(n, ast.Call) for n in nodes):
        return None
    return [_python_call(n, "python", turn) for n in nodes]


def parse_text(
    text: str, formats: Sequence[str] = FORMATS, *, turn: int | None = None
) -> tuple[list[ToolCall], list[MalformedCall]]:
    """Calls written in ``text`` (Hermes blocks, a JSON call, Python syntax), per ``formats``."""
    found: list[ToolCall | MalformedCall] = []
    if "hermes" in formats and ("<tool_call>" in text or "</tool_call>" in text):
        bodies, problem = _hermes_blocks(text)
        for body in bodies:
            body = _unfence(body)
            try:
                found += _from_json_body(body, "hermes", turn)
            except ValueError as exc:
                as_python = parse_python_calls(body, turn=turn) if "python" in formats else None
                if as_python:
                    found += [
                        c if isinstance(c, MalformedCall) else _with_source(c, "hermes") for c in as_python
                    ]
                else:
                    found.append(
                        MalformedCall("hermes", _clip(body), f"block is not a JSON call ({exc})", turn)
                    )
        if problem:
            found.append(MalformedCall("hermes", _clip(problem[1]), problem[0], turn))
        return _split(found)
    body = _unfence(text)
    if "json" in formats and body[:1] in ("{", "["):
        try:
            values = _json_values(body)
        except ValueError as exc:
            if re.match(r"\[?\s*\{\s*\"name\"", body):
                return [], [MalformedCall("json", _clip(body), f"not valid JSON ({exc})", turn)]
            values = []
        objs = [o for v in values for o in (v if isinstance(v, list) else [v])]
        if objs and all(isinstance(o, dict) and "name" in o for o in objs):
            return _split([_call_from_obj(o, "json", turn) for o in objs])
    if "python" in formats:
        calls = parse_python_calls(text, turn=turn)
        if calls:
            return _split(calls)
    return [], []


def _with_source(call: ToolCall, source: str) -> ToolCall:
    return ToolCall(call.name, call.arguments, source, call.turn, call.id)


def _split(items: Iterable[ToolCall | MalformedCall]) -> tuple[list[ToolCall], list[MalformedCall]]:
    calls: list[ToolCall] = []
    bad: list[MalformedCall] = []
    for item in items:
        (bad if isinstance(item, MalformedCall) else calls).append(item)  # type: ignore[arg-type]
    return calls, bad


def parse_calls(completion: Sample | str | list[Message], formats: Sequence[str] = FORMATS) -> ParsedCalls:
    """Every tool call in a completion (text or messages), with the assistant turn it came from."""
    calls: list[ToolCall] = []
    bad: list[MalformedCall] = []
    for turn in trajectory(completion).turns:
        raw = turn.action.raw_tool_calls
        if raw and "openai" in formats:
            c, m = turn.tool_calls
        else:
            c, m = parse_text(turn.text, formats, turn=turn.index)
        calls += c
        bad += m
    return ParsedCalls(tuple(calls), tuple(bad))
