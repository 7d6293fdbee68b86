"""Judge tests keep their answer caches in a temporary directory, never in the user's home."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_CACHE_DIR", str(tmp_path / "cache"))
