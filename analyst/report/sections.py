"""The report's sections in reading order: what each chart shows, why to trust it, or which command fills it."""

from __future__ import annotations

import html

import pandas as pd

from analyst.report import charts
from analyst.report.data import PlanningData
from analyst.report.page import Section

NO_FORECAST = "No forecasts yet — run <code>supplychain forecast</code> (missing or empty: {tables})."
NO_PLAN = "No plan yet — run <code>supplychain optimize</code> (missing or empty: {tables})."
NO_ACCURACY_BY_LAG = (
    "No past forecast scored yet: each forecast run is kept (fct_demand_forecast_vintages) and scored here by how "
    "far ahead it was made once the weeks it forecast are over."
)
NO_SIMULATION = (
    "No simulation yet — every <code>supplychain optimize</code> replays held-out demand under its policy "
    "(<code>--evaluate</code> for the full sweep; missing or empty: {tables})."
)


def planning_sections(data: PlanningData) -> list[Section]:
    no_forecast = NO_FORECAST.format(tables=html.escape(", ".join(data.missing.get("forecasts", []))))
    no_plan = NO_PLAN.format(tables=html.escape(", ".join(data.missing.get("plan", []))))
    no_simulation = NO_SIMULATION.format(tables=html.escape(", ".join(data.missing.get("simulation", []))))
    return [
        Section(
            "Top products: actual vs forecast",
            "Weekly units of the best-selling products over the last year (all warehouses), then the forecast with "
            "its 80% and 95% prediction intervals. The intervals are conformal, measured on backtest errors; "
            "added up across warehouses they err on the wide side.",
            charts.actual_vs_forecast(
                data.product_history, data.product_forecast, ["product_label"], 2, "Top products by volume"
            ),
            extra_html="" if data.has_forecasts else f'<div class="empty">{no_forecast}</div>',
        ),
        Section(
            "Category x region: actual vs forecast",
            "The same for every category and region: the level planners commit capacity at.",
            charts.actual_vs_forecast(
                data.segment_history, data.segment_forecast, ["category", "region_code"], 4, "Category x region"
            ),
            extra_html="" if data.has_forecasts else f'<div class="empty">{no_forecast}</div>',
        ),
        Section(
            "Forecast accuracy against the baselines",
            "Accuracy is 1 - WAPE on the held-out backtest window, which the method was not chosen on. A forecast is "
            "worth using where it beats both baselines (last year's same week, and the recent average).",
            charts.accuracy_vs_baselines(data.accuracy) if data.has_forecasts else None,
            no_forecast,
        ),
        Section(
            "Inventory position by warehouse",
            "From the latest inventory policy: safety stock covers demand uncertainty over the lead time; overstock "
            "is stock above the target level, deficit the shortfall below the reorder point.",
            charts.inventory_position(data.inventory) if data.has_plan else None,
            no_plan,
        ),
        Section(
            "Reallocation plan",
            "Transfers between warehouses in the latest plan; the width of a flow is the units moved.",
            charts.transfer_flows(data.transfers) if data.has_plan and not data.transfers.empty else None,
            no_plan if not data.has_plan else "The latest plan moves no stock: every warehouse is within its levels.",
            extra_html=_run_summary(data.run_summary) + _moves_table(data.moves) if data.has_plan else "",
        ),
        Section(
            "Stock-outs and overstock with and without the plan",
            "Each policy replayed day by day on held-out weeks of actual demand it was not fitted on; the baseline "
            "replays the ERP's own replenishment with no transfers. Overstock is judged in hindsight, the same for "
            "every policy: stock beyond what the actual demand of the next lead time plus review period needed. "
            "Targets: 20% fewer stock-outs and 12% less overstock than the baseline.",
            charts.simulation_outcomes(data.simulation) if data.has_simulation else None,
            no_simulation,
            extra_html=_proof_table(data.simulation) if data.has_simulation else "",
        ),
        # Last, so the charts above keep their ids (chart-1 ... chart-6) whether or not this one has data.
        Section(
            "Forecast accuracy by lag over time",
            "Every forecast run is kept; once a week it forecast is over, its forecast made 1, 2, 4 and 8 weeks "
            "ahead is scored against what sold (forecast_accuracy_by_lag). Accuracy is 1 - WAPE over all series; "
            "bias is positive when the forecast ran high; coverage is the share of weeks inside the 80% interval; "
            "value added is the share of the naive forecast's error (the last actual week repeated) it removed.",
            charts.accuracy_by_lag(data.accuracy_by_lag) if not data.accuracy_by_lag.empty else None,
            NO_ACCURACY_BY_LAG,
            extra_html=_lag_table(data.accuracy_by_lag_totals),
        ),
    ]


def _lag_table(totals: pd.DataFrame) -> str:
    """Per lag, over every week scored so far (saved query forecast_accuracy_by_lag: ratios of the sums, so a busy
    week weighs by its units rather than counting as one more weekly ratio)."""
    if totals.empty:
        return ""
    header = "<tr><th>weeks ahead</th><th>weeks scored</th><th>accuracy</th><th>bias</th><th>80% coverage</th>"
    header += "<th>value added</th></tr>"
    rows = []
    for row in totals.itertuples(index=False):
        cells = [str(row.lag_weeks), str(row.weeks)] + [
            "" if pd.isna(value) else f"{value:+.1%}" if name in ("bias", "value_added") else f"{value:.1%}"
            for name, value in (
                ("accuracy", row.accuracy), ("bias", row.bias), ("coverage_80", row.coverage_80),
                ("value_added", row.value_added),
            )
        ]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return f'<table class="kpis by-lag">{header}{"".join(rows)}</table>'


