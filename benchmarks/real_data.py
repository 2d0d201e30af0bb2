"""Real public series that ship inside PyPI packages already installed with the project (no download at run time).

Monthly (pmdarima, statsmodels):
- wineind: Australian total wine sales by wine makers in bottles of 1 litre or less, Jan 1980 - Aug 1994 (R's
  forecast package, from the Australian Bureau of Statistics);
- airpassengers: international airline passengers, monthly totals in thousands, 1949-1960 (Box & Jenkins):
  demand for seats, the classic seasonal series;
- elec_equip: euro-area new orders of electrical equipment (index, 2005 = 100), Jan 1995 - May 2016 (statsmodels,
  from Eurostat via fpp's elecequip).
Weekly (statsmodels): co2, the Mauna Loa weekly CO2 concentration, 1958-2001; from 1990 on here, and its few empty
  weeks filled by the mean of their neighbours (to the forecast stage an empty cell means no sales).
Daily, summed into weeks by the forecast stage itself (pmdarima): msft_volume, the daily traded volume of Microsoft
  shares (Kaggle's price-volume set), from 2010 on: a daily count of units changing hands, trading days only.
Monthly, a second set (statsmodels, pmdarima), each series cut to about 30 years (a longer one multiplies the seasonal
  ARIMA's time, not what a planner's file holds): elnino, the monthly sea surface temperature of the Nino 1+2
  region, 1980-2010 (statsmodels); sunspots, the monthly mean count of sunspots (pmdarima, R's sunspots), 1954-1983;
  co2_monthly, the Mauna Loa CO2 concentration as monthly means of statsmodels' weekly co2, 1972-2001.
Quarterly (pmdarima, statsmodels): ausbeer (Australian beer production, 1956 Q1 - 2008 Q3), austres (Australian
  residents, thousands, 1971 Q2 - 1993 Q2), woolyrnq (Australian woollen yarn production, tonnes, 1965 Q1 - 1994 Q3),
  and seven US series of statsmodels' macrodata, 1959 Q1 - 2009 Q3 (real GDP, consumption, investment, government
  spending, CPI, M1, unemployment rate): trends, a season (beer, yarn) and the 2008 break.
pmdarima's weekly gasoline is fetched from the web on first use, so it is not used here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def real_monthly_sales() -> pd.DataFrame:
    """wineind and airpassengers in long format (unique_id, ds, y), ds the first day of each month."""
    from pmdarima.datasets import load_airpassengers, load_wineind

    frames = []
    for name, values, start in (
        ("wineind", load_wineind(), "1980-01-01"),
        ("airpassengers", load_airpassengers(), "1949-01-01"),
    ):
        ds = pd.date_range(start, periods=len(values), freq="MS")
        frames.append(pd.DataFrame({"unique_id": name, "ds": ds, "y": values.astype(float)}))
    return pd.concat(frames, ignore_index=True)


def electrical_orders() -> pd.DataFrame:
    import statsmodels

    path = Path(statsmodels.__file__).parent / "datasets" / "elec_equip" / "elec_equip.csv"
    raw = pd.read_csv(path)
    ds = pd.to_datetime(raw["DATE"], format="%b-%d-%Y")
    return pd.DataFrame({"unique_id": "elec_equip", "ds": ds, "y": raw.iloc[:, 1].astype(float)})


def weekly_co2() -> pd.DataFrame:
    import statsmodels.api as sm

    series = sm.datasets.co2.load_pandas().data["co2"]
    series = series[series.index >= "1990-01-01"].interpolate()
    return pd.DataFrame({"unique_id": "co2", "ds": series.index, "y": series.to_numpy(dtype=float)})


def daily_msft_volume() -> pd.DataFrame:
    from pmdarima.datasets import load_msft

    raw = load_msft()
    raw = raw[raw["Date"] >= "2010-01-01"]
    return pd.DataFrame({"unique_id": "msft_volume", "ds": pd.to_datetime(raw["Date"]),
                         "y": raw["Volume"].astype(float) / 1e6})  # fmt: skip


def _long(name: str, values, start: str, freq: str) -> pd.DataFrame:
    values = pd.Series(values, dtype=float).dropna().to_numpy()
    ds = pd.date_range(start, periods=len(values), freq=freq)
    return pd.DataFrame({"unique_id": name, "ds": ds, "y": values})


def more_monthly() -> pd.DataFrame:
    """elnino, sunspots and co2_monthly in long format (their last 30 years), ds the first day of each month."""
    import statsmodels.api as sm
    from pmdarima.datasets import load_sunspots

    elnino = sm.datasets.elnino.load_pandas().data.set_index("YEAR").stack()  # year by year, January first
    sunspots = load_sunspots(as_series=True)
    weekly = sm.datasets.co2.load_pandas().data["co2"].interpolate()
    co2 = weekly.groupby(weekly.index.to_period("M")).mean()
    co2 = co2[co2.index >= "1972-01"]
    return pd.concat([
        _long("elnino", elnino.to_numpy()[(1980 - 1950) * 12:], "1980-01-01", "MS"),
        _long("sunspots", sunspots.iloc[(1954 - 1749) * 12:].to_numpy(), "1954-01-01", "MS"),
        _long("co2_monthly", co2.to_numpy(), "1972-01-01", "MS"),
    ], ignore_index=True)  # fmt: skip


MACRO_SERIES = ("realgdp", "realcons", "realinv", "realgovt", "cpi", "m1", "unemp")


def quarterly_series() -> pd.DataFrame:
    """ausbeer, austres, woolyrnq and seven macrodata series in long format, ds the first day of each quarter."""
    import statsmodels.api as sm
    from pmdarima.datasets import load_ausbeer, load_austres, load_woolyrnq

    macro = sm.datasets.macrodata.load_pandas().data
    frames = [
        _long("ausbeer", load_ausbeer(as_series=True), "1956-01-01", "QS"),
        _long("austres", load_austres(as_series=True), "1971-04-01", "QS"),
        _long("woolyrnq", load_woolyrnq(as_series=True), "1965-01-01", "QS"),
    ]
    frames += [_long(name, macro[name], "1959-01-01", "QS") for name in MACRO_SERIES]
    return pd.concat(frames, ignore_index=True)


# name -> (loader, periods per season, horizon, period): the sets forecast_real_data.py scores.
REAL_SETS = {
    "monthly": (lambda: pd.concat([real_monthly_sales(), electrical_orders()], ignore_index=True), 12, 12, "MS"),
    "weekly": (weekly_co2, 52, 13, "W-SAT"),
    "daily_to_weekly": (daily_msft_volume, 52, 13, "W-MON"),
    "monthly_more": (more_monthly, 12, 12, "MS"),
    "quarterly": (quarterly_series, 4, 8, "QS"),
}
