"""Reports: terminal summaries of scored rows, and static HTML documents with tables and figures.

- :class:`Summary` / :func:`print_summary`: mean/std per component, error rate, throughput (rich);
- :class:`Document`: a static, self-contained HTML page built from sections, tables and figures
  (matplotlib, drawn with the Agg backend and embedded as base64 PNG: no CDN, no script, readable offline);
- :mod:`rewardlab.report.figures`: the plots the reports use (intervals, distributions, curves, heat maps).

The HTML and figure parts import matplotlib only when a figure is drawn.
"""

from __future__ import annotations

from rewardlab.report.html import Document, Section
from rewardlab.report.summary import Summary, print_summary

__all__ = ["Document", "Section", "Summary", "print_summary"]
