"""The sample-data generator: deterministic, laid out as the raw zone, and demand that behaves like demand."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re

import pandas as pd
import pytest

from sample_data.generate import DIRTY_ROWS_PATH, MANIFEST_PATH, GeneratorOptions, generate
from supplychain.cli import main

OPTIONS = GeneratorOptions(
    seed=3,
    sales_rows=5000,
    start=dt.date(2023, 1, 1),
    end=dt.date(2024, 12, 31),
    products=25,
    warehouses=6,
    dirty_rate=0.01,
    event_days=2,
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    manifest = generate(root, OPTIONS)
    return root, manifest


def digest(root):
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted((root / "raw").rglob("*"))
        if p.is_file()
    }


def read_all(root, entity):
    return pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in sorted((root / "raw" / entity).rglob("*.csv"))
        if p.stat().st_size
    )


def test_same_seed_same_bytes(lake, tmp_path):
    root, _ = lake
    generate(tmp_path, OPTIONS)
    assert digest(tmp_path) == digest(root)


def test_raw_zone_layout_follows_the_brief(lake):
    root, _ = lake
    sales = sorted((root / "raw" / "sales").rglob("*.csv"))
    assert len(sales) == (OPTIONS.end - OPTIONS.start).days + 1
    pattern = re.compile(r"raw/sales/year=(\d{4})/month=(\d{2})/day=(\d{2})/sales_(\d{8})_[0-9a-f]{8}\.csv$")
    for path in sales:
        match = pattern.search(path.as_posix())
        assert match and "".join(match.groups()[:3]) == match.group(4)
    assert list((root / "raw" / "product_master").rglob("*.jsonl"))
    events = list((root / "raw" / "order_events").rglob("*.json"))
    assert events and all(
        re.search(r"year=\d{4}/month=\d{2}/day=\d{2}/hour=\d{2}/order-events-", e.as_posix()) for e in events
    )
    ops = set(read_all(root, "warehouse_master")["Op"])
    assert ops == {"I", "U", "D"}


def test_row_count_is_near_the_target(lake):
    _, manifest = lake
    assert 0.85 * OPTIONS.sales_rows < manifest["rows"]["sales"] < 1.15 * OPTIONS.sales_rows


def test_every_manifest_entry_points_at_its_defect(lake):
    root, _ = lake
    entries = [json.loads(line) for line in (root / DIRTY_ROWS_PATH).read_text().splitlines()]
    assert {e["kind"] for e in entries if e["entity"] == "sales"} >= {
        "exact_duplicate",
        "corrected_resend",
        "null_required",
        "invalid_date",
        "invalid_number",
        "invalid_quantity",
        "unknown_product",
        "unknown_warehouse",
        "region_spelling",
        "schema_drift",
        "truncated_record",
    }
    for entry in entries:
        lines = (root / entry["file"]).read_text().splitlines()
        text = lines[entry["line"] - 1]
        if entry["kind"] == "unknown_product":
            assert "P99999" in text
        elif entry["kind"] == "unknown_warehouse":
            assert "WH999" in text
        elif entry["kind"] == "region_spelling":
            assert re.search(r", (north|south|east|west|central) ,", text)
        elif entry["kind"] == "truncated_record":
            assert entry["line"] == len(lines)
            assert len(next(csv.reader([text]))) < len(next(csv.reader([lines[0]])))
        elif entry["kind"] == "schema_drift":
            assert "promo_code" in lines[0]
    assert json.loads((root / MANIFEST_PATH).read_text())["dirty_by_kind"]["sales"]["truncated_record"] == 1


def test_demand_has_seasonality_trend_and_stockouts(lake):
    root, _ = lake
    sales = read_all(root, "sales")
    sales = sales[sales["qty"].str.fullmatch(r"\d+") & sales["order_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")]
    sales = sales.assign(qty=sales["qty"].astype(int), day=pd.to_datetime(sales["order_date"], errors="coerce"))
    sales = sales.dropna(subset=["day"])
    products = pd.concat(pd.read_json(p, lines=True) for p in (root / "raw" / "product_master").rglob("*.jsonl"))
    category = products.drop_duplicates("product_id").set_index("product_id")["category"]
    sales["category"] = sales["product_id"].map(category)
    tv = sales[sales["category"] == "Electronics/TV"]
    by_month = tv.groupby(tv["day"].dt.month)["qty"].sum()
    assert by_month.loc[[11, 12]].mean() > 1.3 * by_month.loc[[5, 6]].mean()  # the Christmas peak
    weekly = sales.groupby(sales["day"].dt.dayofweek)["qty"].sum()
    assert weekly.max() > 1.1 * weekly.min()  # a weekly pattern
    inventory = read_all(root, "inventory")
    on_hand = pd.to_numeric(inventory["on_hand_qty"], errors="coerce")
    assert (on_hand == 0).mean() > 0.01  # stock-outs happen, so sales are censored
    assert (on_hand.dropna() >= 0).mean() > 0.98


def test_existing_raw_data_is_not_overwritten_without_force(lake, tmp_path):
    (tmp_path / "raw" / "sales").mkdir(parents=True)
    (tmp_path / "raw" / "sales" / "keep.csv").write_text("x")
    assert (
        main(
            [
                "--lake-root",
                str(tmp_path),
                "generate",
                "--sales-rows",
                "500",
                "--start",
                "2024-01-01",
                "--end",
                "2024-01-31",
                "--products",
                "10",
                "--warehouses",
                "5",
            ]
        )
        == 2
    )
    assert (tmp_path / "raw" / "sales" / "keep.csv").exists()


def test_bad_options_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="must be after"):
        GeneratorOptions(start=dt.date(2024, 1, 2), end=dt.date(2024, 1, 1))
