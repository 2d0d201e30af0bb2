"""What every stage is handed: each stage exposes one `run(options, resources) -> figures`, where options are its
own dataclass (foundation.options) and resources are the shared things built once per process (settings, the lake,
the warehouse target, one Spark session). The figures are a flat dict the run record keeps.

Stages do not reach into each other: what one stage needs from another comes in through the resources, wired by
the layer above (the pipeline or the CLI). Optimisation's hold-out replay re-forecasts, so `forecaster` carries the
forecast stage's forecaster (see the Forecaster protocol) without optimisation importing forecasting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from foundation.lake import Lake
from foundation.settings import Settings
from foundation.warehouse.options import WarehouseOptions

if TYPE_CHECKING:
    import pandas as pd


class Forecaster(Protocol):
    """The forecast stage as another stage calls it (forecasting.forecaster.StatsForecaster)."""

    def forecast(self, history: pd.DataFrame, attributes: pd.DataFrame, horizon: int, n_windows: int) -> Any:
        """A result with `forecasts`, `selection` and `backtest_metrics` frames (forecasting.pipeline)."""

    def demand_history(self, history: pd.DataFrame) -> pd.DataFrame:
        """The weekly history as the forecaster models it (stock-out weeks raised to their estimated demand)."""


@dataclass
class Resources:
    settings: Settings
    lake: Lake
    warehouse: WarehouseOptions
    forecaster: Forecaster | None = None
    _spark: Any = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, lake_root: str | None = None, target: str | None = None,
                      forecaster: Forecaster | None = None) -> Resources:  # fmt: skip
        return cls(settings, Lake(lake_root or settings.lake_root), WarehouseOptions.from_env(target), forecaster)

    def spark(self, app_name: str = "supplychain"):
        """One Spark session per process, started on first use (Glue's own on AWS)."""
        if self._spark is None:
            from foundation.spark import spark_session

            self._spark = spark_session(app_name, self.settings)
        return self._spark
