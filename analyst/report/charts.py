"""The report's plotly figures, one function per chart, each from a frame that PlanningData holds."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ACTUAL = "#1f3b57"
FORECAST = "#d9822b"
BAND_95 = "rgba(217, 130, 43, 0.15)"
BAND_80 = "rgba(217, 130, 43, 0.30)"
CHOSEN = "#2a7f62"
BASELINE = "#9aa5b1"
BASELINE_SHADES = [BASELINE, "#52606d", "#cbd2d9"]
HIERARCHY_LEVELS = ["product_warehouse", "product_region", "category_region", "total"]


def actual_vs_forecast(
    history: pd.DataFrame, forecast: pd.DataFrame, panel_keys: list[str], columns: int, title: str
) -> go.Figure:
    """Small multiples, one per value of `panel_keys`: weekly actuals, the forecast and its 80%/95% bands."""
    panels = list(history.groupby(panel_keys, sort=False).groups)
    panels = [panel if isinstance(panel, tuple) else (panel,) for panel in panels]
    rows = math.ceil(len(panels) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[" · ".join(map(str, panel)) for panel in panels],
        vertical_spacing=min(0.08, 0.5 / rows),
        horizontal_spacing=0.05,
    )
    for position, panel in enumerate(panels):
        row, col = divmod(position, columns)
        select = dict(zip(panel_keys, panel, strict=True))
        actual = _rows(history, select)
        ahead = _rows(forecast, select)
        first = position == 0
        if not ahead.empty:
            _band(figure, ahead, "95", BAND_95, first, row + 1, col + 1)
            _band(figure, ahead, "80", BAND_80, first, row + 1, col + 1)
            figure.add_trace(
                go.Scatter(
                    x=ahead["week_start"], y=ahead["forecast_units"], name="forecast", legendgroup="forecast",
                    showlegend=first, line={"color": FORECAST, "dash": "dash"}, mode="lines",
                ),
                row=row + 1,
                col=col + 1,
            )
        figure.add_trace(
            go.Scatter(
                x=actual["week_start"], y=actual["units_sold"], name="actual units", legendgroup="actual",
                showlegend=first, line={"color": ACTUAL}, mode="lines",
            ),
            row=row + 1,
            col=col + 1,
        )
    figure.update_layout(title=title, height=max(320, 230 * rows), margin={"t": 90}, template="plotly_white")
    figure.update_annotations(font_size=11)
    return figure


def _rows(frame: pd.DataFrame, select: dict) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in select.items():
        mask &= frame[column] == value
    return frame[mask].sort_values("week_start")


def _band(figure: go.Figure, ahead: pd.DataFrame, level: str, color: str, legend: bool, row: int, col: int) -> None:
    """An interval as one closed polygon: along the upper bound, back along the lower."""
    x = list(ahead["week_start"]) + list(ahead["week_start"])[::-1]
    y = list(ahead[f"upper_{level}_units"]) + list(ahead[f"lower_{level}_units"])[::-1]
    figure.add_trace(
        go.Scatter(
            x=x, y=y, fill="toself", fillcolor=color, line={"width": 0}, hoverinfo="skip", mode="lines",
            name=f"{level}% interval", legendgroup=f"band{level}", showlegend=legend,
        ),
        row=row,
        col=col,
    )


def accuracy_vs_baselines(accuracy: pd.DataFrame) -> go.Figure:
    """Held-out accuracy (1 - WAPE) of the chosen method beside each baseline, per hierarchy level."""
    levels = [level for level in HIERARCHY_LEVELS if level in set(accuracy["hierarchy_level"])]
    figure = go.Figure()
    baselines = iter(BASELINE_SHADES * 2)
    # The chosen method first, in the report's green; baselines in greys.
    ordered = accuracy.sort_values("is_chosen", ascending=False, kind="stable")
    for model, rows in ordered.groupby("forecast_model", sort=False):
        chosen = bool(rows["is_chosen"].any())
        rows = rows.set_index("hierarchy_level").reindex(levels)
        text = [_percent(v) for v in rows["accuracy"]]
        if chosen and "coverage_80" in rows:  # how often the held-out actuals fell inside the 80% / 95% intervals
            text = [t + (f"<br>in 80%/95%: {_percent(c80)}/{_percent(c95)}" if pd.notna(c80) else "")
                    for t, c80, c95 in zip(text, rows["coverage_80"], rows["coverage_95"], strict=True)]  # fmt: skip
        if chosen and "rolling_coverage_80" in rows:  # the same over every honest backtest window (many more weeks)
            text = [t + (f"<br>rolling: {_percent(c80)}/{_percent(c95)} of {int(n)}" if pd.notna(c80) else "")
                    for t, c80, c95, n in zip(text, rows["rolling_coverage_80"], rows["rolling_coverage_95"],
                                              rows["rolling_coverage_weeks"], strict=True)]  # fmt: skip
        figure.add_trace(
            go.Bar(
                x=levels, y=rows["accuracy"], name=f"{model} (chosen)" if chosen else f"{model} (baseline)",
                marker_color=CHOSEN if chosen else next(baselines), text=text, textposition="outside",
            )
        )
    figure.update_layout(
        title="Backtest accuracy (1 - WAPE, held-out window): chosen method vs baselines",
        barmode="group", yaxis={"tickformat": ".0%", "rangemode": "tozero"}, template="plotly_white", height=420,
    )
    return figure


def accuracy_by_lag(by_lag: pd.DataFrame) -> go.Figure:
    """Accuracy (1 - WAPE) of the kept forecasts per target week, one line per lag: how far ahead the forecast
    can be trusted, and whether that is getting better or worse."""
    figure = go.Figure()
    for lag, rows in by_lag.groupby("lag_weeks"):
        figure.add_trace(
            go.Scatter(
                x=rows["week_start"], y=rows["accuracy"], mode="lines+markers", name=f"{lag} week(s) ahead",
                customdata=rows[["bias", "coverage_80", "value_added", "forecasts"]],
                hovertemplate="%{x|%d %b %Y}: accuracy %{y:.0%}, bias %{customdata[0]:+.0%}, 80% coverage "
                "%{customdata[1]:.0%}, value added %{customdata[2]:+.0%} (%{customdata[3]} forecasts)",
            )
        )
    figure.update_layout(
        title="Accuracy (1 - WAPE) of past forecasts by how far ahead they were made",
        yaxis={"tickformat": ".0%"}, xaxis={"title": "week forecast"}, template="plotly_white", height=420,
    )  # fmt: skip
    return figure


def _percent(value) -> str:
    return "" if pd.isna(value) else f"{value:.0%}"


def inventory_position(inventory: pd.DataFrame) -> go.Figure:
    """Per warehouse: safety stock, overstock and deficit as bars, the inventory position as a marker."""
    label = inventory["warehouse_id"] + " (" + inventory["region_code"].astype(str) + ")"
    figure = go.Figure(
        [
            go.Bar(x=label, y=inventory["safety_stock"], name="safety stock", marker_color="#7aa6c2"),
            go.Bar(x=label, y=inventory["overstock_units"], name="overstock (above target)", marker_color="#d9822b"),
            go.Bar(x=label, y=inventory["deficit_units"], name="deficit (below reorder point)", marker_color="#c23b3b"),
            go.Scatter(
                x=label, y=inventory["inventory_position"], name="inventory position", mode="markers",
                marker={"symbol": "diamond", "size": 12, "color": ACTUAL},
            ),
        ]
    )
    figure.update_layout(
        title="Inventory position by warehouse (units, latest plan)", barmode="group", template="plotly_white",
        height=440, yaxis_title="units",
    )
    return figure


def transfer_flows(transfers: pd.DataFrame) -> go.Figure:
    """The reallocation plan as a Sankey: sending warehouses on the left, receiving ones on the right."""
    senders = list(dict.fromkeys(transfers["from_warehouse_id"]))
    receivers = list(dict.fromkeys(transfers["to_warehouse_id"]))
    # A warehouse can both send and receive; separate nodes per side keep the diagram free of cycles.
    labels = [f"{w} sends" for w in senders] + [f"{w} receives" for w in receivers]
    figure = go.Figure(
        go.Sankey(
            node={
                "label": labels,
                "pad": 18,
                "thickness": 16,
                "color": ["#7aa6c2"] * len(senders) + ["#2a7f62"] * len(receivers),
            },
            link={
                "source": [senders.index(w) for w in transfers["from_warehouse_id"]],
                "target": [len(senders) + receivers.index(w) for w in transfers["to_warehouse_id"]],
                "value": transfers["units"].tolist(),
                "customdata": transfers["transfer_cost"].round(2).tolist(),
                "hovertemplate": "%{source.label} → %{target.label}: %{value:,.0f} units, cost %{customdata:,.2f}"
                "<extra></extra>",
            },
        )
    )
    figure.update_layout(title="Reallocation plan: units moved between warehouses", height=460)
    return figure


def level_labels(simulation: pd.DataFrame) -> pd.Series:
    """How each row's levels were set: "cost-chosen (median 99.1%)" or "99.0% for all"."""
    rule = simulation["level_rule"] if "level_rule" in simulation else pd.Series("fixed", index=simulation.index)
    level = simulation["service_level"].astype(float)
    labels = [f"cost-chosen (median {v:.1%})" if r == "cost" else f"{v:.1%} for all"
              for r, v in zip(rule, level, strict=True)]  # fmt: skip
    return pd.Series(labels, index=simulation.index)


