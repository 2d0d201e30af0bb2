"""The forecaster the pipeline hands the optimize step (step_actions.with_forecaster) costs nothing until it
forecasts: a daily run whose hold-out replay is reused never imports the forecasting pipeline (statsforecast,
statsmodels, numba: seconds), and one that replays gets the same forecasts as before."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("statsforecast", "statsmodels", "numba")


def test_handing_over_the_forecaster_imports_none_of_the_forecasting_pipeline(tmp_path):
    probe = (
        "import sys\n"
        "from foundation.stage import Resources\n"
        "from orchestration.step_actions import with_forecaster\n"
        "import optimization.run\n"
        "from foundation.lake import Lake\n"
        "from foundation.warehouse.build import WarehouseOptions\n"
        f"resources = with_forecaster(Resources(None, Lake({str(tmp_path)!r}), WarehouseOptions()))\n"
        "print(type(resources.forecaster).__module__, type(resources.forecaster).__name__)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert shown[0] == "forecasting.forecaster StatsForecaster"  # the replay's reuse key names the same class
    assert shown[1] == "[]"
