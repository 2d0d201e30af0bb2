"""Writes source-system drops into the raw zone with the layout the design brief prescribes.

Files are written to a temporary name and renamed, as an uploader would, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pandas as pd


class RawZone:
    def __init__(self, lake_root: Path, seed: int):
        self.root = Path(lake_root)
        self.seed = seed
        self._made: set[Path] = set()

    def file_id(self, *parts: object) -> str:
        """A short deterministic id, like the random suffix an uploader adds."""
        text = "|".join(str(p) for p in (self.seed, *parts))
        return hashlib.sha1(text.encode()).hexdigest()[:8]

    @staticmethod
    def day_folder(entity: str, day: dt.date) -> str:
        return f"raw/{entity}/year={day:%Y}/month={day:%m}/day={day:%d}"

    def drop_path(self, entity: str, day: dt.date, suffix: str) -> str:
        """Lake-relative path of a daily batch drop, e.g. raw/sales/year=2024/.../sales_20241201_ab12cd34.csv."""
        return f"{self.day_folder(entity, day)}/{entity}_{day:%Y%m%d}_{self.file_id(entity, day)}.{suffix}"

    def write_csv(self, relative: str, frame: pd.DataFrame) -> None:
        self._atomic(relative, lambda handle: frame.to_csv(handle, index=False, lineterminator="\n"))

    def write_rows(self, relative: str, header: list[str], rows: list[list[object]]) -> None:
        def dump(handle):
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

        self._atomic(relative, dump)

    def write_jsonl(self, relative: str, records: list[dict], raw_lines: list[str] = ()) -> None:
        def dump(handle):
            for record in records:
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")
            for line in raw_lines:
                handle.write(line + "\n")

        self._atomic(relative, dump)

    def truncate_last_record(self, relative: str) -> int:
        """Cuts the file mid-way through its last record, as an interrupted upload does; returns that line."""
        path = self.root / relative
        data = path.read_bytes()
        body = data.rstrip(b"\n")
        last_start = body.rfind(b"\n") + 1
        cut = last_start + max(1, (len(body) - last_start) // 2)
        path.write_bytes(data[:cut])
        return body.count(b"\n") + 1

    def _atomic(self, relative: str, dump) -> None:
        path = self.root / relative
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        partial = path.with_name("." + path.name + ".partial")
        with open(partial, "w", encoding="utf-8", newline="") as handle:
            dump(handle)
        os.replace(partial, path)
