"""The forecast of the synthetic history, run once per session: the pipeline tests read it and the Spark engine's
run is compared with it."""

from __future__ import annotations

import pytest

from forecasting.pipeline import run_forecast


@pytest.fixture(scope="session")
def synthetic_result():
    from tests.forecasting.test_pipeline import OPTIONS, synthetic_history

    history, attributes = synthetic_history()
    return run_forecast(history, attributes, OPTIONS)
