"""The forecast of the synthetic history, run once per test run for every worker: the pipeline tests read it and
the Spark engine's run is compared with it."""

from __future__ import annotations

import pytest

from forecasting.pipeline import run_forecast


@pytest.fixture(scope="session")
def synthetic_result(tmp_path_factory):
    from tests.forecasting.test_pipeline import OPTIONS, synthetic_history
    from tests.once_per_run import computed_once

    def forecast():
        history, attributes = synthetic_history()
        return run_forecast(history, attributes, OPTIONS)

    return computed_once(tmp_path_factory, "synthetic-forecast", forecast)
