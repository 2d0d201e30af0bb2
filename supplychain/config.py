"""The one place settings come from: command-line flags override environment variables, which override defaults.

| variable                        | default   | meaning                                                   |
|---------------------------------|-----------|-----------------------------------------------------------|
| SUPPLYCHAIN_LAKE_ROOT           | ./lake    | data lake root: a folder, or s3://bucket/prefix on AWS    |
| SUPPLYCHAIN_RUN_DATE            | (none)    | ingest drops up to this date (YYYY-MM-DD); none means all |
| SUPPLYCHAIN_MAX_QUARANTINE_RATE | 0.05      | fail a run when more than this share of records is bad    |
| SUPPLYCHAIN_SPARK_MASTER        | local[*]  | Spark master for local runs (Glue supplies its own)       |
| SUPPLYCHAIN_SPARK_MEMORY        | 2g        | driver memory for local runs                              |
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    lake_root: str = "lake"
    run_date: dt.date | None = None
    max_quarantine_rate: float = 0.05
    spark_master: str = "local[*]"
    spark_memory: str = "2g"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        run_date = env.get("SUPPLYCHAIN_RUN_DATE")
        return cls(
            lake_root=env.get("SUPPLYCHAIN_LAKE_ROOT", cls.lake_root),
            run_date=parse_date(run_date, "SUPPLYCHAIN_RUN_DATE") if run_date else None,
            max_quarantine_rate=parse_rate(env.get("SUPPLYCHAIN_MAX_QUARANTINE_RATE", str(cls.max_quarantine_rate))),
            spark_master=env.get("SUPPLYCHAIN_SPARK_MASTER", cls.spark_master),
            spark_memory=env.get("SUPPLYCHAIN_SPARK_MEMORY", cls.spark_memory),
        )


def parse_date(text: str, name: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a date in YYYY-MM-DD form") from None


def parse_rate(text: str) -> float:
    rate = float(text)
    if not 0 <= rate <= 1:
        raise ValueError(f"quarantine rate {text} must be between 0 and 1")
    return rate
