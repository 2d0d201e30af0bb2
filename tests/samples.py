"""The generated samples the test packages share (one definition, so a lake built from it can be shared)."""

from __future__ import annotations

import datetime as dt

from sample_data.generate import GeneratorOptions

# Four months: enough for weekly grain, lags and a warehouse that opens mid-way; small enough to build in seconds.
WAREHOUSE_SAMPLE = GeneratorOptions(
    seed=11,
    sales_rows=5000,
    start=dt.date(2024, 1, 1),
    end=dt.date(2024, 4, 30),
    products=25,
    warehouses=5,
    dirty_rate=0.01,
    event_days=5,
)
