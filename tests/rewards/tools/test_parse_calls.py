"""Parsing tool calls from completions (rewards.tools.parse) and Java/JS source literals (rewards.tools.lang)."""

from __future__ import annotations

import pytest

from rewardlab.rewards.tools.lang import convert_source_value
from rewardlab.rewards.tools.parse import parse_calls, parse_text

# (completion, expected calls as (name, arguments), expected malformed reasons (prefixes))
CASES = [
    # Hermes / Qwen blocks
    ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
     [("get_weather", {"city": "Paris"})], []),
    ('<think>two calls</think>\n<tool_call>{"name": "a", "arguments": {"x": 1}}</tool_call>\n'
     '<tool_call>{"name": "b", "arguments": {}}</tool_call>', [("a", {"x": 1}), ("b", {})], []),
    # ToolRL writes several calls in one block, one JSON object per line, with "parameters"
    ('<tool_call>\n{"name": "a", "parameters": {"x": 1}}\n{"name": "b", "parameters": {"y": "z"}}\n</tool_call>',
     [("a", {"x": 1}), ("b", {"y": "z"})], []),
    ('<tool_call>[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]</tool_call>',
     [("a", {}), ("b", {})], []),
    ('<tool_call>{"name": "a", "arguments": "{\\"x\\": 2}"}</tool_call>', [("a", {"x": 2})], []),
    ("<tool_call>math.factorial(number=5)</tool_call>", [("math.factorial", {"number": 5})], []),
    ('<tool_call>```json\n{"name": "a", "arguments": {"k": [1, 2]}}\n```</tool_call>', [("a", {"k": [1, 2]})], []),
    ('<tool_call>{"name": "a", "arguments": {x: 1}}</tool_call>', [], ["block is not a JSON call"]),
    ('<tool_call>{"arguments": {}}</tool_call>', [], ["call has no 'name'"]),
    ('<tool_call>{"name": "a", "arguments": [1]}</tool_call>', [], ["'arguments' must be an object"]),
    ('<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_call>{"name": "b", "argu',
     [("a", {})], ["<tool_call> is never closed"]),
    ('{"name": "a"}</tool_call>', [], ["</tool_call> without <tool_call>"]),
    # a bare JSON call (Llama-style), a list of them, fenced
    ('{"name": "search", "arguments": {"q": "rl"}}', [("search", {"q": "rl"})], []),
    ('```json\n[{"name": "a", "arguments": {}}, {"name": "b", "parameters": {"v": true}}]\n```',
     [("a", {}), ("b", {"v": True})], []),
    ('{"name": "search", "arguments": {"q": "rl"', [], ["not valid JSON"]),
    ('{"answer": 42}', [], []),  # JSON, but not a call: an answer
    # Python call syntax (BFCL's format)
    ('[calc_area(base=10, height=5, unit="cm")]', [("calc_area", {"base": 10, "height": 5, "unit": "cm"})], []),
    ("spotify.play(artist='Taylor Swift', duration=20)\nspotify.play(artist='Maroon 5', duration=15)",
     [("spotify.play", {"artist": "Taylor Swift", "duration": 20}),
      ("spotify.play", {"artist": "Maroon 5", "duration": 15})], []),
    ("```python\nf(coords=(1.5, -2), opts={'a': [1, None]}, flag=True)\n```",
     [("f", {"coords": (1.5, -2), "opts": {"a": [1, None]}, "flag": True})], []),
    ("plot(data=df['sales'], n=len(xs), k=-3)", [("plot", {"data": "df['sales']", "n": "len(xs)", "k": -3})], []),
    ("f(1, b=2)", [], ["positional arguments"]),
    ("f(**opts)", [], ["**kwargs cannot be checked"]),
    ("get_data(id=3", [], ["not valid Python call syntax"]),
    ("[f(a=1), g(b=2", [], ["not valid Python call syntax"]),
    ("f()", [("f", {})], []),
    # plain answers: no call, nothing malformed
    ("The capital is Paris (France).", [], []),
    ("Paris(France) is the capital", [], []),
    ("42", [], []),
    ("", [], []),
]  # fmt: skip


@pytest.mark.parametrize(("completion", "calls", "malformed"), CASES)
def test_parse_text_completions(completion: str, calls: list, malformed: list) -> None:
    parsed = parse_calls(completion)
    assert [(c.name, c.arguments) for c in parsed.calls] == calls
    assert len(parsed.malformed) == len(malformed)
    for bad, reason in zip(parsed.malformed, malformed, strict=True):
        assert bad.reason.startswith(reason), bad.reason
    assert all(c.turn == 0 for c in parsed.calls)


