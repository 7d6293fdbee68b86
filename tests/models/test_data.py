"""Training rows: every bad row reported with its index and reason; skip or fatal by option."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rewardlab.errors import ConfigError
from rewardlab.models.data import read_ranked

ROWS = [
    {"chosen": "\n\nHuman: hi\n\nAssistant: hello", "rejected": "\n\nHuman: hi\n\nAssistant: go away"},
    {"chosen": "only chosen"},
    {"chosen": "\n\nHuman: hi\n\nAssistant:   ", "rejected": "\n\nHuman: hi\n\nAssistant: no"},
    {"prompt": "q", "chosen": "same", "rejected": "same"},
    {"prompt": "q", "chosen": "a", "rejected": "b", "margin": "big"},
    {"prompt": "q", "chosen": "a", "rejected": "b", "margin": 1.5},
    {"prompt": "q", "responses": ["worse", "best", "worst"], "label": 1},
    {"prompt": "q", "responses": ["x", "y"], "label": 5},
    {"chosen": "", "rejected": "b"},
]


def write(path: Path, rows: list[object], *, extra: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + extra, encoding="utf-8")
    return path


def test_bad_rows_have_index_and_reason(tmp_path: Path) -> None:
    data = read_ranked(write(tmp_path / "d.jsonl", ROWS, extra="{not json\n"))
    assert [r.index for r in data.rows] == [0, 5, 6]
    reasons = {b.index: b.reason for b in data.bad}
    assert reasons == {
        1: "missing column 'rejected'",
        2: "empty response: the preferred response's last reply is empty",
        3: "chosen equals rejected: the preferred response is identical to a rejected one",
        4: "bad margin: 'margin' must be a finite number, got 'big'",
        7: "bad label: 'label' must index the best response (0..1), got 5",
        8: "empty response: 'chosen' is blank",
        9: reasons[9],
    }
    assert reasons[9].startswith("unreadable: line 10: invalid JSON")
    report = data.report()
    assert report["bad_rows"] == 7 and report["rows"] == 3
    assert report["bad_by_reason"]["empty response"] == 2


def test_margin_and_listwise_order(tmp_path: Path) -> None:
    data = read_ranked(write(tmp_path / "d.jsonl", ROWS))
    by_index = {r.index: r for r in data.rows}
    assert by_index[5].margin == 1.5 and by_index[0].margin == 0.0
    assert by_index[6].responses == ("best", "worse", "worst")  # the labelled best first


def test_on_bad_error_lists_every_bad_row(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        read_ranked(write(tmp_path / "d.jsonl", ROWS), on_bad="error")
    assert len(exc.value.problems) == 6
    assert exc.value.problems[0] == "row 1: missing column 'rejected'"


def test_gzip_and_parquet(tmp_path: Path) -> None:
    good = [ROWS[0], ROWS[5]]
    gz = tmp_path / "d.jsonl.gz"
    gz.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in good).encode()))
    assert len(read_ranked(gz).rows) == 2
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"chosen": ["a", "b"], "rejected": ["c", "b"]}), tmp_path / "d.parquet")
    data = read_ranked(tmp_path / "d.parquet")
    assert len(data.rows) == 1 and data.bad[0].index == 1
