"""Trainer integration tests: each trainer's own code, in its own cached virtualenv (see _trainer_envs).

They run in the default suite (``make test``): a trainer release that breaks an adapter must turn CI red.
``pytest -m 'not integration'`` leaves them out of a quick local loop. The first run builds the
virtualenvs (minutes); later runs reuse them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().parent == HERE:
            item.add_marker(pytest.mark.integration)
            # the first run builds the trainer's virtualenv inside a fixture (about 1-2 minutes each)
            item.add_marker(pytest.mark.timeout(1800))
