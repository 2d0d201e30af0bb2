"""Master data for the sample ERP: products, warehouses and the transfer lanes between warehouses."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

REGIONS = ("NORTH", "SOUTH", "EAST", "WEST", "CENTRAL")

# Category path -> (yearly peak day-of-year, yearly amplitude, yearly trend, weekend lift, price range).
# Peaks and trends are what a planner would recognise: TVs before Christmas, tennis in summer, Electronics growing.
CATEGORIES: dict[str, tuple[int, float, float, float, tuple[float, float]]] = {
    "Electronics/TV": (335, 0.45, 0.15, 1.25, (180.0, 1400.0)),
    "Electronics/Audio": (340, 0.35, 0.12, 1.20, (25.0, 400.0)),
    "Electronics/Computers": (240, 0.30, 0.10, 0.95, (300.0, 2200.0)),
    "Sports/Tennis": (180, 0.55, 0.02, 1.35, (15.0, 250.0)),
    "Sports/Running": (130, 0.35, 0.04, 1.30, (20.0, 180.0)),
    "Sports/Winter": (15, 0.80, 0.00, 1.30, (40.0, 600.0)),
    "Home/Kitchen": (330, 0.25, 0.03, 1.10, (8.0, 300.0)),
    "Home/Garden": (120, 0.70, 0.01, 1.40, (5.0, 250.0)),
    "Office/Supplies": (245, 0.30, -0.05, 0.55, (2.0, 60.0)),
    "Toys/Games": (345, 0.60, 0.05, 1.30, (10.0, 120.0)),
}

# How much each region buys of a category family, relative to 1.0 (winter goods in the North, garden in the South).
REGION_TASTE = {
    "NORTH": {"Sports/Winter": 2.0, "Home/Garden": 0.7},
    "SOUTH": {"Sports/Winter": 0.3, "Home/Garden": 1.4, "Sports/Tennis": 1.3},
    "EAST": {"Electronics/Computers": 1.3, "Office/Supplies": 1.3},
    "WEST": {"Electronics/TV": 1.2, "Sports/Running": 1.3},
    "CENTRAL": {},
}

CITY_BY_REGION = {
    "NORTH": [("Minneapolis", 44.98, -93.27), ("Fargo", 46.88, -96.79), ("Duluth", 46.79, -92.10)],
    "SOUTH": [("Houston", 29.76, -95.37), ("Atlanta", 33.75, -84.39), ("Tampa", 27.95, -82.46)],
    "EAST": [("Newark", 40.74, -74.17), ("Allentown", 40.60, -75.49), ("Baltimore", 39.29, -76.61)],
    "WEST": [("Reno", 39.53, -119.81), ("Ontario", 34.06, -117.65), ("Tacoma", 47.25, -122.44)],
    "CENTRAL": [("Columbus", 39.96, -82.99), ("Kansas City", 39.10, -94.58), ("Indianapolis", 39.77, -86.16)],
}

ADJECTIVES = ("Pro", "Max", "Lite", "Plus", "Ultra", "Classic", "Eco", "Smart", "Prime", "Flex")


@dataclass(frozen=True)
class Product:
    product_id: str
    product_name: str
    category: str
    brand: str
    unit_cost: float
    unit_price: float
    weight_kg: float
    volume_m3: float
    popularity: float  # expected order lines per day across all warehouses, before seasonality
    mean_line_qty: float
    launch_date: dt.date
    discontinue_date: dt.date | None


@dataclass
class Warehouse:
    warehouse_id: str
    warehouse_name: str
    region: str
    city: str
    address: str
    capacity_units: int
    latitude: float
    longitude: float
    opened_date: dt.date
    closed_date: dt.date | None = None
    # Dated changes applied by CDC: (date, column, new value).
    changes: list[tuple[dt.date, str, object]] = field(default_factory=list)

    def region_on(self, day: dt.date) -> str:
        region = self.region
        for when, column, value in self.changes:
            if column == "region" and when <= day:
                region = str(value)
        return region


@dataclass(frozen=True)
class Lane:
    from_warehouse_id: str
    to_warehouse_id: str
    distance_km: float
    transfer_cost_per_unit: float
    lead_time_days: int


def build_products(rng: np.random.Generator, count: int, start: dt.date, end: dt.date) -> list[Product]:
    """Products with a heavy-tailed popularity: a few fast movers, many slow and intermittent ones."""
    categories = list(CATEGORIES)
    span = (end - start).days
    products = []
    for index in range(1, count + 1):
        category = (
            categories[(index - 1) % len(categories)] if index <= len(categories) else str(rng.choice(categories))
        )
        low, high = CATEGORIES[category][4]
        price = round(float(math.exp(rng.uniform(math.log(low), math.log(high)))), 2)
        margin = rng.uniform(0.18, 0.55)
        # Lognormal popularity; about a fifth of the range are slow movers selling a line every few days.
        popularity = float(rng.lognormal(mean=0.0, sigma=1.3))
        if rng.random() < 0.2:
            popularity *= 0.08
        launched_late = index > 10 and rng.random() < 0.08
        launch = start + dt.timedelta(days=int(rng.integers(span // 4, span * 3 // 4))) if launched_late else start
        discontinued = None
        if index > 10 and not launched_late and rng.random() < 0.04:
            discontinued = start + dt.timedelta(days=int(rng.integers(span // 2, span - 30)))
        family = category.split("/")[1]
        products.append(
            Product(
                product_id=f"P{index:05d}",
                product_name=f"{family} {rng.choice(ADJECTIVES)} {int(rng.integers(100, 999))}",
                category=category,
                brand=f"Brand{int(rng.integers(1, 40)):02d}",
                unit_cost=round(price * (1 - margin), 2),
                unit_price=price,
                weight_kg=round(float(rng.uniform(0.1, 30.0)), 3),
                volume_m3=round(float(rng.uniform(0.0005, 0.4)), 4),
                popularity=popularity,
                mean_line_qty=float(rng.uniform(1.0, 3.5)),
                launch_date=launch,
                discontinue_date=discontinued,
            )
        )
    return products


def build_warehouses(rng: np.random.Generator, count: int, start: dt.date, end: dt.date) -> list[Warehouse]:
    """At least one warehouse per region; later ones open mid-history, one small depot closes, one moves region."""
    span = (end - start).days
    warehouses = []
    for index in range(1, count + 1):
        region = REGIONS[(index - 1) % len(REGIONS)]
        city, lat, lon = CITY_BY_REGION[region][(index - 1) // len(REGIONS) % 3]
        warehouses.append(
            Warehouse(
                warehouse_id=f"WH{index:03d}",
                warehouse_name=f"{city} DC {index}",
                region=region,
                city=city,
                address=f"{int(rng.integers(10, 9999))} Logistics Pkwy, {city}",
                capacity_units=int(rng.integers(8, 40)) * 5000,
                latitude=round(lat + float(rng.normal(0, 0.05)), 5),
                longitude=round(lon + float(rng.normal(0, 0.05)), 5),
                opened_date=start,
            )
        )
    # With a sixth warehouse, it is a small depot that closes; with a seventh, the last one opens mid-history.
    if count > len(REGIONS) + 1:
        opening = warehouses[-1]
        opening.opened_date = start + dt.timedelta(days=int(span * 0.4))
    if count > len(REGIONS):
        closing = warehouses[len(REGIONS)]
        closing.closed_date = start + dt.timedelta(days=int(span * 0.8))
        closing.capacity_units = 20000

    # Master-data changes that a CDC feed carries: capacity expansions, a move, a regional re-assignment,
    # each while the warehouse is open.
    def change_day(warehouse: Warehouse, fraction: float) -> dt.date:
        last = warehouse.closed_date or end
        return warehouse.opened_date + dt.timedelta(days=int((last - warehouse.opened_date).days * fraction))

    for warehouse in warehouses:
        if rng.random() < 0.5:
            when = change_day(warehouse, float(rng.uniform(0.1, 0.9)))
            warehouse.changes.append((when, "capacity_units", warehouse.capacity_units + 25000))
    mover = warehouses[1]
    mover.changes.append((change_day(mover, 0.55), "address", f"1 Commerce Dr, {mover.city}"))
    reassigned = warehouses[len(REGIONS) - 1]  # the first CENTRAL warehouse is re-assigned to EAST
    reassigned.changes.append((change_day(reassigned, 0.65), "region", "EAST"))
    for warehouse in warehouses:
        warehouse.changes.sort(key=lambda change: change[0])
    return warehouses


def build_lanes(warehouses: list[Warehouse]) -> list[Lane]:
    """Every ordered pair of warehouses, priced by great-circle distance."""
    lanes = []
    for origin in warehouses:
        for destination in warehouses:
            if origin.warehouse_id == destination.warehouse_id:
                continue
            km = haversine_km(origin.latitude, origin.longitude, destination.latitude, destination.longitude)
            lanes.append(
                Lane(
                    from_warehouse_id=origin.warehouse_id,
                    to_warehouse_id=destination.warehouse_id,
                    distance_km=round(km, 1),
                    transfer_cost_per_unit=round(0.35 + km * 0.0011, 2),
                    lead_time_days=1 + int(km // 650),
                )
            )
    return lanes


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def stocking_plan(rng: np.random.Generator, products: list[Product], warehouses: list[Warehouse]) -> np.ndarray:
    """Boolean matrix [product, warehouse]: fast movers everywhere, slow movers in two or three warehouses."""
    plan = np.zeros((len(products), len(warehouses)), dtype=bool)
    for row, product in enumerate(products):
        share = 1.0 if product.popularity > 1.5 else 0.45
        picks = rng.random(len(warehouses)) < share
        if not picks.any():
            picks[int(rng.integers(0, len(warehouses)))] = True
        plan[row] = picks
    return plan
