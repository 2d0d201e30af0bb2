"""What each raw source looks like and how it lands in processed/: columns, rules, key, version, partitioning, and
its own behaviour (how it arrives, how it merges, whether a missing region is filled), declared here and nowhere
else. Plain data with no Spark: orchestration reads the waves from here.

Adding a source: its spec below (in SOURCES), the Glue job script ingestion/jobs/<entity>.py, the dbt source entry
and staging model, and the generator's entity in sample_data/."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingestion.fields import Field

REGIONS = ("NORTH", "SOUTH", "EAST", "WEST", "CENTRAL")
CHANNELS = ("WEB", "RETAIL", "B2B", "MARKETPLACE", "UNKNOWN")
MAX_LINE_QTY = 10_000
MAX_STOCK_QTY = 10_000_000


def month_of(date_column: str) -> str:
    """SQL: a date column's month as yyyy-MM text, what `date_format(d, 'yyyy-MM')` gives for years 1 to 9999, from
    the date's year and month numbers: date_format takes every date through a timestamp in the session's zone and
    java.time's formatter, record by record. Only a good record's partition is used, and its date passed the
    plausible-date rule, whose bounds are dates of years 1 to 9999 (foundation/settings.py: Python dates); outside
    those years (never a good record's) the text differs. tests/ingestion/test_rules.py compares the two."""
    return (f"concat(lpad(cast(year({date_column}) as string), 4, '0'), '-', "
            f"lpad(cast(month({date_column}) as string), 2, '0'))")  # fmt: skip


@dataclass(frozen=True)
class Source:
    entity: str
    raw_folder: str
    format: str  # csv or jsonl
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    version: tuple[str, ...] = ()
    partition: tuple[str, str] | None = None  # (column name, SQL expression over the typed record)
    references: dict[str, str] = field(default_factory=dict)  # column -> "products" | "warehouses"
    output: str = ""  # processed/<output>; defaults to the entity
    wave: int = 1  # 0: masters, which facts are checked against (Glue runs wave by wave; locally one pass)
    arrival: str = "batch"  # "batch": daily drops, bookmarked; "stream": hourly event files, Structured Streaming
    merge: str = "latest"  # "latest": latest version per key; "cdc": Op I/U/D applied into a history and current state
    fill_region: bool = False  # a missing region is taken from the warehouse master
    # processed/<returns>: records whose signed field is negative (returns, credit notes), same columns and key,
    # apart from the source's own table so sales stay gross demand (README, "Returns").
    returns: str = ""

    def __post_init__(self) -> None:
        # A record with no sign belongs in neither the table nor its returns: it is quarantined as null_required.
        if self.signed and self.signed not in self.required:
            raise ValueError(f"{self.entity}: signed field {self.signed} must be required")

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def suffixes(self) -> tuple[str, ...]:
        return (".csv",) if self.format == "csv" else (".jsonl", ".json")

    @property
    def table(self) -> str:
        return f"processed/{self.output or self.entity}"

    @property
    def signed(self) -> str | None:
        """The field whose sign tells a return from a sale (None for a source without returns)."""
        return next((f.name for f in self.fields if f.signed), None) if self.returns else None


PRODUCTS = Source(
    entity="products",
    raw_folder="raw/product_master",
    format="jsonl",
    fields=(
        Field("product_id", required=True),
        Field("product_name", required=True),
        Field("category", required=True),
        Field("brand"),
        Field("unit_cost", "decimal(12,2)"),
        Field("unit_price", "decimal(12,2)", required=True, range=(0, 1_000_000)),
        Field("weight_kg", "double"),
        Field("volume_m3", "double"),
        Field("launch_date", "date", history=True),
        Field("status", normalise_upper=True, allowed=("ACTIVE", "DISCONTINUED"), default="ACTIVE"),
        Field("updated_at", "timestamp", required=True),
    ),
    key=("product_id",),
    version=("updated_at",),
    wave=0,
)

WAREHOUSE_CHANGES = Source(
    entity="warehouses",
    raw_folder="raw/warehouse_master",
    format="csv",
    fields=(
        Field("op", normalise_upper=True, required=True, allowed=("I", "U", "D")),
        Field("commit_ts", "timestamp", required=True),
        Field("warehouse_id", required=True),
        Field("warehouse_name"),
        Field("region", normalise_upper=True, allowed=REGIONS),
        Field("city"),
        Field("address"),
        Field("capacity_units", "bigint", range=(0, 1e9)),
        Field("latitude", "double"),
        Field("longitude", "double"),
        Field("opened_date", "date", history=True),
    ),
    key=("warehouse_id",),
    version=("commit_ts",),
    wave=0,
    merge="cdc",
)

TRANSFER_LANES = Source(
    entity="transfer_lanes",
    raw_folder="raw/transfer_lanes",
    format="csv",
    fields=(
        Field("from_warehouse_id", required=True),
        Field("to_warehouse_id", required=True),
        Field("distance_km", "double"),
        Field("transfer_cost_per_unit", "decimal(10,2)", required=True, range=(0, 10_000)),
        Field("lead_time_days", "int", required=True, range=(0, 120)),
    ),
    key=("from_warehouse_id", "to_warehouse_id"),
    references={"from_warehouse_id": "warehouses", "to_warehouse_id": "warehouses"},
)

SALES = Source(
    entity="sales",
    raw_folder="raw/sales",
    format="csv",
    fields=(
        Field("order_id", required=True),
        Field("line_number", "int", required=True, range=(1, 10_000)),
        Field("order_date", "date", required=True),
        Field("product_id", required=True),
        Field("warehouse_id", required=True),
        Field("region", normalise_upper=True, allowed=REGIONS),
        Field("customer_id", default="UNKNOWN"),
        Field("channel", normalise_upper=True, allowed=CHANNELS, default="UNKNOWN"),
        Field("qty", "int", required=True, range=(1, MAX_LINE_QTY), signed=True),
        Field("unit_price", "decimal(12,2)", required=True, range=(0, 1_000_000)),
        Field("discount_pct", "decimal(5,2)", range=(0, 100), default=0),
        Field("updated_at", "timestamp", required=True),
    ),
    key=("order_id", "line_number"),
    version=("updated_at",),
    partition=("order_month", month_of("order_date")),
    references={"product_id": "products", "warehouse_id": "warehouses"},
    fill_region=True,
    returns="returns",
)

SHIPMENTS = Source(
    entity="shipments",
    raw_folder="raw/shipments",
    format="csv",
    fields=(
        Field("shipment_id", required=True),
        Field("order_id", required=True),
        Field("warehouse_id", required=True),
        Field("carrier", normalise_upper=True, default="UNKNOWN"),
        Field("status", normalise_upper=True, required=True, allowed=("SHIPPED", "DELIVERED", "LOST", "RETURNED")),
        Field("ship_date", "date", required=True),
        Field("promised_date", "date"),
        Field("delivered_date", "date"),
        Field("delay_days", "int", range=(0, 365)),
        Field("total_units", "int", range=(0, 1_000_000)),
        Field("updated_at", "timestamp", required=True),
    ),
    key=("shipment_id",),
    version=("updated_at",),
    partition=("ship_month", month_of("ship_date")),
    references={"warehouse_id": "warehouses"},
)

INVENTORY = Source(
    entity="inventory",
    raw_folder="raw/inventory",
    format="csv",
    fields=(
        Field("snapshot_date", "date", required=True),
        Field("warehouse_id", required=True),
        Field("product_id", required=True),
        Field("on_hand_qty", "int", required=True, range=(0, MAX_STOCK_QTY)),
        Field("on_order_qty", "int", range=(0, MAX_STOCK_QTY), default=0),
        Field("in_transit_qty", "int", range=(0, MAX_STOCK_QTY), default=0),
        Field("extracted_at", "timestamp"),
    ),
    key=("snapshot_date", "warehouse_id", "product_id"),
    version=("extracted_at",),
    partition=("snapshot_month", month_of("snapshot_date")),
    references={"product_id": "products", "warehouse_id": "warehouses"},
)

ORDER_EVENTS = Source(
    entity="order_events",
    raw_folder="raw/order_events",
    format="jsonl",
    fields=(
        Field("event_id", required=True),
        Field("event_type", required=True, allowed=("order_created", "order_cancelled")),
        Field("event_at", "timestamp", required=True),
        Field("order_id", required=True),
        Field("warehouse_id"),
        Field("channel", normalise_upper=True, allowed=CHANNELS, default="UNKNOWN"),
        Field("customer_id"),
        Field("line_count", "int", range=(0, 10_000)),
        Field("total_qty", "int", range=(0, 10_000_000)),
        Field("schema_version", "int"),
    ),
    key=("event_id",),
    partition=("event_date", "date_format(event_at, 'yyyy-MM-dd')"),
    references={"warehouse_id": "warehouses"},
    arrival="stream",
)

# Every source, in the one order runs and reports follow (within a wave the largest first: it starts soonest).
SOURCES: tuple[Source, ...] = (PRODUCTS, WAREHOUSE_CHANGES, INVENTORY, SALES, SHIPMENTS, TRANSFER_LANES, ORDER_EVENTS)


def by_entity(sources: tuple[Source, ...] = SOURCES) -> dict[str, Source]:
    return {s.entity: s for s in sources}


def waves(sources: tuple[Source, ...] = SOURCES) -> tuple[tuple[str, ...], ...]:
    """The entities grouped by wave, masters first: facts and lanes are checked against them."""
    numbers = sorted({s.wave for s in sources})
    return tuple(tuple(s.entity for s in sources if s.wave == number) for number in numbers)


BATCH_SOURCES = {s.entity: s for s in SOURCES if s.arrival == "batch"}
WAVES = waves()
