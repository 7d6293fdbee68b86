"""The ``"sql"`` reward: execution match of a predicted query against the gold one, on a real SQLite file.

``sample.reference`` is ``{"db_path": "<file>.sqlite", "sql": "<gold query>"}``, or ``{"db_id": ...,
"sql": ...}`` with ``db_dir`` in the reference or as an option (Spider layout ``<db_dir>/<db_id>/<db_id>.sqlite``
or flat ``<db_dir>/<db_id>.sqlite``). The steps, each public and tested on its own:

1. :func:`extract_sql` takes the query from the completion (its ``<answer>`` block if it has one): the
   last ```` ```sql ```` fence, else the last fence of any language, else the raw text; trailing ``;``
   removed. No query -> 0.0 with ``info["reason"] = "no_sql"``.
2. Both queries run read-only with a statement timeout and a row cap
   (:func:`~rewardlab.rewards.sql.execute.run_query`). A gold query that fails, times out or returns too
   many rows is an error (raised, recorded by the runner): the reward cannot know the answer. A
   predicted query that fails scores 0.0 with the error in ``info["pred_error"]``.
3. :func:`~rewardlab.rewards.sql.match.results_match` decides the execution match (row order only when
   the gold has a top-level ``ORDER BY``; duplicates as multisets; float tolerance).

The score is the execution match (1.0 or 0.0). ``components`` always holds the execution match and
Reasoning-SQL's partial rewards: ``syntax`` (sqlglot parses it), ``executable`` (SQLite ran it),
``schema`` (Jaccard of tables and columns used) and ``ngram`` (Jaccard of token bigrams). With
``weights`` (e.g. ``{"execution": 3, "syntax": 1, "schema": 1, "ngram": 1}``) the score is instead the
weighted sum of those components.

Differences from the anchors, and why:

- Spider's ``evaluation.py`` compares each selected column's values as lists, so row order always
  matters; test-suite-sql-eval orders only when ``"order by"`` occurs anywhere in the gold text (a
  subquery's ``ORDER BY ... LIMIT 1`` counts) and accepts any column permutation. Here order matters for
  a top-level ``ORDER BY`` only (sqlglot), and columns compare by position unless
  ``column_order="any"``: on the 470 labelled Spider predictions in ``../shared/data`` positional columns
  agree with every label, permutations would not.
- Reasoning-SQL sums its partial rewards (syntax check, schema linking, n-gram similarity, and AI
  feedback from an LLM judge) with the execution reward. Here the partial rewards are reported as
  components and enter the score only through explicit ``weights``; the judge belongs to
  ``rewardlab.judges``. Because sqlglot alone accepts some queries SQLite rejects, the syntax check is
  split in two: ``syntax`` (the sqlglot parse) and ``executable`` (SQLite ran it).
- verl's ``reward_score`` package has no SQL scorer; public text-to-SQL GRPO scripts typically open the
  database writable, bound queries with ``func_timeout`` threads (which cannot interrupt SQLite) and turn
  every exception into 0.0. Here the connection is read-only, the deadline is SQLite's own progress
  handler, and a broken gold query is an error.

Gold results are cached per process (``cache_size`` entries): in GRPO every completion of a group shares
the gold query. Set the runner's ``timeout`` above twice ``query_timeout`` (gold plus predicted query).
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.rewards.sql.execute import QueryError, Rows, run_query
from rewardlab.rewards.sql.match import gold_orders, results_match
from rewardlab.rewards.sql.partial import jaccard, ngram_similarity, parse_sql, schema_items

COMPONENTS = ("execution", "syntax", "executable", "schema", "ngram")
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:[ \t]*([\w+-]+)[ \t]*\n|[ \t]*\n?)(.*?)```", re.DOTALL)
_OPEN_FENCE = re.compile(r"```[ \t]*(?:sql|sqlite)[ \t]*\n(.*)\Z", re.DOTALL | re.IGNORECASE)


def extract_sql(text: str) -> tuple[str, str] | None:
    """``(query, source)`` from a completion, ``source`` in ``"sql_fence"``, ``"fence"``, ``"raw"``; or None."""
    if not isinstance(text, str):
        raise TypeError(f"extract_sql expects a string, got {type(text).__name__}")
    answers = _ANSWER.findall(text)
    if answers:
        text = answers[-1]
    fences = _FENCE.findall(text)
    sql_fences = [body for lang, body in fences if lang.lower() in ("sql", "sqlite")]
    if sql_fences:
        body, source = sql_fences[-1], "sql_fence"
    elif fences:
        body, source = fences[-1][1], "fence"
    elif (m := _OPEN_FENCE.search(text)) is not None:  # a fence the completion never closed
        body, source = m.group(1), "sql_fence"
    else:
        body, source = text, "raw"
    query = body.strip()
    while query.endswith(";"):
        query = query[:-1].rstrip()
    return (query, source) if query else None


@dataclass(frozen=True, slots=True)
class _Gold:
    rows: Rows
    ordered: bool
    items: frozenset[str] | None


def _positive(owner: str, option: str, value: Any, *, integer: bool = False, zero_ok: bool = False) -> None:
    kinds = int if integer else int | float
    ok = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero_ok):
        what = "an integer" if integer else "a number"
        raise ValueError(
            f"`{option}` of {owner} must be {what} {'>= 0' if zero_ok else '> 0'}, got {value!r}"
        )


class SqlReward(Reward):
    """Execution match of the completion's SQL with ``reference["sql"]`` on ``reference``'s database.

    Options: ``query_timeout`` (seconds per query, default 5), ``max_rows`` (row cap, default 10000),
    ``rel_tol`` / ``abs_tol`` (number tolerance), ``column_order`` (``"strict"`` or ``"any"``),
    ``ngram_n`` (n of the n-gram similarity, default 2), ``weights`` (None: the score is the execution
    match; a dict over ``execution, syntax, executable, schema, ngram``: the weighted sum), ``db_dir``
    (where ``db_id`` references live), ``cache_size`` (gold results kept per process), ``db_roots``
    (None: any path; a list: databases must resolve under one of these directories, and a reference's
    own ``db_dir`` is ignored; the server sets it).
    """

    name = "sql"
    preload = ("sqlglot",)

    def __init__(
        self,
        query_timeout: float = 5.0,
        max_rows: int = 10_000,
        rel_tol: float = 1e-6,
        abs_tol: float = 1e-9,
        column_order: str = "strict",
        ngram_n: int = 2,
        weights: dict[str, float] | None = None,
        db_dir: str | None = None,
        cache_size: int = 1024,
        db_roots: list[str] | None = None,
    ) -> None:
        _positive("sql", "query_timeout", query_timeout)
        _positive("sql", "max_rows", max_rows, integer=True)
        _positive("sql", "rel_tol", rel_tol, zero_ok=True)
        _positive("sql", "abs_tol", abs_tol, zero_ok=True)
        _positive("sql", "ngram_n", ngram_n, integer=True)
        _positive("sql", "cache_size", cache_size, integer=True, zero_ok=True)
        if column_order not in ("strict", "any"):
            raise ValueError(f"`column_order` of sql must be 'strict' or 'any', got {column_order!r}")
        if weights is not None:
            if not isinstance(weights, Mapping) or not weights:
                raise ValueError(
                    f"`weights` of sql must be a non-empty table of component weights, got {weights!r}"
                )
            unknown = sorted(set(weights) - set(COMPONENTS))
            if unknown:
                raise ValueError(
                    f"`weights` of sql has unknown component(s) {unknown}; components: {list(COMPONENTS)}"
                )
            for key, w in weights.items():
                if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w):
                    raise ValueError(
                        f"`weights` of sql: weight of {key!r} must be a finite number, got {w!r}"
                    )
            weights = {k: float(v) for k, v in weights.items()}
        if db_dir is not None and not isinstance(db_dir, str | Path):
            raise ValueError(f"`db_dir` of sql must be a directory path or None, got {db_dir!r}")
        if db_roots is not None and (
            isinstance(db_roots, str | Path) or not all(isinstance(r, str | Path) for r in db_roots)
        ):
            raise ValueError(f"`db_roots` of sql must be a list of directories or None, got {db_roots!r}")
        self.query_timeout = float(query_timeout)
        self.max_rows = max_rows
        self.rel_tol = float(rel_tol)
        self.abs_tol = float(abs_tol)
        self.column_order = column_order
        self.ngram_n = ngram_n
        self.weights = weights
        self.db_dir = str(db_dir) if db_dir is not None else None
        self.cache_size = cache_size
        self.db_roots = [str(r) for r in db_roots] if db_roots is not None else None
        self._gold_cache: OrderedDict[tuple[str, str], _Gold] = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    # -- reference and gold -------------------------------------------------------------------------
    def db_path(self, reference: Mapping[str, Any]) -> Path:
        """The database file a reference names (``db_path``, or ``db_id`` under a ``db_dir``), checked
        against ``db_roots`` when set (a server sets them: a client may not open any file on the host)."""
        path = self._named_path(reference)
        if self.db_roots is not None:
            real = path.resolve()
            if not any(real.is_relative_to(Path(root).resolve()) for root in self.db_roots):
                raise PermissionError(
                    f"database {str(path)!r} is outside the allowed roots ({', '.join(self.db_roots) or 'none'})"
                )
        return path

    def _named_path(self, reference: Mapping[str, Any]) -> Path:
        if isinstance(reference.get("db_path"), str | Path):
            return Path(reference["db_path"])
        base = self.db_dir if self.db_roots is not None else (reference.get("db_dir") or self.db_dir)
        db_id = reference.get("db_id")
        if not isinstance(db_id, str) or not db_id:
            raise ValueError(
                "sql reference needs 'db_path', or 'db_id' with a 'db_dir' (reference or option)"
            )
        if base is None:
            raise ValueError(
                f"sql reference names db_id {db_id!r} but no db_dir (set it in the reference or as option)"
            )
        nested, flat = Path(base) / db_id / f"{db_id}.sqlite", Path(base) / f"{db_id}.sqlite"
        if nested.is_file() or not flat.is_file():
            if not nested.is_file():
                raise FileNotFoundError(f"database {db_id!r} not found: neither {nested} nor {flat} exists")
            return nested
        return flat

    def _gold(self, path: Path, sql: str) -> _Gold:
        key = (str(path.resolve()), sql)
        hit = self._gold_cache.get(key)
        if hit is not None:
            self._gold_cache.move_to_end(key)
            return hit
        try:
            rows = run_query(path, sql, timeout=self.query_timeout, max_rows=self.max_rows)
        except QueryError as exc:
            raise QueryError(exc.kind, f"gold query failed on {path.name}: {exc}") from None
        tree = parse_sql(sql)
        gold = _Gold(rows=rows, ordered=gold_orders(sql, tree), items=schema_items(tree))
        if self.cache_size:
            self._gold_cache[key] = gold
            if len(self._gold_cache) > self.cache_size:
                self._gold_cache.popitem(last=False)
        return gold

    # -- scoring -------------------------------------------------------------------------------------
    def compute(self, sample: Sample) -> RewardResult:
        ref = sample.reference
        if not isinstance(ref, Mapping) or not isinstance(ref.get("sql"), str) or not ref["sql"].strip():
            raise ValueError(
                "sql reference must be a dict with the gold query in 'sql' and 'db_path' (or 'db_id')"
            )
        path = self.db_path(ref)
        gold_sql = ref["sql"]
        gold = self._gold(path, gold_sql)
        found = extract_sql(sample.completion_text)
        if found is None:
            return self._result(dict.fromkeys(COMPONENTS, 0.0), {"reason": "no_sql"})
        pred_sql, source = found
        info: dict[str, Any] = {"sql": pred_sql[:2000], "source": source, "ordered": gold.ordered}
        tree = parse_sql(pred_sql)
        comps = {
            "syntax": float(tree is not None),
            "ngram": ngram_similarity(pred_sql, gold_sql, self.ngram_n),
        }
        pred_items = schema_items(tree)
        comps["schema"] = (
            jaccard(pred_items, gold.items) if pred_items is not None and gold.items is not None else 0.0
        )
        try:
            rows = run_query(path, pred_sql, timeout=self.query_timeout, max_rows=self.max_rows)
        except QueryError as exc:
            info["pred_error"] = str(exc)[:500]
            info["pred_error_kind"] = exc.kind
            comps.update(execution=0.0, executable=0.0)
            return self._result(comps, info)
        comps["executable"] = 1.0
        comps["execution"] = float(
            results_match(
                gold.rows,
                rows,
                ordered=gold.ordered,
                rel_tol=self.rel_tol,
                abs_tol=self.abs_tol,
                column_order=self.column_order,
            )
        )
        info["rows"] = len(rows)
        return self._result(comps, info)

    def _result(self, comps: dict[str, float], info: dict[str, Any]) -> RewardResult:
        comps = {k: comps[k] for k in COMPONENTS}
        if self.weights is None:
            score = comps["execution"]
        else:
            score = sum(w * comps[k] for k, w in self.weights.items())
        return RewardResult(score=score, components=comps, info=info)
