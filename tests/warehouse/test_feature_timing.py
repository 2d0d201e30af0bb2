"""Every predictor column of demand_features_weekly says when it is known, so no model uses the target's own week
by accident: same_week columns are named so, and known-in-advance or past-only ones are declared."""

from __future__ import annotations

import yaml

from foundation.warehouse.contract import PROJECT_DIR

# Keys, the target, and bookkeeping that no model uses as a predictor.
NOT_FEATURES = {
    "demand_week_id", "series_id", "product_id", "warehouse_id", "current_region_code", "category", "subcategory",
    "units_sold", "days_observed", "series_week_number", "is_partial_week", "is_filled_week", "week_start",
}  # fmt: skip
TIMINGS = {"same_week", "known_in_advance", "past_only"}


def feature_columns() -> list[dict]:
    models = yaml.safe_load((PROJECT_DIR / "models/marts/forecasting/_forecasting__models.yml").read_text())["models"]
    features = next(m for m in models if m["name"] == "demand_features_weekly")
    return [c for c in features["columns"] if c["name"] not in NOT_FEATURES]


def test_every_feature_declares_when_it_is_known():
    undeclared = [c["name"] for c in feature_columns() if (c.get("meta") or {}).get("feature_timing") not in TIMINGS]
    assert undeclared == []


def test_same_week_features_are_named_so():
    for column in feature_columns():
        timing = column["meta"]["feature_timing"]
        flags = {"stockout_days", "is_censored"}  # censoring flags, documented as not predictors
        if timing == "same_week" and column["name"] not in flags:
            assert "same_week" in column["name"], column["name"]
        if "same_week" in column["name"]:
            assert timing == "same_week", column["name"]
