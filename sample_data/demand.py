"""The latent demand model: expected order lines per product x warehouse x day.

Demand is the product of a level (popularity, warehouse size, regional taste), a category trend, weekly and yearly
seasonality, promotions and holiday peaks. The simulator draws noisy order lines around it.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from sample_data.catalog import CATEGORIES, REGION_TASTE, Product, Warehouse


def thanksgiving(year: int) -> dt.date:
    november_first = dt.date(year, 11, 1)
    first_thursday = november_first + dt.timedelta(days=(3 - november_first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=3)


def holiday_lift(day: dt.date) -> float:
    """Retail calendar peaks and troughs common to every category."""
    black_friday = thanksgiving(day.year) + dt.timedelta(days=1)
    if day == black_friday:
        return 2.4
    if day == black_friday + dt.timedelta(days=3):  # Cyber Monday
        return 1.9
    if black_friday < day < black_friday + dt.timedelta(days=10):
        return 1.35
    if dt.date(day.year, 12, 10) <= day <= dt.date(day.year, 12, 23):
        return 1.3
    if day.month == 12 and day.day == 25:
        return 0.15
    if day.month == 1 and day.day == 1:
        return 0.35
    july_first = dt.date(day.year, 7, 1)
    second_tuesday = july_first + dt.timedelta(days=(1 - july_first.weekday()) % 7 + 7)
    if day in (second_tuesday, second_tuesday + dt.timedelta(days=1)):
        return 1.7
    return 1.0


class DemandModel:
    """Expected order lines per series (product, warehouse) for any day, plus the promotion calendar."""

    def __init__(
        self,
        rng: np.random.Generator,
        products: list[Product],
        warehouses: list[Warehouse],
        series_product: np.ndarray,
        series_warehouse: np.ndarray,
        start: dt.date,
        end: dt.date,
    ):
        self.products = products
        self.start = start
        self.series_product = series_product
        category_of = [p.category for p in products]
        capacity = np.array([w.capacity_units for w in warehouses], dtype=float)
        stocked_in = np.bincount(series_product, minlength=len(products)).astype(float)
        taste = np.array(
            [
                REGION_TASTE[warehouses[w].region].get(category_of[p], 1.0)
                for p, w in zip(series_product, series_warehouse, strict=True)
            ]
        )
        popularity = np.array([p.popularity for p in products])
        size_share = capacity[series_warehouse] / capacity.mean()
        # A product's demand is spread over the warehouses that stock it; each series has its own level noise.
        self.level = (
            popularity[series_product]
            / stocked_in[series_product]
            * size_share
            * taste
            * rng.lognormal(0.0, 0.25, len(series_product))
        )
        params = np.array([CATEGORIES[c][:4] for c in category_of])
        self.peak_doy = params[series_product, 0]
        self.amplitude = params[series_product, 1]
        self.trend = params[series_product, 2]
        self.weekend = params[series_product, 3]
        self.launch = np.array([(p.launch_date - start).days for p in products])[series_product]
        discontinue = [(p.discontinue_date - start).days if p.discontinue_date else 10**9 for p in products]
        self.discontinue = np.array(discontinue)[series_product]
        self.promo_lift, self.promo_discount = self._promotions(rng, len(products), (end - start).days + 1)

    @staticmethod
    def _promotions(rng: np.random.Generator, n_products: int, n_days: int) -> tuple[np.ndarray, np.ndarray]:
        """About four promotions a year per product, 5-14 days long, lifting demand 30-120% at 10-30% off."""
        lift = np.ones((n_days, n_products), dtype=np.float32)
        discount = np.zeros((n_days, n_products), dtype=np.float32)
        for product in range(n_products):
            for _ in range(rng.poisson(4.0 * n_days / 365.0)):
                first = int(rng.integers(0, n_days))
                length = int(rng.integers(5, 15))
                off = float(rng.choice([0.10, 0.15, 0.20, 0.25, 0.30]))
                lift[first : first + length, product] = 1.0 + off * float(rng.uniform(3.0, 4.0))
                discount[first : first + length, product] = off
        return lift, discount

    def expected_lines(self, day: dt.date) -> np.ndarray:
        t = (day - self.start).days
        years = t / 365.25
        doy = day.timetuple().tm_yday
        yearly = np.clip(1.0 + self.amplitude * np.cos(2 * math.pi * (doy - self.peak_doy) / 365.25), 0.1, None)
        weekday = day.weekday()
        weekly = np.where(weekday >= 5, self.weekend, 1.05 if weekday == 4 else 1.0)
        trend = (1.0 + self.trend) ** years
        # New products ramp up over their first eight weeks.
        age = t - self.launch
        ramp = np.where(self.launch > 0, np.clip((age + 1) / 56.0, 0.0, 1.0), 1.0) * (age >= 0) * (t < self.discontinue)
        promo = self.promo_lift[t, self.series_product]
        return self.level * yearly * weekly * trend * ramp * promo * holiday_lift(day)

    def discount_on(self, day: dt.date) -> np.ndarray:
        """Promotional discount per product on a day."""
        return self.promo_discount[(day - self.start).days]
