"""The ingestion stage, `run(options, resources)`: the sources' new drops, raw/ -> processed/, wave by wave in one
Spark session. Returns each source's figures (status, rows read, written, quarantined, and the error if it failed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from foundation.options import StageOptions, flag
from foundation.settings import Settings, parse_date, parse_rate
from foundation.stage import Resources
from ingestion.sources import SOURCES


def source_names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class IngestOptions(StageOptions):
    only: tuple[str, ...] | None = flag(None, "comma-separated sources (default: all)", parse=source_names)
    run_date: dt.date | None = flag(
        None, "ingest drops landed up to this date, YYYY-MM-DD (default: all; SUPPLYCHAIN_RUN_DATE)",
        parse=lambda text: parse_date(text, "--run-date"),
    )
    full_refresh: bool = flag(False, "ignore bookmarks and re-read every drop (`run`: and skip no step)")
    max_quarantine_rate: float = flag(
        Settings.max_quarantine_rate,
        "fail a source when more than this share of its records is bad (SUPPLYCHAIN_MAX_QUARANTINE_RATE)",
        parse=parse_rate,
    )

    def validate(self) -> None:
        known = [s.entity for s in SOURCES]
        unknown = sorted(set(self.only or ()) - set(known))
        if unknown:
            raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(known)}")

    @staticmethod
    def settings_defaults(settings: Settings) -> dict:
        """The defaults the environment sets (flags override them)."""
        return {"run_date": settings.run_date, "max_quarantine_rate": settings.max_quarantine_rate}


def run(options: IngestOptions, resources: Resources) -> dict[str, dict]:
    from ingestion.batch import RunOptions
    from ingestion.runner import ingest_all

    spark = resources.spark("supplychain-ingest")
    run_options = RunOptions(options.run_date, options.full_refresh, options.max_quarantine_rate)
    reports = ingest_all(spark, resources.lake, run_options, list(options.only) if options.only else None)
    return {
        report.entity: {
            "status": report.status, "rows_read": report.rows_read, "rows_written": report.rows_written,
            "rows_quarantined": report.rows_quarantined,
            **({"error": report.error or "quality gate failed"} if report.status == "failed" else {}),
        }
        for report in reports
    }  # fmt: skip
