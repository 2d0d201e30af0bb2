"""The master-data feeds: product master extracts (JSON lines) and the warehouse master's DMS-style CDC stream."""

from __future__ import annotations

import datetime as dt

import numpy as np

from sample_data.catalog import Product, Warehouse

WAREHOUSE_COLUMNS = [
    "Op",
    "commit_ts",
    "warehouse_id",
    "warehouse_name",
    "region",
    "city",
    "address",
    "capacity_units",
    "latitude",
    "longitude",
    "opened_date",
]


class MasterFeed:
    """Knows, for each day, which product records and warehouse change rows the source systems emit."""

    def __init__(
        self,
        rng: np.random.Generator,
        products: list[Product],
        warehouses: list[Warehouse],
        price: np.ndarray,
        start: dt.date,
    ):
        self.products = products
        self.warehouses = warehouses
        self.price = price  # shared with the simulator: a price change here shows in tomorrow's sales
        self.start = start
        # Each product gets a yearly price review on its own day; about 40% of reviews change the price.
        self.review_doy = rng.integers(1, 366, size=len(products))
        self.rng = rng
        self.status = {p.product_id: "ACTIVE" for p in products}

    def product_records(self, day: dt.date) -> list[dict]:
        records = []
        for index, product in enumerate(self.products):
            listed_on = max(self.start, product.launch_date - dt.timedelta(days=14))
            changed = False
            if day == listed_on:
                changed = True
            elif day > listed_on and day.timetuple().tm_yday == self.review_doy[index] and self.rng.random() < 0.4:
                self.price[index] = round(float(self.price[index] * self.rng.uniform(1.02, 1.08)), 2)
                changed = True
            if product.discontinue_date == day:
                self.status[product.product_id] = "DISCONTINUED"
                changed = True
            if changed:
                records.append(self._product_record(index, product, day))
        return records

    def _product_record(self, index: int, product: Product, day: dt.date) -> dict:
        margin = product.unit_cost / product.unit_price
        return {
            "product_id": product.product_id,
            "product_name": product.product_name,
            "category": product.category,
            "brand": product.brand,
            "unit_cost": round(float(self.price[index]) * margin, 2),
            "unit_price": round(float(self.price[index]), 2),
            "weight_kg": product.weight_kg,
            "volume_m3": product.volume_m3,
            "launch_date": product.launch_date.isoformat(),
            "status": self.status[product.product_id],
            "updated_at": f"{day.isoformat()}T05:00:00Z",
        }

    def warehouse_changes(self, day: dt.date) -> list[list[object]]:
        """DMS rows: the full load on the first day, then I/U/D rows as the master changes."""
        rows = []
        for warehouse in self.warehouses:
            state = self._state_on(warehouse, day)
            if warehouse.opened_date == day:
                rows.append(self._cdc_row("I", day, "04:00:00", state))
            elif warehouse.closed_date == day:
                rows.append(self._cdc_row("D", day, "21:00:00", state))
            elif any(when == day for when, _, _ in warehouse.changes):
                rows.append(self._cdc_row("U", day, "13:15:00", state))
        return rows

    @staticmethod
    def _state_on(warehouse: Warehouse, day: dt.date) -> dict:
        state = {
            "warehouse_id": warehouse.warehouse_id,
            "warehouse_name": warehouse.warehouse_name,
            "region": warehouse.region,
            "city": warehouse.city,
            "address": warehouse.address,
            "capacity_units": warehouse.capacity_units,
            "latitude": warehouse.latitude,
            "longitude": warehouse.longitude,
            "opened_date": warehouse.opened_date.isoformat(),
        }
        for when, column, value in warehouse.changes:
            if when <= day:
                state[column] = value
        return state

    @staticmethod
    def _cdc_row(op: str, day: dt.date, time: str, state: dict) -> list[object]:
        return [op, f"{day.isoformat()} {time}.000000"] + [state[c] for c in WAREHOUSE_COLUMNS[2:]]
