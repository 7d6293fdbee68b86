"""Name registry: every reward a spec can name.

Built-in entries are stored as ``"module:attribute"`` strings and imported on first use, so that listing
the registry (``rewardlab rewards``) or ``import rewardlab`` never imports sympy, sacrebleu and friends.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rewardlab.core.reward import RewardLike, is_reward
from rewardlab.errors import ConfigError, UnknownRewardError


@dataclass(frozen=True)
class Entry:
    name: str
    target: str | Callable[..., Any]  # "pkg.module:factory" or the factory itself
    doc: str
    group: str = "custom"

    def factory(self) -> Callable[..., Any]:
        if callable(self.target):
            return self.target
        module, _, attr = self.target.partition(":")
        factory: Callable[..., Any] = getattr(importlib.import_module(module), attr)
        return factory


_IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class Registry:
    """A mapping from reward names to factories that take keyword options and return a reward."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def register(
        self,
        name: str,
        target: str | Callable[..., Any],
        *,
        doc: str = "",
        group: str = "custom",
        overwrite: bool = False,
    ) -> None:
        if not name or not name.replace("_", "").replace(".", "").isalnum():  # ":" is for import paths
            raise ConfigError(f"reward name must be alphanumeric/underscore, got {name!r}")
        if name in self._entries and not overwrite:
            raise ConfigError(f"reward {name!r} is already registered (pass overwrite=True to replace it)")
        if not doc and callable(target):
            doc = (inspect.getdoc(target) or "").split("\n")[0]
        self._entries[name] = Entry(name, target, doc, group)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or (isinstance(name, str) and _IMPORT_PATH.fullmatch(name) is not None)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[n] for n in self.names()]

    def get(self, name: str) -> Entry:
        """The entry for ``name``. ``"package.module:Factory"`` names any importable reward factory."""
        if name in self._entries:
            return self._entries[name]
        if _IMPORT_PATH.fullmatch(name):
            entry = Entry(name, name, doc=f"imported from {name}", group="import")
            try:
                entry.factory()
            except (ImportError, AttributeError) as exc:
                raise UnknownRewardError(
                    f"cannot import reward {name!r}: {type(exc).__name__}: {exc}"
                ) from None
            return entry
        raise UnknownRewardError(unknown_name_message(name, self.names()))

    def option_problems(self, name: str, options: Mapping[str, Any]) -> list[str]:
        """Problems with ``options`` for reward ``name`` found without building it (unknown option names)."""
        factory = self.get(name).factory()
        params = _accepted_params(factory)
        if params is None:
            return []
        return [
            f"reward {name!r} has no option {key!r} (options: {', '.join(sorted(params)) or 'none'})"
            for key in options
            if key not in params
        ]

    def build(self, name: str, **options: Any) -> RewardLike:
        """The reward ``name`` built with ``options``; option names are checked against the factory first."""
        problems = self.option_problems(name, options)
        if problems:
            raise ConfigError(problems, where=f"options for {name!r}")
        factory = self.get(name).factory()
        try:
            reward = factory(**options)
        except (TypeError, ValueError) as exc:
            raise ConfigError(str(exc), where=f"options for {name!r}") from exc
        if getattr(reward, "name", None) in (None, "reward"):
            reward.name = name
        if not is_reward(reward):
            raise ConfigError(
                f"factory of {name!r} returned {type(reward).__name__}, not a reward (a callable with a `name`)"
            )
        return reward


def _accepted_params(factory: Callable[..., Any]) -> set[str] | None:
    if dataclasses.is_dataclass(factory):
        return {f.name for f in dataclasses.fields(factory) if f.init}
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return {n for n, p in sig.parameters.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def unknown_name_message(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown reward {name!r}{hint} (run `rewardlab rewards` to list all)"


REGISTRY = Registry()


def register(
    name: str, target: str | Callable[..., Any] | None = None, *, doc: str = "", overwrite: bool = False
) -> Any:
    """Register a reward factory under ``name``; usable as a decorator on a class or function."""
    if target is None:

        def deco(obj: Callable[..., Any]) -> Callable[..., Any]:
            REGISTRY.register(name, obj, doc=doc, overwrite=overwrite)
            return obj

        return deco
    REGISTRY.register(name, target, doc=doc, overwrite=overwrite)
    return target
