"""The forecast stage, `run(options, resources)`: from the warehouse (or a planner's file) to forecasts and scores,
written to processed/forecasts/ for the next load."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from forecasting.files import read_history_file, report_json, write_file
from forecasting.models import BASELINES
from forecasting.options import ForecastStageOptions
from forecasting.outputs import file_forecasts, output_tables
from forecasting.pipeline import ForecastOptions, ForecastResult, run_forecast
from foundation.stage import Resources
from foundation.warehouse.io import read_demand, write_outputs

log = logging.getLogger(__name__)
SUMMARY_LEVELS = ("product_warehouse", "product_region", "category_region", "total")


def accuracy_summary(result: ForecastResult) -> str:
    """The chosen method, the best single model and both baselines per level, on the held-out window: accuracy
    (1 - WAPE), MASE and RMSSE, as a small text table."""
    accuracy = result.accuracy
    if accuracy.empty or not accuracy["is_chosen"].any():
        return "accuracy: not measured (no series long enough to backtest; see the notes above)"
    chosen = accuracy.loc[accuracy["is_chosen"], "model"].iloc[0]
    singles = single_models(accuracy)
    levels = [c for c in SUMMARY_LEVELS if c in set(accuracy["level"])]
    lines = [f"held-out window{'':<23}" + "".join(f"{level:>34}" for level in levels)]
    lines.append(f"{'model':<38}" + "".join(f"{'1-WAPE   MASE  RMSSE':>34}" for _ in levels))
    by_level = accuracy.set_index(["level", "model"])
    rows = [(f"chosen: {chosen}", chosen), ("best single model", None), *[(b, b) for b in BASELINES]]
    for label, fixed in rows:
        cells = []
        for level in levels:
            if fixed is None:
                candidates = singles[singles["level"] == level].sort_values("accuracy", ascending=False)
                model = candidates["model"].iloc[0] if not candidates.empty else None
            else:
                model = fixed
            if model is None or (level, model) not in by_level.index:
                cells.append(f"{'-':>34}")
                continue
            row = by_level.loc[(level, model)]
            name = f"{model[:10]:>10} " if fixed is None else ""
            cells.append(f"{name}{row['accuracy']:>7.1%} {row['mase']:>6.3f} {row['rmsse']:>6.3f}".rjust(34))
        lines.append(f"{label:<38}" + "".join(cells))
    lines.append(verdict(accuracy, chosen))
    lines.append(coverage_line(accuracy))
    return "\n".join(lines)


def coverage_line(accuracy: pd.DataFrame) -> str:
    """Per level with intervals of its own: the share of held-out actuals inside the chosen forecast's 80% and 95%
    intervals (calibrated on the choosing windows only), and beside it the share over every backtest window, each
    calibrated on the windows observed before it (held_out.rolling_intervals), with the number of actuals."""
    chosen = accuracy[accuracy["is_chosen"]].set_index("level")
    parts = []
    for level in SUMMARY_LEVELS:
        if level not in chosen.index or "coverage_80" not in chosen or pd.isna(chosen.loc[level, "coverage_80"]):
            continue
        row = chosen.loc[level]
        part = f"{level} {row['coverage_80']:.0%} / {row['coverage_95']:.0%}"
        if pd.notna(row.get("rolling_coverage_80")):
            part += (f" (rolling windows {row['rolling_coverage_80']:.0%} / {row['rolling_coverage_95']:.0%} of "
                     f"{int(row['rolling_coverage_weeks'])})")  # fmt: skip
        parts.append(part)
    return "held-out actuals inside the 80% / 95% intervals: " + (", ".join(parts) if parts else "not measured")


def single_models(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Rows of the single models that forecast every series of their level (a model run only on the steady
    series, such as AutoETS, scores a different, easier set and is no fair comparison), baselines left out."""
    combined = accuracy["model"].str.startswith(("Selected", "Ensemble", "Comb"))
    singles = accuracy[~combined & ~accuracy["model"].isin(BASELINES)]
    # Coverage is read at the bottom level: at the total every model has "one series", whatever it summed.
    bottom = accuracy[accuracy["level"] == "product_warehouse"].set_index("model")["series"]
    covering = bottom[bottom == bottom.max()].index
    return singles[singles["model"].isin(covering)]