def simulation_outcomes(simulation: pd.DataFrame) -> go.Figure:
    """Simulated stock-outs and overstock per policy, the baseline (no plan) first, one bar per level setting."""
    ordered = simulation.sort_values(["is_baseline", "service_level"], ascending=[False, True], kind="stable")
    suffix = ordered["is_baseline"].astype(bool).map({True: " (baseline)", False: ""})
    ordered = ordered.assign(label=ordered["policy_name"].astype(str) + suffix, levels=level_labels(ordered))
    figure = make_subplots(rows=1, cols=2, subplot_titles=["stock-out units", "average overstock units (hindsight)"])
    shades = ["#2a7f62", "#6fb59b", "#b5dccd", "#1b4f3e"]
    for position, level in enumerate(dict.fromkeys(ordered["levels"])):
        rows = ordered[ordered["levels"] == level]
        for col, measure in enumerate(["stockout_units", "avg_overstock_units"], start=1):
            figure.add_trace(
                go.Bar(
                    x=rows["label"], y=rows[measure], name=level, legendgroup=level,
                    showlegend=col == 1, marker_color=shades[position % len(shades)],
                    text=[f"{v:,.0f}" for v in rows[measure]], textposition="outside",
                ),
                row=1,
                col=col,
            )
    figure.update_layout(
        title="Simulated on held-out demand: stock-outs and overstock with and without the plan",
        template="plotly_white", height=460, barmode="group",
    )
    return figure
