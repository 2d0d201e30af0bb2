"""Headless Chromium against the served dbt docs site and the planning report: pages load without console
errors, the overview is there, search finds fct_sales, its lineage shows its parents, and every chart draws.
Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import json

import pytest

from analyst.docs_site import site_url, start_server
from analyst.report import build_report
from tests.analyst.browser_checks import DRAWN_MARKS_JS, PAINTED_PIXELS_JS, PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]
VIEWPORT = {"width": 1400, "height": 900}
FCT_SALES = "model.supplychain.fct_sales"


@pytest.fixture
def docs_url(docs_site):
    server = start_server(docs_site, port=0)
    yield site_url(server)
    server.shutdown()
    server.server_close()


def test_docs_site_overview_search_and_lineage(docs_url, docs_site, chromium, screenshots):
    page = chromium.new_page(viewport=VIEWPORT)
    watch = PageWatch.attach(page)
    page.goto(docs_url)
    page.wait_for_load_state("networkidle")
    page.get_by_text("How to trust the numbers").wait_for()
    assert "The star schema" in page.inner_text("body")
    page.screenshot(path=screenshots / "docs-overview.png")

    page.fill("#search", "fct_sales")
    result = page.locator(f".search-result[href='#!/model/{FCT_SALES}']")
    result.wait_for()
    assert "fct_sales" in result.inner_text()
    page.screenshot(path=screenshots / "docs-search-fct_sales.png")

    result.click()
    # A hash change fires no load event, so wait for the route itself.
    page.wait_for_function(f"location.hash === '#!/model/{FCT_SALES}'")
    page.locator("[data-launcher] .launcher-btn a").click()  # "View Lineage Graph"
    page.locator("#cy canvas").first.wait_for()
    page.wait_for_timeout(1000)  # the graph lays itself out after it appears
    graph = page.evaluate(
        """() => angular.element(document.body).injector().get('graph').graph.elements
                 .filter(e => e.data && e.data.source).map(e => [e.data.source, e.data.target])"""
    )
    parents = json.loads((docs_site / "manifest.json").read_text())["parent_map"][FCT_SALES]
    assert parents, "fct_sales has no parents in the manifest"
    assert {source for source, target in graph if target == FCT_SALES} == set(parents)
    painted = max(page.eval_on_selector_all("#cy canvas", f"canvases => canvases.map({PAINTED_PIXELS_JS})"))
    assert painted > 0, "the lineage graph drew nothing"
    page.screenshot(path=screenshots / "docs-fct_sales-lineage.png")
    page.close()
    assert not watch.errors, watch.errors


def test_report_renders_every_chart(planning_warehouse, docs_site, chromium, screenshots, tmp_path):
    report = build_report(planning_warehouse, tmp_path / "planning_report.html", docs_site / "index.html")
    page = chromium.new_page(viewport=VIEWPORT)
    watch = PageWatch.attach(page)
    outside = []
    page.on("request", lambda request: request.url.startswith("file:") or outside.append(request.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    charts = page.locator(".js-plotly-plot")
    charts.first.locator("svg.main-svg").first.wait_for()
    assert charts.count() == 6
    for index in range(charts.count()):
        chart = charts.nth(index)
        marks = chart.evaluate(DRAWN_MARKS_JS)
        assert marks > 0, f"chart {chart.get_attribute('id')} drew nothing"
    page.screenshot(path=screenshots / "planning-report.png", full_page=True)
    page.close()
    assert not outside, f"the report fetched from outside its file: {outside}"
    assert not watch.errors, watch.errors
