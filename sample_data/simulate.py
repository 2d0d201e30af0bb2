"""Day-by-day simulation of an ERP: orders drawn from the demand model, censored by stock, replenished by an
imperfect reorder policy, shipped by carriers. Yields one day of records at a time so memory stays flat at any size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sample_data.catalog import Product, Warehouse
from sample_data.demand import DemandModel

CHANNELS = np.array(["WEB", "RETAIL", "B2B", "MARKETPLACE"])
CHANNEL_SHARE = [0.45, 0.30, 0.15, 0.10]
CHANNEL_SLA_DAYS = {"WEB": 5, "RETAIL": 3, "B2B": 7, "MARKETPLACE": 6}
CARRIERS = np.array(["UPS", "FEDEX", "DHL", "USPS", "REGIONAL"])
CARRIER_TRANSIT = {"UPS": 2.5, "FEDEX": 2.2, "DHL": 3.0, "USPS": 3.5, "REGIONAL": 1.8}
SHIPMENT_COLUMNS = [
    "shipment_id",
    "order_id",
    "warehouse_id",
    "carrier",
    "status",
    "ship_date",
    "promised_date",
    "delivered_date",
    "delay_days",
    "total_units",
    "updated_at",
]
PIPELINE_DAYS = 64
IN_TRANSIT_DAYS = 3


@dataclass
class DayRecords:
    day: dt.date
    sales: pd.DataFrame
    shipments: pd.DataFrame
    inventory: pd.DataFrame
    events: pd.DataFrame
    # Orders requested today, before censoring: what the event stream saw.
    requested_lines: int = 0
    lost_units: int = 0


@dataclass
class SeriesState:
    on_hand: np.ndarray
    pipeline: np.ndarray  # units arriving in k days, k = 0..PIPELINE_DAYS-1
    smoothed_sales: np.ndarray
    cover_days: np.ndarray  # the planner's target cover: some series over-stocked, some under
    lead_time: np.ndarray


class ErpSimulator:
    def __init__(
        self,
        rng: np.random.Generator,
        products: list[Product],
        warehouses: list[Warehouse],
        plan: np.ndarray,
        start: dt.date,
        end: dt.date,
        sales_rows: int,
        customers_per_region: int,
        events_from: dt.date,
    ):
        self.rng = rng
        self.products = products
        self.warehouses = warehouses
        self.start, self.end = start, end
        self.series_product, self.series_warehouse = np.nonzero(plan)
        self.demand = DemandModel(rng, products, warehouses, self.series_product, self.series_warehouse, start, end)
        self.product_ids = np.array([p.product_id for p in products])
        self.warehouse_ids = np.array([w.warehouse_id for w in warehouses])
        self.mean_qty = np.array([p.mean_line_qty for p in products])[self.series_product]
        # Current list prices; the product-master feed changes them and sales pick the change up.
        self.price = np.array([p.unit_price for p in products])
        self.customers_per_region = customers_per_region
        self.events_from = events_from
        self.scale = self._scale_to(sales_rows)
        n = len(self.series_product)
        start_rate = self.demand.expected_lines(start) * self.scale * self.mean_qty
        cover = rng.choice([12.0, 21.0, 30.0, 45.0, 75.0], size=n, p=[0.15, 0.3, 0.3, 0.15, 0.1])
        self.state = SeriesState(
            on_hand=np.round(start_rate * cover).astype(np.int64),
            pipeline=np.zeros((n, PIPELINE_DAYS), dtype=np.int64),
            smoothed_sales=start_rate.copy(),
            cover_days=cover,
            lead_time=rng.integers(5, 21, size=n),
        )
        self.order_seq = 0
        # Shipment records waiting for the day the ERP sends them (ship day, then delivery or loss).
        self._shipment_pool: list[pd.DataFrame] = []

    def _scale_to(self, sales_rows: int) -> float:
        """Scale expected lines so the whole history yields about `sales_rows` lines after censoring."""
        total = 0.0
        day = self.start
        while day <= self.end:
            total += float((self.demand.expected_lines(day) * self._active(day)).sum())
            day += dt.timedelta(days=1)
        # About 8% of requested lines are lost to stock-outs or cancelled.
        return sales_rows / max(total, 1e-9) / 0.92

    def _active(self, day: dt.date) -> np.ndarray:
        open_now = np.array(
            [w.opened_date <= day and (w.closed_date is None or day < w.closed_date) for w in self.warehouses]
        )
        return open_now[self.series_warehouse]

    def days(self) -> Iterator[DayRecords]:
        day = self.start
        while day <= self.end:
            yield self._simulate_day(day)
            day += dt.timedelta(days=1)

    def _simulate_day(self, day: dt.date) -> DayRecords:
        rng, state = self.rng, self.state
        active = self._active(day)
        # Arrivals land first thing in the morning.
        state.on_hand += state.pipeline[:, 0]
        state.pipeline = np.roll(state.pipeline, -1, axis=1)
        state.pipeline[:, -1] = 0

        # A slowly moving demand shock per series keeps the level honest; gamma-Poisson gives overdispersion.
        rate = self.demand.expected_lines(day) * self.scale * active
        rate = rate * rng.gamma(4.0, 0.25, size=rate.shape)
        line_counts = rng.poisson(rate)
        series_of_line = np.repeat(np.arange(len(rate)), line_counts)
        qty = 1 + rng.poisson(np.maximum(self.mean_qty[series_of_line] - 1.0, 0.0))
        lines = self._group_into_orders(day, series_of_line, qty)
        requested = len(lines)
        events = self._order_events(day, lines) if day >= self.events_from else pd.DataFrame()
        lines = lines[~lines["is_cancelled"]]
        requested_units = np.bincount(lines["series"], weights=lines["qty"], minlength=len(rate))
        sold, lost_units = self._censor(lines)
        self._replenish(requested_units)
        sales = self._sales_rows(day, sold)
        shipments = self._shipments(day, sales)
        inventory = self._inventory_snapshot(day, active)
        return DayRecords(day, sales, shipments, inventory, events, requested, lost_units)

    def _group_into_orders(self, day: dt.date, series_of_line: np.ndarray, qty: np.ndarray) -> pd.DataFrame:
        rng = self.rng
        warehouse = self.series_warehouse[series_of_line]
        order = rng.permutation(len(series_of_line))
        order = order[np.argsort(warehouse[order], kind="stable")]
        series_of_line, qty, warehouse = series_of_line[order], qty[order], warehouse[order]
        # Orders of 1..n lines within one warehouse: a new order starts at a warehouse change or by chance.
        new_order = rng.random(len(order)) < 0.6
        if len(order):
            new_order[0] = True
            new_order[1:] |= warehouse[1:] != warehouse[:-1]
        order_index = np.cumsum(new_order) - 1
        n_orders = int(new_order.sum())
        channel = rng.choice(CHANNELS, size=n_orders, p=CHANNEL_SHARE)
        cancelled = rng.random(n_orders) < 0.02
        seconds = np.sort(rng.integers(6 * 3600, 23 * 3600, size=n_orders))
        order_ids = np.array([f"SO{self.order_seq + i:010d}" for i in range(n_orders)])
        self.order_seq += n_orders
        b2b = channel[order_index] == "B2B"
        qty = np.where(b2b, qty * 3, qty)
        return pd.DataFrame(
            {
                "order_id": order_ids[order_index],
                "series": series_of_line,
                "warehouse": warehouse,
                "qty": qty.astype(np.int64),
                "channel": channel[order_index],
                "is_cancelled": cancelled[order_index],
                "order_second": seconds[order_index],
                "customer": rng.integers(0, self.customers_per_region, size=n_orders)[order_index],
            }
        )

    def _order_events(self, day: dt.date, lines: pd.DataFrame) -> pd.DataFrame:
        if lines.empty:
            return pd.DataFrame()
        midnight = pd.Timestamp(day)
        orders = lines.groupby("order_id", sort=True).agg(
            order_second=("order_second", "first"),
            warehouse=("warehouse", "first"),
            channel=("channel", "first"),
            customer=("customer", "first"),
            is_cancelled=("is_cancelled", "first"),
            line_count=("qty", "size"),
            total_qty=("qty", "sum"),
        )
        orders["event_at"] = midnight + pd.to_timedelta(orders["order_second"], unit="s")
        orders["event_type"] = "order_created"
        cancels = orders[orders["is_cancelled"]].copy()
        cancels["event_at"] = cancels["event_at"] + pd.to_timedelta(
            self.rng.integers(600, 6 * 3600, size=len(cancels)), unit="s"
        )
        cancels["event_type"] = "order_cancelled"
        events = pd.concat([orders, cancels]).reset_index()
        events["warehouse_id"] = self.warehouse_ids[events["warehouse"]]
        regions = np.array([w.region_on(day) for w in self.warehouses])[events["warehouse"]]
        events["customer_id"] = [f"C{r[0]}{c:06d}" for r, c in zip(regions, events["customer"], strict=True)]
        return events

    def _censor(self, lines: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        """Sell lines in arrival order until the series runs out of stock; the rest is lost demand."""
        lines = lines.sort_values(["series", "order_second"], kind="stable")
        series = lines["series"].to_numpy()
        qty = lines["qty"].to_numpy()
        cumulative = np.cumsum(qty)
        first_of_series = np.r_[True, series[1:] != series[:-1]] if len(series) else np.array([], bool)
        offset = np.maximum.accumulate(np.where(first_of_series, cumulative - qty, 0)) if len(series) else qty
        before = cumulative - qty - offset
        allowed = np.clip(self.state.on_hand[series] - before, 0, qty)
        lost = int((qty - allowed).sum())
        sold = lines.assign(qty=allowed)
        sold = sold[sold["qty"] > 0]
        np.subtract.at(self.state.on_hand, sold["series"].to_numpy(), sold["qty"].to_numpy())
        return sold, lost

    def _replenish(self, requested_units: np.ndarray) -> None:
        """(s, S) policy on exponentially smoothed orders: it lags trends and peaks, so stock-outs and overstock
        both happen, as they do under real ERP reorder rules."""
        state = self.state
        state.smoothed_sales = 0.93 * state.smoothed_sales + 0.07 * requested_units
        position = state.on_hand + state.pipeline.sum(axis=1)
        reorder_point = state.smoothed_sales * (state.lead_time + 7)
        order_up_to = state.smoothed_sales * (state.lead_time + state.cover_days)
        needs = (position < reorder_point) & (order_up_to - position >= 1)
        for series in np.nonzero(needs)[0]:
            lead = int(np.clip(state.lead_time[series] + self.rng.integers(-2, 4), 2, PIPELINE_DAYS - 1))
            state.pipeline[series, lead] += int(np.ceil(order_up_to[series] - position[series]))

    def _sales_rows(self, day: dt.date, sold: pd.DataFrame) -> pd.DataFrame:
        sold = sold.sort_values(["order_id", "series"], kind="stable")
        order_ids = sold["order_id"].to_numpy()
        starts = np.r_[True, order_ids[1:] != order_ids[:-1]] if len(order_ids) else np.array([], bool)
        position = np.arange(len(order_ids))
        line_number = position - np.maximum.accumulate(np.where(starts, position, 0)) + 1
        product = self.series_product[sold["series"].to_numpy()]
        regions = np.array([w.region_on(day) for w in self.warehouses])
        region = regions[sold["warehouse"].to_numpy()]
        price = self.price[product]
        promo = self.demand.discount_on(day)[product]
        b2b = (sold["channel"] == "B2B").to_numpy()
        discount = np.where(promo > 0, promo, np.where(b2b, 0.05, 0.0))
        updated = pd.Timestamp(day) + pd.to_timedelta(sold["order_second"].to_numpy() + 1800, unit="s")
        return pd.DataFrame(
            {
                "order_id": sold["order_id"].to_numpy(),
                "line_number": line_number,
                "order_date": day.isoformat(),
                "product_id": self.product_ids[product],
                "warehouse_id": self.warehouse_ids[sold["warehouse"].to_numpy()],
                "region": region,
                "customer_id": [f"C{r[0]}{c:06d}" for r, c in zip(region, sold["customer"], strict=True)],
                "channel": sold["channel"].to_numpy(),
                "qty": sold["qty"].to_numpy(),
                "unit_price": np.round(price, 2),
                "discount_pct": np.round(discount * 100, 1),
                "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )

    def _shipments(self, day: dt.date, sales: pd.DataFrame) -> pd.DataFrame:
        """Each order ships once; the ERP re-sends the shipment when it is delivered (or lost)."""
        rng = self.rng
        # Sales rows arrive sorted by order: the first row of each order carries its header fields.
        order_ids = sales["order_id"].to_numpy()
        first = np.flatnonzero(np.r_[True, order_ids[1:] != order_ids[:-1]]) if len(order_ids) else np.array([], int)
        orders = pd.DataFrame(
            {
                "order_id": order_ids[first],
                "warehouse_id": sales["warehouse_id"].to_numpy()[first],
                "channel": sales["channel"].to_numpy()[first],
                "total_units": np.add.reduceat(sales["qty"].to_numpy(), first) if len(first) else [],
            }
        )
        n = len(orders)
        if n:
            weekend_hold = {5: 2, 6: 1}.get(day.weekday())
            hold = np.full(n, weekend_hold) if weekend_hold else rng.integers(0, 2, size=n)
            carrier = rng.choice(CARRIERS, size=n)
            mean_transit = np.array([CARRIER_TRANSIT[c] for c in carrier])
            transit = np.maximum(1, np.round(rng.gamma(4.0, mean_transit / 4.0))).astype(int)
            sla = orders["channel"].map(CHANNEL_SLA_DAYS).to_numpy()
            lost = rng.random(n) < 0.003
            day64 = np.datetime64(day, "D")
            ship = day64 + hold.astype("timedelta64[D]")
            promised = day64 + sla.astype("timedelta64[D]")
            delivered = ship + transit.astype("timedelta64[D]")
            final_on = np.where(lost, ship + np.timedelta64(14, "D"), delivered)
            shipped = pd.DataFrame(
                {
                    "shipment_id": "SH" + orders["order_id"].str[2:],
                    "order_id": orders["order_id"],
                    "warehouse_id": orders["warehouse_id"],
                    "carrier": carrier,
                    "status": "SHIPPED",
                    "ship_date": ship.astype(str),
                    "promised_date": promised.astype(str),
                    "delivered_date": "",
                    "delay_days": "",
                    "total_units": orders["total_units"].to_numpy(),
                    "updated_at": np.char.add(ship.astype(str), "T18:00:00Z"),
                }
            )
            final = shipped.assign(
                status=np.where(lost, "LOST", "DELIVERED"),
                delivered_date=np.where(lost, "", delivered.astype(str)),
                delay_days=np.where(lost, "", np.maximum(0, (delivered - promised).astype(int)).astype(str)),
                updated_at=np.char.add(final_on.astype(str), np.where(lost, "T09:00:00Z", "T16:00:00Z")),
            )
            self._shipment_pool.append(shipped.assign(due=ship))
            self._shipment_pool.append(final.assign(due=final_on))
        if not self._shipment_pool:
            return pd.DataFrame(columns=SHIPMENT_COLUMNS)
        pool = pd.concat(self._shipment_pool, ignore_index=True)
        is_due = (pool["due"] == np.datetime64(day, "D")).to_numpy()
        self._shipment_pool = [pool[~is_due]]
        return pool.loc[is_due, SHIPMENT_COLUMNS].reset_index(drop=True)

    def _inventory_snapshot(self, day: dt.date, active: np.ndarray) -> pd.DataFrame:
        state = self.state
        keep = np.nonzero(active)[0]
        in_transit = state.pipeline[keep, :IN_TRANSIT_DAYS].sum(axis=1)
        on_order = state.pipeline[keep, IN_TRANSIT_DAYS:].sum(axis=1)
        return pd.DataFrame(
            {
                "snapshot_date": day.isoformat(),
                "warehouse_id": self.warehouse_ids[self.series_warehouse[keep]],
                "product_id": self.product_ids[self.series_product[keep]],
                "on_hand_qty": state.on_hand[keep],
                "on_order_qty": on_order,
                "in_transit_qty": in_transit,
                "extracted_at": f"{day.isoformat()}T23:30:00Z",
            }
        )
