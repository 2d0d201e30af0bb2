"""What the browser tests watch on a page: console errors, failed requests, and whether a chart drew anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

# Requests the dbt docs site itself gets wrong, ignored by name so that nothing else is:
# - its favicon link is an unexpanded webpack template (`${require('./assets/favicons/favicon.ico')}`);
# - a few <img src="{{ getIcon(...) }}"> tags in its bundled index.html are fetched before Angular fills them in.
KNOWN_DBT_DOCS_404S = ("favicon.ico", "{{ getIcon(")


@dataclass
class PageWatch:
    """Console errors and failed requests of a page, except the dbt docs site's known 404s."""

    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, page) -> PageWatch:
        watch = cls()
        page.on("console", watch._console)
        page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: watch._failed(request.url, request.failure))
        page.on("response", lambda response: response.status >= 400 and watch._failed(response.url, response.status))
        return watch

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = unquote(message.location.get("url", ""))
        text = f"console: {message.text} ({url})"
        (self.ignored if _known(url) else self.errors).append(text)

    def _failed(self, url: str, why) -> None:
        text = f"request: {unquote(url)} ({why})"
        (self.ignored if _known(unquote(url)) else self.errors).append(text)


def _known(url: str) -> bool:
    return any(marker in url for marker in KNOWN_DBT_DOCS_404S)


# Marks plotly drew inside a chart: bar, scatter and Sankey traces, and their points.
DRAWN_MARKS_JS = """
(chart) => {
    const svg = chart.querySelector('svg.main-svg');
    if (!svg) return 0;
    const marks = chart.querySelectorAll(
        '.barlayer .point path, .scatterlayer .trace path.js-line, .scatterlayer .point, .scatterlayer path.js-fill,'
        + ' .sankey .sankey-link, .sankey .sankey-node rect');
    return Array.from(marks).filter(mark => {
        const box = mark.getBBox();
        return box.width > 0 || box.height > 0;
    }).length;
}
"""

# Pixels a canvas painted (any non-transparent one).
PAINTED_PIXELS_JS = """
(canvas) => {
    if (!canvas.width || !canvas.height) return 0;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return painted;
}
"""