def verdict(accuracy: pd.DataFrame, chosen: str) -> str:
    """Per level: does the chosen forecast beat the best full-coverage single model and both baselines?"""
    rivals = pd.concat([single_models(accuracy), accuracy[accuracy["model"].isin(BASELINES)]])
    parts = []
    for level in [c for c in SUMMARY_LEVELS if c in set(accuracy["level"])]:
        mine = accuracy[(accuracy["level"] == level) & (accuracy["model"] == chosen)]["accuracy"]
        ranked = rivals[rivals["level"] == level].sort_values("accuracy", ascending=False)
        if mine.empty or ranked.empty:
            parts.append(f"{level} not measured")
            continue
        mine, best = mine.iloc[0], ranked.iloc[0]
        if mine > best["accuracy"]:
            parts.append(f"{level} yes")
        else:
            parts.append(f"{level} NO ({mine:.1%} vs {best['model']} {best['accuracy']:.1%})")
    return "beats every single model and both baselines: " + ", ".join(parts)


def run(options: ForecastStageOptions, resources: Resources) -> dict:
    """Forecasts from the warehouse's weekly demand (or a planner's file) and writes the outputs to
    processed/forecasts/; loading them and building their marts is the pipeline's (or the CLI's) next step.
    Returns the run's figures (series modelled and rejected)."""
    spark = resources.spark("supplychain-forecast") if options.engine == "spark" else None
    forecast_options = ForecastOptions(horizon=options.horizon, n_windows=options.windows, spark=spark)
    run_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if options.input is not None:
        result = _forecast_file(options.input, forecast_options)
        write_file(options.output, file_forecasts(result))
        log.info("wrote %d forecast rows for %d series to %s", len(result.forecasts),
                 result.forecasts["unique_id"].nunique(), options.output)  # fmt: skip
    else:
        warehouse = resources.warehouse
        history, attributes = read_demand(warehouse.target, warehouse.duckdb_path)
        result = run_forecast(history, attributes, forecast_options)
        tables = output_tables(result, attributes, run_at)
        write_outputs(resources.lake, tables, result.report, source="forecasts", stage="forecast")
    for note in result.report.get("notes", []):
        log.info("input: %s", note)
    rejected = list(result.report["rejected"].values())
    for message in rejected[: None if options.input is not None else 20]:
        log.warning("rejected %s", message)
    log.debug("%s", report_json(result.report))
    log.info(
        "forecast: %s series, rules %s, history rules %s, chosen models %s, in %.1fs",
        result.report["series"], result.report["rules"], result.report.get("history_rules", {}),
        result.report["chosen_models"],
        result.report["timings"]["total_seconds"],
    )  # fmt: skip
    _log_rules(result.selection)
    print(accuracy_summary(result), flush=True)
    series = result.report.get("series")
    return {f"series_{k}": v for k, v in series.items()} if isinstance(series, dict) else {"series": series}


def _log_rules(selection: pd.DataFrame, shown: int = 20) -> None:
    """Which rule each series got from its history length (seasonal, trend, flat) and the model it was given."""
    if "history_rule" not in selection:
        return
    rows = selection[selection["treatment"] != "rejected"].head(shown)
    for row in rows.itertuples():
        log.info("series %s: %d %s, rule %s, model %s", row.unique_id, row.history_weeks, "periods",
                 row.history_rule, row.model)  # fmt: skip


def _forecast_file(path, options: ForecastOptions) -> ForecastResult:
    """A planner's file, forecast; every failure becomes one sentence naming the file (no traceback)."""
    history = read_history_file(path)
    try:
        return run_forecast(history, None, options)
    except ValueError as failure:
        raise ValueError(f"{path}: {failure}") from None
    except Exception as failure:  # a user's file must never end in a traceback
        log.debug("forecasting %s failed", path, exc_info=True)
        raise RuntimeError(
            f"{path}: forecasting stopped ({type(failure).__name__}: {failure}); check that the file holds one row "
            "per series and week with unique_id, ds (a date) and y (a number), and rerun with --verbose for details"
        ) from None