def _run_summary(summary: pd.DataFrame) -> str:
    """The latest plan's headline figures as a small table."""
    if summary.empty:
        return ""
    row = summary.iloc[0]
    figures = [
        ("plan date", row["plan_date"]),
        ("products planned", row["products_planned"]),
        ("transfers", row["transfers"]),
        ("units moved", row["units_moved"]),
        ("transfer cost", row["transfer_cost"]),
        ("expected stock-out units avoided", row["expected_stockout_units_avoided"]),
        ("expected excess units reduced", row["expected_excess_units_reduced"]),
        ("expected value", row["expected_value"]),
    ]
    cells = "".join(f"<tr><th>{name}</th><td>{_format(value)}</td></tr>" for name, value in figures)
    return f'<table class="kpis">{cells}</table>'


# Units and value side by side: a plan that cuts cheap stock-outs by creating dear ones shows it here.
PROOF_COLUMNS = [
    ("policy", "policy_name"), ("levels", "levels"), ("stock-out units", "stockout_units"),
    ("vs baseline", "stockout_units_change"), ("lost sales value", "lost_sales_value"),
    ("vs baseline  ", "lost_sales_value_change"), ("overstock units", "avg_overstock_units"),
    ("vs baseline ", "avg_overstock_units_change"), ("fill rate", "fill_rate"), ("units on hand", "avg_on_hand_units"),
    ("units moved", "transfer_units"), ("transfer cost", "transfer_cost"), ("meets both targets", "meets_targets"),
]  # fmt: skip
MOVE_COLUMNS = [
    ("product", "product_id"), ("from", "from_warehouse_id"), ("to", "to_warehouse_id"), ("units", "units"),
    ("transfer cost", "transfer_cost"), ("expected benefit", "expected_benefit"), ("benefit / cost", "payback"),
    ("why", "reason"),
]  # fmt: skip


def _moves_table(moves: pd.DataFrame) -> str:
    """The plan's moves, best expected benefit first: what each keeps in margin and holding against its cost."""
    if moves.empty:
        return ""
    frame = moves.assign(payback=moves["expected_benefit"] / moves["transfer_cost"].where(moves["transfer_cost"] > 0))
    header = "".join(f"<th>{html.escape(name)}</th>" for name, _ in MOVE_COLUMNS)
    rows = []
    for row in frame.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(_move_cell(row, column))}</td>" for _, column in MOVE_COLUMNS)
        rows.append(f"<tr>{cells}</tr>")
    note = ("<p>Each move's expected benefit is the margin it keeps and the holding it saves under the forecast's "
            "distribution; the optimiser proposes a move only at 1.5x its cost or more.</p>")  # fmt: skip
    return note + '<table class="kpis moves"><tr>' + header + "</tr>" + "".join(rows) + "</table>"


def _move_cell(row, column: str) -> str:
    value = getattr(row, column)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column == "payback":
        return f"{value:.1f}x"
    return value if isinstance(value, str) else _format(value)


def _proof_table(simulation: pd.DataFrame) -> str:
    """The simulation's figures, one row per policy and level, so the proof reads without hovering a chart."""
    if simulation.empty:
        return ""
    frame = simulation.assign(levels=charts.level_labels(simulation))
    header = "".join(f"<th>{html.escape(name)}</th>" for name, _ in PROOF_COLUMNS)
    rows = []
    for row in frame.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(_proof_cell(row, column))}</td>" for _, column in PROOF_COLUMNS)
        rows.append(f"<tr>{cells}</tr>")
    return f'{_proof_span(simulation)}<table class="kpis proof"><tr>{header}</tr>{"".join(rows)}</table>'


def _proof_span(simulation: pd.DataFrame) -> str:
    """Which replay the figures come from: the daily run's or the full sweep, and the weeks it held out."""
    if not {"evaluation", "holdout_start", "holdout_weeks"} <= set(simulation.columns):
        return ""
    first = simulation.iloc[0]
    daily = first["evaluation"] == "replay"
    kind = "the daily run's replay" if daily else "the full sweep"
    # The daily replay is each run's check; the targets are judged on the sweep (README, optimisation section).
    judged = (" The targets are judged on <code>make evaluate</code>'s sweep (a fresh forecast every week, as many "
              "weeks as the opening stock's cover)." if daily else "")  # fmt: skip
    name = html.escape(kind, quote=False)  # element text: its apostrophe stays one
    return (f"<p class=\"proof-span\">From {name}: {int(first['holdout_weeks'])} held-out weeks "
            f"from {html.escape(str(first['holdout_start']))}.{judged}</p>")  # fmt: skip


def _proof_cell(row, column: str) -> str:
    value = getattr(row, column, None)
    if column == "meets_targets":
        return "" if row.is_baseline else "yes" if bool(value) else "no"
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column.endswith("_change"):
        return f"{value:+.1%}"
    if column == "fill_rate":
        return f"{value:.1%}"
    return value if isinstance(value, str) else _format(value)


def _format(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return html.escape(str(value))