def test_messages_openai_calls_text_calls_and_turns() -> None:
    messages = [
        {"role": "assistant", "content": "<tool_call>ignored: the stack extracted the calls</tool_call>",
         "tool_calls": [{"function": {"name": "a", "arguments": '{"x": 1}'}},
                        {"function": {"name": "b", "arguments": "{broken"}}]},
        {"role": "tool", "content": "ok"},
        {"role": "assistant", "content": '<tool_call>{"name": "c", "arguments": {}}</tool_call>'},
        {"role": "tool", "content": "ok"},
        {"role": "assistant", "content": "done"},
    ]  # fmt: skip
    parsed = parse_calls(messages)
    assert [(c.name, c.turn, c.source) for c in parsed.calls] == [("a", 0, "openai"), ("c", 1, "hermes")]
    assert [(m.turn, m.source) for m in parsed.malformed] == [(0, "openai")]
    assert [c.name for c in parsed.upto(0).calls] == ["a"] and len(parsed.upto(0).malformed) == 1


def test_formats_restrict_where_calls_are_read() -> None:
    assert parse_text('<tool_call>{"name": "a", "arguments": {}}</tool_call>', ("python",)) == ([], [])
    assert parse_text("f(a=1)", ("hermes", "json")) == ([], [])
    calls, _ = parse_text("<tool_call>f(a=1)</tool_call>", ("hermes",))  # a Python body needs "python"
    assert calls == []


JAVA = [
    ("true", "boolean", True),
    ("false", "boolean", False),
    ("123", "integer", 123),
    ("-123", "integer", -123),
    ("3.14f", "float", 3.14),
    ("3e3F", "float", 3000.0),
    ("3.14e-2", "double", 0.0314),
    ("123L", "long", 123),
    ("abc", "String", "abc"),
    ('"quoted"', "String", '"quoted"'),  # Java String values are kept as written (BFCL)
    ("123", "any", "123"),
    ("new int[]{1, 2, 3}", "Array", [1, 2, 3]),
    ("new int[] { }", "Array", []),
    ('new String[]{"a", "b, c"}', "Array", ["a", "b, c"]),  # BFCL's regex would split "b, c" and keep quotes
    ('new ArrayList<>(Arrays.asList("a", "b"))', "ArrayList", ["a", "b"]),
    ("new ArrayList<Integer>(Arrays.asList(1, 2, 3))", "ArrayList", [1, 2, 3]),
    ("new ArrayList<Float>() {{ add(1.0f); add(2.0f); }}", "ArrayList", [1.0, 2.0]),
    ("new ArrayList<>()", "ArrayList", []),
    ('new HashMap<String, String>() {{ put("key", "value"); }}', "HashMap", {"key": "value"}),
    ('new HashMap<String, Object>() {{ put("k1", 1); put("k2", true); }}', "HashMap", {"k1": 1, "k2": True}),
    ("new HashMap<>()", "HashMap", {}),
    ('new HashMap<>(Map.of("a", 1, "b", 2))', "HashMap", {"a": 1, "b": 2}),
    ('new Object[]{1, "abc", true}', "Array", [1, "abc", True]),
    ("ResultSet.TYPE_SCROLL_INSENSITIVE", "integer", "ResultSet.TYPE_SCROLL_INSENSITIVE"),  # a variable
    ("a + b", "integer", "a + b"),
]
JAVASCRIPT = [
    ("true", "Boolean", True),
    ("123", "integer", 123),
    ("3.14", "float", 3.14),
    ("123n", "Bigint", 123),
    ("'abc'", "String", "abc"),
    ('"abc"', "String", "abc"),
    ("abc", "String", "abc"),
    ("[1, 'two', true]", "array", [1, "two", True]),
    ("new Array(4, 5, 6)", "array", [4, 5, 6]),
    ("[[1, 2], [3, 4]]", "array", [[1, 2], [3, 4]]),
    ("{'key': 123, 'k2': false}", "dict", {"key": 123, "k2": False}),
    ("{}", "dict", {}),
    ('{"initialState": initialStateObject, "enhancers": ["applyMiddleware", "myMiddleWare"]}', "dict",
     {"initialState": "initialStateObject", "enhancers": ["applyMiddleware", "myMiddleWare"]}),
    ("myItemList", "array", "myItemList"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "ptype", "expected"), JAVA)
def test_java_source_literals(text: str, ptype: str, expected: object) -> None:
    assert convert_source_value(text, ptype, "java") == expected


@pytest.mark.parametrize(("text", "ptype", "expected"), JAVASCRIPT)
def test_javascript_source_literals(text: str, ptype: str, expected: object) -> None:
    assert convert_source_value(text, ptype, "javascript") == expected


def test_deeply_nested_source_is_left_as_text() -> None:
    deep = "[" * 200 + "]" * 200
    assert convert_source_value(deep, "array", "javascript") == deep
