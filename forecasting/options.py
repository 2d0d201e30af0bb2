"""The forecast stage's options: defaults, flags and checks in one place (foundation.options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from foundation.options import StageOptions, flag


@dataclass(frozen=True)
class ForecastStageOptions(StageOptions):
    """`supplychain forecast`'s options; the pipeline's forecast step runs with the same defaults."""

    horizon: int = flag(8, "weeks to forecast")
    windows: int = flag(3, "at most this many rolling backtest windows (a series gets as many as its history "
                        "allows, plus two a season back), at least 3")  # fmt: skip
    engine: str = flag("local", "where statsforecast runs: this machine's cores, or Spark through Fugue (Glue/EMR "
                       "at scale)", choices=("local", "spark"))  # fmt: skip
    input: Path | None = flag(None, "weekly history (unique_id, ds, y) as CSV or Parquet", parse=Path)
    output: Path | None = flag(None, "with --input: where to write the forecasts", parse=Path)

    def validate(self) -> None:
        if self.windows < 3:
            raise ValueError("--windows must be at least 3: the latest one scores the choice made on the others")
        if self.input is not None and self.output is None:
            raise ValueError("--input needs --output: where to write the forecasts")
