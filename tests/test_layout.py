"""The shape of the package: no import circles, the layers of DESIGN.md, faces that export what they say.

The import graph is read from the source (every ``import`` statement, those inside functions too), so a
lazy import that closes a circle counts as one.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import rewardlab as rl

SRC = Path(rl.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _graph() -> dict[str, set[str]]:
    """``module -> rewardlab modules it imports`` (``from pkg import sub`` counts as importing ``pkg.sub``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                    ).strip(".")
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _is_face_of(a: str, b: str) -> bool:
    """``a`` is the package ``__init__`` of ``b`` (a face re-exporting its submodule)."""
    return b.startswith(a + ".")


def test_no_import_circles_between_modules() -> None:
    graph = _graph()
    # A package face importing its own submodules is how faces work; a submodule importing its face is not
    # allowed (that would be a circle), so drop only face -> own-submodule edges.
    pruned = {m: {t for t in ts if not _is_face_of(m, t)} for m, ts in graph.items()}
    assert _cycles(pruned) == []


def test_submodules_never_import_their_own_package_face() -> None:
    graph = _graph()
    bad = sorted(
        (m, t) for m, ts in graph.items() for t in ts if _is_face_of(t, m) and t not in ("rewardlab",)
    )
    assert bad == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (
            "rewardlab.core",
            ("runner", "serve", "cli", "adapters", "client", "rewards", "batch", "demo", "models"),
        ),
        ("rewardlab.rewards", ("runner", "serve", "cli", "adapters", "client", "batch", "demo", "models")),
        ("rewardlab.runner", ("serve", "cli", "adapters", "client", "batch", "demo", "rewards")),
        ("rewardlab.credit", ("runner", "serve", "cli", "adapters", "client", "rewards")),
        ("rewardlab.sandbox", ("runner", "serve", "cli", "adapters", "client", "rewards", "core")),
        # metrics are pure functions: numpy and the standard library (and the errors module) only
        (
            "rewardlab.eval.metrics",
            (
                "core",
                "runner",
                "serve",
                "cli",
                "adapters",
                "client",
                "rewards",
                "batch",
                "demo",
                "report",
                "credit",
                "sandbox",
                "eval.datasets",
                "eval.run",
                "eval.probes",
            ),
        ),
        # readers and probes turn files into plain records: no scoring, no rewards
        (
            "rewardlab.eval.datasets",
            (
                "runner",
                "serve",
                "cli",
                "adapters",
                "client",
                "rewards",
                "batch",
                "demo",
                "report",
                "eval.run",
            ),
        ),
        (
            "rewardlab.eval.probes",
            ("runner", "serve", "cli", "adapters", "client", "rewards", "batch", "report"),
        ),
        # scoring a benchmark goes through the runner; rendering it is the report's job
        ("rewardlab.eval", ("serve", "cli", "adapters", "client", "batch", "demo", "report")),
        # judges call a model and read verdicts: beside rewards, below the runner
        (
            "rewardlab.judges",
            ("runner", "serve", "cli", "adapters", "client", "batch", "demo", "report", "rewards", "eval"),
        ),
        # the report renders what it is given: it never scores (nor trains)
        (
            "rewardlab.report",
            ("runner", "serve", "cli", "adapters", "client", "rewards", "batch", "demo", "models"),
        ),
        # the audit reads files and judges series: no scoring, no rendering (the report draws its results)
        (
            "rewardlab.audit",
            ("runner", "serve", "cli", "adapters", "client", "rewards", "batch", "demo", "report", "eval"),
        ),
        # detectors are pure functions of a series: not even the readers
        ("rewardlab.audit.detectors", ("io", "audit.readers", "audit.run", "core")),
        # learned reward models sit beside rewards: core, errors, plain file reading (io, eval.datasets)
        # and torch/transformers (lazily); scoring many samples is the runner's job, plotting the report's
        (
            "rewardlab.models",
            (
                "runner",
                "serve",
                "cli",
                "adapters",
                "client",
                "rewards",
                "batch",
                "demo",
                "report",
                "credit",
                "sandbox",
                "eval.run",
                "eval.probes",
            ),
        ),
    ],
)
def test_layers_import_only_downwards(layer: str, forbidden: tuple[str, ...]) -> None:
    graph = _graph()
    bad = sorted(
        (m, t)
        for m, ts in graph.items()
        if m == layer or m.startswith(layer + ".")
        for t in ts
        if any(t == f"rewardlab.{f}" or t.startswith(f"rewardlab.{f}.") for f in forbidden)
    )
    assert bad == []


def test_reward_families_are_packages_without_prefixed_files() -> None:
    flat = sorted(p.stem for p in (SRC / "rewards").glob("*.py"))
    families = {p.name for p in (SRC / "rewards").iterdir() if (p / "__init__.py").is_file()}
    assert {"math", "tools", "gui", "sql"} <= families
    assert [f for f in flat if any(f.startswith(fam + "_") for fam in families)] == []


@pytest.mark.parametrize(
    ("face", "names"),
    [
        ("rewardlab.rewards.math", ("MathReward", "parse", "verify", "parse_reference")),
        ("rewardlab.rewards.tools", ("ToolCallReward", "BfclReward", "parse_calls", "match_calls")),
        ("rewardlab.rewards.gui", ("GuiPoint", "GuiIoU", "GuiGaussian", "GuiAction", "parse_location")),
        ("rewardlab.rewards.sql", ("SqlReward", "extract_sql", "run_query", "results_match")),
        ("rewardlab.runner", ("Runner", "RayRunner", "make_runner", "RunnerSettings", "score_one")),
        ("rewardlab.sandbox", ("SandboxPool", "JudgePlan", "SandboxError")),
        (
            "rewardlab.models",
            ("RewardModel", "TrainSettings", "train_reward_model", "load_model", "read_ranked"),
        ),
    ],
)
def test_faces_export_their_public_names(face: str, names: tuple[str, ...]) -> None:
    module = importlib.import_module(face)
    for name in names:
        assert name in module.__all__ and getattr(module, name) is not None, f"{face}.{name}"


def test_every_registered_builtin_resolves_to_its_face() -> None:
    from rewardlab.rewards import BUILTINS

    for name, (target, _, _) in BUILTINS.items():
        module, _, attr = target.partition(":")
        assert getattr(importlib.import_module(module), attr), name
        assert not any(part.startswith(("tools_", "gui_", "sql_")) for part in module.split(".")), name


def test_models_import_torch_and_transformers_only_inside_functions() -> None:
    """``import rewardlab.models`` (and every module in it) must work without torch installed."""
    for path in sorted((SRC / "models").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
        heavy = [
            m for m in names if m.split(".")[0] in ("torch", "transformers", "safetensors", "tokenizers")
        ]
        assert heavy == [], f"{path.name} imports {heavy} at module level"
