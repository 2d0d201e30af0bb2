"""Real public sales series that ship inside a PyPI package (pmdarima's datasets, no download at run time).

- wineind: Australian total wine sales by wine makers in bottles of 1 litre or less, monthly, Jan 1980 - Aug 1994
  (R's forecast package, from the Australian Bureau of Statistics);
- airpassengers: international airline passengers, monthly totals in thousands, 1949-1960 (Box & Jenkins):
  demand for seats, the classic seasonal series.
pmdarima's gasoline (weekly) is fetched from the web on first use, so it is not used here.
"""

from __future__ import annotations

import pandas as pd


def real_monthly_sales() -> pd.DataFrame:
    """Long format (unique_id, ds, y), ds the first day of each month."""
    from pmdarima.datasets import load_airpassengers, load_wineind

    frames = []
    for name, values, start in (
        ("wineind", load_wineind(), "1980-01-01"),
        ("airpassengers", load_airpassengers(), "1949-01-01"),
    ):
        ds = pd.date_range(start, periods=len(values), freq="MS")
        frames.append(pd.DataFrame({"unique_id": name, "ds": ds, "y": values.astype(float)}))
    return pd.concat(frames, ignore_index=True)
