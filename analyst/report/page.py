"""The report's HTML: one file with plotly.js inlined, so it opens from disk or an e-mail with no network."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1.5rem; color: #1f2933; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d9e2ec; padding-bottom: 0.3rem; }
.meta { color: #52606d; } .why { color: #3e4c59; max-width: 70rem; }
.empty { background: #fff8e1; border: 1px solid #f0c36d; border-radius: 6px; padding: 1rem 1.2rem; }
.empty code, .why code { background: #f0f4f8; padding: 0 0.25rem; border-radius: 3px; }
table.kpis { border-collapse: collapse; margin: 0.8rem 0; }
table.kpis td, table.kpis th { padding: 0.3rem 0.9rem; border-bottom: 1px solid #e4e7eb; text-align: right; }
table.kpis th { text-align: left; font-weight: 500; color: #52606d; }
"""


@dataclass(frozen=True)
class Section:
    title: str
    explanation: str  # HTML: how to read the chart and why to trust it
    figure: go.Figure | None = None
    empty_message: str | None = None  # HTML shown instead of the chart when its data is missing
    extra_html: str = ""

    def render(self, chart_id: str) -> str:
        parts = [f"<section><h2>{html.escape(self.title)}</h2>", f'<p class="why">{self.explanation}</p>']
        if self.figure is not None:
            parts.append(
                pio.to_html(
                    self.figure,
                    full_html=False,
                    include_plotlyjs=False,
                    div_id=chart_id,
                    config={"displaylogo": False, "responsive": True},
                )
            )
        else:
            parts.append(f'<div class="empty" data-empty-section="{chart_id}">{self.empty_message}</div>')
        parts.append(self.extra_html)
        parts.append("</section>")
        return "\n".join(parts)


def render_page(sections: list[Section], docs_href: str, generated_at: dt.datetime) -> str:
    body = "\n".join(section.render(f"chart-{position}") for position, section in enumerate(sections, start=1))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Planning report</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>Supply planning report</h1>
<p class="meta">Generated {generated_at:%Y-%m-%d %H:%M} UTC from the warehouse marts.
What every table and column means, and how it is tested: <a id="docs-link" href="{html.escape(docs_href)}">the
data documentation (dbt docs site)</a> — or run <code>supplychain docs</code> to serve it.</p>
{body}
</body>
</html>
"""
