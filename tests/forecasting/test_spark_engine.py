"""statsforecast on local Spark through Fugue gives the same forecasts as the in-process run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from forecasting.pipeline import run_forecast
from tests.forecasting.test_pipeline import OPTIONS, synthetic_history

pytestmark = [pytest.mark.spark]


def test_spark_and_local_runs_agree(spark, synthetic_result):
    history, attributes = synthetic_history()
    local = synthetic_result  # the in-process run with OPTIONS
    distributed = run_forecast(history, attributes, dataclasses.replace(OPTIONS, spark=spark))
    keys = ["unique_id", "ds"]
    left = local.forecasts.sort_values(keys).reset_index(drop=True)
    right = distributed.forecasts.sort_values(keys).reset_index(drop=True)
    assert left[keys].equals(right[keys])
    assert (left["model"] == right["model"]).all()
    np.testing.assert_allclose(left["forecast"], right["forecast"], rtol=1e-6, atol=1e-6)
    assert local.report["chosen_models"] == distributed.report["chosen_models"]
