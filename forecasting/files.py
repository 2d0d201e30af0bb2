"""A planner's own history file in, a forecast file out: the forecast stage's file I/O (the warehouse reads and the
output writes are the ground floor's, foundation.warehouse.io)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd


def read_history_file(path: Path) -> pd.DataFrame:
    """A planner's own history in long format (unique_id, ds, y), from CSV or Parquet; ids are read as text so
    leading zeros survive, quantities as they are written (prepare_history names the ones that are not numbers)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        if path.suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"unique_id": str, "ds": str}, sep=None, engine="python",
                                encoding="utf-8-sig")  # fmt: skip
    except (ValueError, OSError, UnicodeDecodeError, csv.Error, pd.errors.ParserError) as failure:
        raise ValueError(f"{path}: not a readable CSV or Parquet file ({failure}); save it as UTF-8 CSV") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = {"unique_id", "ds", "y"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {sorted(missing)} (found {list(frame.columns)[:8]}); a history needs "
            "unique_id, ds and y: rename the columns"
        )
    if frame.empty:
        raise ValueError(f"{path}: no rows under the header; a history needs one row per series and week")
    return frame


def write_file(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def report_json(report: dict) -> str:
    return json.dumps(report, indent=2, default=str)
