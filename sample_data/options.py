"""The sample generator's options (`supplychain generate`), apart from the generator, which needs numpy and pandas:
the command line builds every command's flags at start, and a command that does not generate need not import them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from foundation.options import StageOptions, flag
from foundation.settings import parse_date


@dataclass(frozen=True)
class GeneratorOptions(StageOptions):
    seed: int = flag(42, "random seed: the same seed writes the same drops")
    sales_rows: int = flag(100_000, "about this many sales lines")
    start: dt.date = flag(dt.date(2023, 1, 1), "first business day", parse=lambda t: parse_date(t, "--start"))
    end: dt.date = flag(dt.date(2025, 12, 31), "last business day", parse=lambda t: parse_date(t, "--end"))
    products: int = flag(200, "products in the master")
    warehouses: int = flag(7, "warehouses (at least one per region)")
    dirty_rate: float = flag(0.01, "share of defective records")
    event_days: int = flag(14, "days of streamed order events")
    force: bool = flag(False, "replace raw data already in the lake")

    def validate(self):
        if self.end <= self.start:
            raise ValueError(f"--end {self.end} must be after --start {self.start}")
        if not 0 <= self.dirty_rate < 0.5:
            raise ValueError(f"--dirty-rate {self.dirty_rate} must be in [0, 0.5)")
        if self.sales_rows < 100 or self.products < 10 or self.warehouses < 5:
            raise ValueError("need at least 100 sales rows, 10 products and 5 warehouses (one per region)")
