"""A static HTML document: sections holding paragraphs, key-value lists, tables and figures.

Everything is inline (CSS in a ``<style>`` element, figures as ``data:image/png;base64`` URIs), so the
file opens anywhere, offline, and can be attached to a CI run. Text is escaped; nothing is executed.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:0 0 10px;border-bottom:1px solid #e3e6eb;padding-bottom:6px}
.meta{color:#5b6475;font-size:13px;margin-bottom:18px}
section{background:#fff;border:1px solid #e3e6eb;border-radius:8px;padding:16px 20px;margin:16px 0}
p{line-height:1.5;margin:6px 0 10px}.note{color:#5b6475;font-size:13px}
table{border-collapse:collapse;margin:8px 0 12px;font-size:14px;width:auto}
th,td{border-bottom:1px solid #eceef2;padding:5px 12px;text-align:left;vertical-align:top}
th{background:#f1f3f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:4px 16px;font-size:14px;margin:6px 0 12px}
dl.kv dt{color:#5b6475}dl.kv dd{margin:0;font-variant-numeric:tabular-nums;word-break:break-all}
figure{margin:10px 0 14px}figure img{max-width:100%;height:auto;border:1px solid #eceef2;border-radius:4px}
figcaption{color:#5b6475;font-size:13px;margin-top:4px}
.headline{font-size:30px;font-weight:650}.headline small{font-size:15px;color:#5b6475;font-weight:400}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)


@dataclass
class Section:
    """A titled part of a document; ``add_*`` methods append content in order and return ``self``."""

    title: str
    parts: list[str] = field(default_factory=list)

    def add_text(self, text: str, *, note: bool = False) -> Section:
        cls = ' class="note"' if note else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def add_headline(self, label: str, value: str, detail: str = "") -> Section:
        small = f" <small>{html.escape(detail)}</small>" if detail else ""
        self.parts.append(f'<p class="headline">{html.escape(label)}: {html.escape(value)}{small}</p>')
        return self

    def add_kv(self, items: Mapping[str, Any]) -> Section:
        rows = "".join(
            f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(_fmt(v))}</dd>" for k, v in items.items()
        )
        self.parts.append(f'<dl class="kv">{rows}</dl>')
        return self

    def add_table(
        self, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str = ""
    ) -> Section:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="num">{html.escape(_fmt(c))}</td>'
                if isinstance(c, int | float) and not isinstance(c, bool)
                else f"<td>{html.escape(_fmt(c))}</td>"
                for c in row
            )
            + "</tr>"
            for row in rows
        )
        cap = f"<caption class='note'>{html.escape(caption)}</caption>" if caption else ""
        self.parts.append(f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return self

    def add_png(self, png: bytes, *, caption: str = "", alt: str = "") -> Section:
        data = base64.b64encode(png).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.parts.append(
            f'<figure><img alt="{html.escape(alt or caption)}" src="data:image/png;base64,{data}">{cap}</figure>'
        )
        return self

    def add_figure(self, fig: Any, *, caption: str = "", alt: str = "") -> Section:
        """A matplotlib figure, rendered to PNG (and closed)."""
        from rewardlab.report.figures import to_png

        return self.add_png(to_png(fig), caption=caption, alt=alt)

    def render(self) -> str:
        return f"<section><h2>{html.escape(self.title)}</h2>{''.join(self.parts)}</section>"


@dataclass
class Document:
    """``Document("title").section("Results").add_table(...)``; :meth:`write` saves it atomically."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        sec = Section(title)
        self.sections.append(sec)
        return sec

    def render(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        sub = html.escape(self.subtitle + " · " if self.subtitle else "") + f"generated {stamp} by rewardlab"
        body = "".join(s.render() for s in self.sections)
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(self.title)}</title><style>{CSS}</style></head>"
            f'<body><main><h1>{html.escape(self.title)}</h1><div class="meta">{sub}</div>{body}</main></body></html>'
        )

    def write(self, path: str | Path) -> Path:
        """Write the page to ``path`` (a temporary name renamed at the end: never a half-written file)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
        tmp.write_text(self.render(), encoding="utf-8")
        os.replace(tmp, out)
        return out
