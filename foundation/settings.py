"""The one place settings come from: command-line flags override environment variables, which override defaults.

| variable                        | default   | meaning                                                   |
|---------------------------------|-----------|-----------------------------------------------------------|
| SUPPLYCHAIN_LAKE_ROOT           | ./lake    | data lake root: a folder, or s3://bucket/prefix on AWS    |
| SUPPLYCHAIN_RUN_DATE            | (none)    | ingest drops up to this date (YYYY-MM-DD); none means all |
| SUPPLYCHAIN_MAX_QUARANTINE_RATE | 0.05      | fail a run when more than this share of records is bad    |
| SUPPLYCHAIN_EARLIEST_YEAR       | 2000      | business dates before this year are quarantined           |
| SUPPLYCHAIN_FUTURE_MARGIN_DAYS  | 366       | ... and so are those more than this many days after today |
| SUPPLYCHAIN_SETTLE_SECONDS      | 2         | a drop is read once unchanged this long (landing protocol)|
| SUPPLYCHAIN_SPARK_MASTER        | local[*]  | Spark master for local runs (Glue supplies its own)       |
| SUPPLYCHAIN_SPARK_MEMORY        | 2g        | driver memory for local runs                              |
| SUPPLYCHAIN_JVM_ARCHIVE_DIR     | (venv)    | local driver's class archive: .venv/tools/spark-cds; `off`|
| SUPPLYCHAIN_JVM_ARCHIVE_DUMP    | (none)    | set by scripts/build_jvm_archive.py only: its dump        |
| SUPPLYCHAIN_STEP_RETRY_DELAYS   | 2,8       | `supplychain run`: seconds before each retry of a step    |
|                                 |           | that failed transiently; empty for no retries             |
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
    earliest_year: int = 2000
    future_margin_days: int = 366
    settle_seconds: float = 2.0
    spark_master: str = "local[*]"
    spark_memory: str = "2g"
    jvm_archive_dir: str = ""  # empty: the default under the venv (foundation/jvm_archive.py)
    jvm_archive_dump: str = ""  # set by the archive's build only: the file its session's JVM dumps classes into
    step_retry_delays: tuple[float, ...] = (2.0, 8.0)  # one wait per retry: two retries, 2 s then 8 s

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        run_date = env.get("SUPPLYCHAIN_RUN_DATE")
        return cls(
            lake_root=env.get("SUPPLYCHAIN_LAKE_ROOT", cls.lake_root),
            run_date=parse_date(run_date, "SUPPLYCHAIN_RUN_DATE") if run_date else None,
            max_quarantine_rate=parse_rate(env.get("SUPPLYCHAIN_MAX_QUARANTINE_RATE", str(cls.max_quarantine_rate))),
            earliest_year=_parse_int(env, "SUPPLYCHAIN_EARLIEST_YEAR", cls.earliest_year),
            future_margin_days=_parse_int(env, "SUPPLYCHAIN_FUTURE_MARGIN_DAYS", cls.future_margin_days),
            settle_seconds=_parse_seconds(env, "SUPPLYCHAIN_SETTLE_SECONDS", cls.settle_seconds),
            spark_master=env.get("SUPPLYCHAIN_SPARK_MASTER", cls.spark_master),
            spark_memory=env.get("SUPPLYCHAIN_SPARK_MEMORY", cls.spark_memory),
            jvm_archive_dir=env.get("SUPPLYCHAIN_JVM_ARCHIVE_DIR", cls.jvm_archive_dir),
            jvm_archive_dump=env.get("SUPPLYCHAIN_JVM_ARCHIVE_DUMP", cls.jvm_archive_dump),
            step_retry_delays=_parse_delays(env, "SUPPLYCHAIN_STEP_RETRY_DELAYS", cls.step_retry_delays),
        )


def _parse_int(env, name: str, default: int) -> int:
    text = env.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a whole number") from None


def _parse_seconds(env, name: str, default: float) -> float:
    text = env.get(name)
    if text is None:
        return default
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number of seconds") from None
    if not 0 <= seconds <= 3600:
        raise ValueError(f"{name} {text!r} must be between 0 and 3600 seconds")
    return seconds


def _parse_delays(env, name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    text = env.get(name)
    if text is None:
        return default
    words = [word.strip() for word in text.split(",") if word.strip()]
    if len(words) > 10:
        raise ValueError(f"{name} {text!r} asks for more than 10 retries")
    return tuple(_parse_seconds({name: word}, name, 0.0) for word in words)


def plausible_dates(settings: Settings, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The business dates ingestion accepts: from the earliest year to a margin after today (forward orders)."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    return dt.date(settings.earliest_year, 1, 1), today + dt.timedelta(days=settings.future_margin_days)


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
