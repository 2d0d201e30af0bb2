"""The sweep's forecast cache (benchmarks/replay_benchmark.py --forecast-cache): a real fit is kept on disk by its
history and call, read back instead of refitting, and a different history (the next sweep week) fits anew."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import replay_benchmark

from tests.forecasting.test_pipeline import synthetic_history


def small_history():
    """The forecasting tests' synthetic history, one product's four series: what is kept does not depend on size."""
    history, attributes = synthetic_history()
    return history[history["unique_id"].str.startswith("P0|")], attributes[attributes["product_id"] == "P0"]


def test_a_forecast_is_kept_read_back_and_keyed_by_its_history(tmp_path):
    history, attributes = small_history()
    cached = replay_benchmark.CachedForecaster(tmp_path)
    first = cached.forecast(history, attributes, 4, 2)
    [kept] = tmp_path.glob("*.pkl")
    assert pickle.loads(kept.read_bytes()).forecasts.equals(first.forecasts)
    # Read back, not refitted: what the file holds is what comes back.
    kept.write_bytes(pickle.dumps("the kept result"))
    assert cached.forecast(history, attributes, 4, 2) == "the kept result"
    # A week less of history (another sweep week's origin) is another forecast.
    earlier = history[history["ds"] < history["ds"].max()]
    cached.forecast(earlier, attributes, 4, 2)
    assert len(list(tmp_path.glob("*.pkl"))) == 2


def test_the_same_history_in_another_row_order_is_the_same_forecast(tmp_path):
    # The warehouse returns the history in no fixed order: the key is the rows, not their order.
    history, attributes = small_history()
    cached = replay_benchmark.CachedForecaster(tmp_path)
    cached.forecast(history, attributes, 4, 2)
    [kept] = tmp_path.glob("*.pkl")
    kept.write_bytes(pickle.dumps("the kept result"))
    shuffled = history.sample(frac=1.0, random_state=7)
    assert cached.forecast(shuffled, attributes, 4, 2) == "the kept result"
