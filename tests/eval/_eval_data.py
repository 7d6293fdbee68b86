"""Where the evaluation tests find data: the bundled samples, and ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
EVAL = REPO / "src" / "rewardlab" / "data" / "eval"

needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"shared evaluation data not found at {SHARED_DATA}"
)
