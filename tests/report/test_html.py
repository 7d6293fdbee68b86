"""The generic HTML document: escaped text, tables, embedded figures, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardlab.report import Document


def test_document_sections_tables_and_escaping(tmp_path: Path) -> None:
    doc = Document("t <1>", subtitle="s")
    sec = doc.section("Results & more")
    sec.add_text("a <b> & c").add_kv({"x": 0.123456, "y": None}).add_table(
        ["k", "v"], [["<i>", 1.5], ["z", 2]]
    )
    page = doc.render()
    assert "t &lt;1&gt;" in page and "a &lt;b&gt; &amp; c" in page and "&lt;i&gt;" in page
    assert "0.1235" in page and "–" in page and '<td class="num">1.5</td>' in page
    path = doc.write(tmp_path / "sub" / "r.html")
    assert path.read_text() == page or path.read_text().startswith("<!DOCTYPE html>")
    assert not list((tmp_path / "sub").glob(".*partial"))


def test_figures_are_embedded_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from rewardlab.report import figures

    doc = Document("figs")
    sec = doc.section("plots")
    sec.add_figure(
        figures.bars_with_intervals(["a", "b"], [0.5, 0.7], [[0.4, 0.6], [0.6, 0.8]], baseline=[0.5, 0.5])
    )
    sec.add_figure(figures.heatmap([[0.1, 0.2], [0.3, 0.9]], rows=["r1", "r2"], cols=["c1", "c2"]))
    sec.add_figure(figures.curves([1, 2, 3], {"a": [0.1, 0.2, None]}, xlabel="k", ylabel="acc"))
    sec.add_figure(figures.two_distributions([1, 2, 3], [2, 3, 4], labels=("x", "y")))
    page = doc.render()
    assert page.count("data:image/png;base64,iVBOR") == 4
