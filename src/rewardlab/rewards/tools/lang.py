"""Java and JavaScript argument values written as source literals, read as the values they denote.

BFCL prompts Java and JavaScript models to pass every argument as a string of source code
(``"new ArrayList<>(Arrays.asList(1, 2))"``, ``"3.5f"``, ``"true"``) and converts it with regular
expressions before checking (``java_type_converter``, ``js_type_converter``). This module does the same
job with a small recursive-descent reader: quoted strings (either quote, with escapes), numbers with
Java/JS suffixes (``f``, ``d``, ``L``, ``n``), ``true``/``false``/``null``, arrays (``[..]``,
``new Array(..)``, ``new int[]{..}``), lists (``Arrays.asList(..)``, ``List.of(..)``,
``new ArrayList<>(..)``, double-brace ``add(..)``), maps (``{k: v}``, ``Map.of(..)``, double-brace
``put(k, v)``). A bare identifier or dotted name inside a collection is read as its source text, as
BFCL does for variables. Text that is not one whole literal is returned unchanged (a variable name or an
expression), and the type check then decides.

Differences from BFCL's converters, on purpose: commas inside quoted strings do not split elements,
``Array``-of-``String`` elements lose their quotes like ``ArrayList`` ones do, and nested collections
parse at any depth. Never ``eval``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["convert_source_value"]

STRING_TYPES = frozenset({"String", "any", "char", "Any"})
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdDlLn]?")
_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_GENERIC = re.compile(r"\s*<[^<>]*(?:<[^<>]*>[^<>]*)*>")
_MAX_DEPTH = 50


class _NotLiteral(Exception):
    pass


class _Reader:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self, token: str) -> bool:
        self.ws()
        return self.s.startswith(token, self.i)

    def eat(self, token: str) -> None:
        if not self.peek(token):
            raise _NotLiteral(f"expected {token!r} at {self.i}")
        self.i += len(token)

    def maybe(self, token: str) -> bool:
        if self.peek(token):
            self.i += len(token)
            return True
        return False

    def items(self, close: str, depth: int) -> list[Any]:
        out: list[Any] = []
        while not self.maybe(close):
            out.append(self.value(depth + 1))
            if not self.maybe(","):
                self.eat(close)
                break
        return out

    def string(self) -> str:
        quote = self.s[self.i]
        self.i += 1
        chars: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                nxt = self.s[self.i + 1]
                chars.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                self.i += 2
                continue
            self.i += 1
            if c == quote:
                return "".join(chars)
            chars.append(c)
        raise _NotLiteral("unterminated string")

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _NotLiteral("nested too deeply")
        self.ws()
        if self.i >= len(self.s):
            raise _NotLiteral("unexpected end")
        c = self.s[self.i]
        if c in "\"'":
            return self.string()
        if c == "[":
            self.i += 1
            return self.items("]", depth)
        if c == "{":
            self.i += 1
            return self.mapping(depth)
        m = _NUMBER.match(self.s, self.i)
        if m and (c.isdigit() or c in "-."):
            self.i = m.end()
            return _number(m.group(0))
        m = _NAME.match(self.s, self.i)
        if not m:
            raise _NotLiteral(f"unexpected {c!r}")
        self.i = m.end()
        word = m.group(0)
        if word in ("true", "false"):
            return word == "true"
        if word in ("null", "undefined"):
            return None
        if word == "new":
            return self.new(depth)
        if word in ("Arrays.asList", "List.of", "Set.of") and self.maybe("("):
            return self.items(")", depth)
        if word == "Map.of" and self.maybe("("):
            flat = self.items(")", depth)
            return {str(k): v for k, v in zip(flat[::2], flat[1::2], strict=False)}
        return word  # a variable or a constant name: its source text, as BFCL reads it

    def mapping(self, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while not self.maybe("}"):
            self.ws()
            key = self.string() if self.s[self.i : self.i + 1] in ("'", '"') else self.value(depth + 1)
            self.eat(":")
            out[str(key)] = self.value(depth + 1)
            if not self.maybe(","):
                self.eat("}")
                break
        return out

    def new(self, depth: int) -> Any:
        self.ws()
        m = _NAME.match(self.s, self.i)
        if not m:
            raise _NotLiteral("expected a type after 'new'")
        self.i = m.end()
        kind = m.group(0).rsplit(".", 1)[-1]
        g = _GENERIC.match(self.s, self.i)
        if g:
            self.i = g.end()
        if self.maybe("["):  # new int[]{1, 2} / new String[] {"a"}
            self.eat("]")
            self.eat("{")
            return self.items("}", depth)
        self.eat("(")
        args = self.items(")", depth)
        is_map = "Map" in kind or kind == "Hashtable"
        if self.peek("{"):  # double-brace initialisation: {{ add(x); put(k, v); }}
            self.eat("{")
            self.eat("{")
            out: Any = {} if is_map else []
            while not self.maybe("}"):
                verb = _NAME.match(self.s, self.i)
                if not verb or verb.group(0) not in ("add", "put"):
                    raise _NotLiteral("only add(..) / put(..) inside a double-brace initialiser")
                self.i = verb.end()
                self.eat("(")
                call = self.items(")", depth)
                self.maybe(";")
                if is_map and len(call) == 2:
                    out[str(call[0])] = call[1]
                elif not is_map and len(call) == 1:
                    out.append(call[0])
                else:
                    raise _NotLiteral("bad add/put arguments")
                self.ws()
            self.eat("}")
            return out
        if kind == "Array":  # JS new Array(1, 2, 3)
            return args
        if not args:
            return {} if is_map else []
        if len(args) == 1 and isinstance(args[0], list | dict):
            return args[0]  # new ArrayList<>(Arrays.asList(..)), new HashMap<>(Map.of(..))
        raise _NotLiteral(f"cannot read constructor arguments of {kind}")


def _number(token: str) -> int | float:
    suffix = token[-1] if token[-1] in "fFdDlLn" else ""
    body = token[:-1] if suffix else token
    if suffix in ("f", "F", "d", "D") or any(ch in body for ch in ".eE"):
        return float(body)
    return int(body)


def convert_source_value(text: str, param_type: str | None, language: str) -> Any:
    """Read a Java/JavaScript argument string as the value it denotes, given the parameter's type.

    String-typed parameters (``String``, ``any``, ``char``) stay strings; JavaScript ``String`` values
    lose one pair of enclosing quotes, as in BFCL. Anything that is not one whole literal is returned
    as given.
    """
    if param_type in STRING_TYPES:
        stripped = text.strip()
        if (
            language == "javascript"
            and param_type == "String"
            and len(stripped) >= 2
            and stripped[0] == stripped[-1]
            and stripped[0] in "\"'"
        ):
            return stripped[1:-1]
        return text
    reader = _Reader(text)
    try:
        value = reader.value()
        reader.ws()
    except (_NotLiteral, ValueError, RecursionError):
        return text
    if reader.i != len(text):
        return text
    if isinstance(value, str) and _NAME.fullmatch(text.strip()):
        return text  # a bare name is a variable: keep the caller's exact text
    return value
