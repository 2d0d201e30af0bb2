"""Run the forecast stage on a built scenario up to held_out_accuracy and pickle that call's inputs, with the node
history recent_scales was given (coverage_scenarios.sh calls it; coverage_replay.py replays it).

    .venv/bin/python benchmarks/coverage_capture.py SCENARIO_FOLDER
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import time
from pathlib import Path

import forecasting.pipeline as pipeline
from forecasting.pipeline import ForecastOptions, run_forecast
from foundation.warehouse.io import read_demand


class Captured(Exception):
    """Raised once held_out_accuracy has run: the final forecast is not needed for the replay."""


def main() -> None:
    folder = Path(sys.argv[1])
    history, attributes = read_demand("local", folder / "warehouse.duckdb")
    captured = {}
    held_out_accuracy, recent_scales = pipeline.held_out_accuracy, pipeline.recent_scales

    def spy(*args):
        captured["args"] = (*args[:9], None)  # the interval scales are recomputed by the code replayed
        captured["result"] = held_out_accuracy(*args)
        raise Captured

    def spy_scales(nodes_history, season):
        captured["node_history"], captured["season"] = nodes_history, season
        return recent_scales(nodes_history, season)

    pipeline.held_out_accuracy, pipeline.recent_scales = spy, spy_scales
    began = time.perf_counter()
    with contextlib.suppress(Captured):
        run_forecast(history, attributes, ForecastOptions())
    print(f"stage up to held_out_accuracy: {time.perf_counter() - began:.0f} s")
    with open(folder / "cap.pkl", "wb") as file:
        pickle.dump({**captured, "accuracy": captured["result"][0]}, file)


if __name__ == "__main__":
    main()
