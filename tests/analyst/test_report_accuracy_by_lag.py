"""The report's accuracy-by-lag section: the figures read from forecast_accuracy_by_lag match a hand computation,
and the section says how it fills while no past forecast has been scored."""

from __future__ import annotations

import datetime as dt
import math
import shutil

import duckdb
import pytest

from analyst.report import build_report
from analyst.report.data import read_planning_data

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]
TITLE = "Forecast accuracy by lag over time"

# (lag, week, series, forecast, actual, inside the 80% band, naive forecast)
SCORED = [
    (1, dt.date(2024, 4, 1), "A", 12.0, 10.0, True, 8.0),
    (1, dt.date(2024, 4, 1), "B", 3.0, 5.0, False, 9.0),
    (1, dt.date(2024, 4, 8), "A", 10.0, 10.0, True, None),
    (4, dt.date(2024, 4, 8), "A", 16.0, 10.0, False, 10.0),
]


@pytest.fixture
def scored_warehouse(planning_warehouse, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(planning_warehouse, database)
    with duckdb.connect(str(database)) as connection:
        for lag, week, series, forecast, actual, inside, naive in SCORED:
            naive_error = None if naive is None else abs(naive - actual)
            connection.execute(
                "insert into analytics.forecast_accuracy_by_lag (forecast_vintage_id, as_of_week_start, week_start, "
                "lag_weeks, series_id, forecast_units, actual_units, error_units, abs_error_units, is_within_80, "
                "naive_forecast_units, naive_abs_error_units) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [f"{lag}{week}{series}", week - dt.timedelta(weeks=lag), week, lag, series, forecast, actual,
                 forecast - actual, abs(forecast - actual), inside, naive, naive_error],
            )  # fmt: skip
    return database


def test_accuracy_by_lag_matches_a_hand_computation_and_is_drawn(scored_warehouse, tmp_path):
    with duckdb.connect(str(scored_warehouse), read_only=True) as connection:
        by_lag = read_planning_data(connection).accuracy_by_lag.set_index(["lag_weeks", "week_start"])
    first = by_lag.loc[(1, dt.datetime(2024, 4, 1))]
    # |12-10| + |3-5| = 4 of 15 units; bias (2 - 2) / 15; one of two inside the band; naive errors 2 + 4 = 6.
    assert first["accuracy"] == pytest.approx(1 - 4 / 15)
    assert first["bias"] == pytest.approx(0.0)
    assert first["coverage_80"] == pytest.approx(0.5)
    assert first["value_added"] == pytest.approx(1 - 4 / 6)
    # A week whose only forecast had no naive baseline has no value added, not a perfect one.
    assert math.isnan(by_lag.loc[(1, dt.datetime(2024, 4, 8)), "value_added"])
    # |16-10| of 10 units, 6 over; the naive forecast was exact, so there was no error left to remove.
    four = by_lag.loc[(4, dt.datetime(2024, 4, 8))]
    assert (four["accuracy"], four["bias"], four["coverage_80"]) == pytest.approx((0.4, 0.6, 0.0))
    assert math.isnan(four["value_added"])

    page = build_report(scored_warehouse, tmp_path / "report.html").read_text()
    section = page[page.index(TITLE) :]
    assert 'class="plotly-graph-div"' in section[: section.index("</section>")]
    # Per lag over the weeks scored, ratios of the sums (saved query forecast_accuracy_by_lag), not the mean of the
    # weekly ratios (86.7%): lag 1 errs 4 of 25 units, 2 of 3 inside the band, 4 of the naive 6 units left.
    assert "<td>1</td><td>2</td><td>84.0%</td><td>+0.0%</td><td>66.7%</td><td>+33.3%</td>" in section
    assert "<td>4</td><td>1</td><td>40.0%</td><td>+60.0%</td><td>0.0%</td><td></td>" in section


def test_before_any_forecast_is_scored_the_section_says_how_it_fills(planning_warehouse, tmp_path):
    page = build_report(planning_warehouse, tmp_path / "report.html").read_text()
    section = page[page.index(TITLE) :]
    section = section[: section.index("</section>")]
    assert "No past forecast scored yet" in section and "plotly-graph-div" not in section
