"""The quality report every ingestion run writes, and the gate that fails a run on anomalies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class QualityGateError(RuntimeError):
    """Too many records broke the rules: the run fails and publishes nothing."""


@dataclass
class QualityReport:
    entity: str
    run_id: str
    status: str = "running"  # succeeded, failed, no_new_files
    files_read: int = 0
    rows_read: int = 0
    rows_written: int = 0
    rows_deduplicated: int = 0
    rows_replaced: int = 0  # rows already in processed/ that this run's newer versions superseded
    rows_quarantined: int = 0
    rows_returns: int = 0  # of rows_written, those published as returns (negative quantities; Source.returns)
    rows_replayed: int = 0  # quarantined earlier for a curable rule, retried (counted in rows_read too)
    rows_released: int = 0  # ... of which landed this run and left the quarantine
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    quarantine_rate: float = 0.0
    max_quarantine_rate: float = 0.05
    null_rates: dict[str, float] = field(default_factory=dict)
    schema_drift: list[dict] = field(default_factory=list)
    partitions_written: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped_files: list[dict] = field(default_factory=list)  # {file, reason}: in the raw folder, not read
    rewritten_files: list[dict] = field(default_factory=list)  # {file, checksum, replaces}: a new version re-read
    # Keys whose winning version tied on its version timestamp with a different record: the later-landed file won.
    version_ties: int = 0
    error: str | None = None
    seconds: float = 0.0

    def reconciles(self) -> bool:
        """Nothing is lost: every record read was written, dropped as a duplicate or quarantined."""
        return self.rows_read == self.rows_written + self.rows_deduplicated + self.rows_quarantined

    def check_gate(self) -> None:
        """The gate judges this run's new records: a replayed record still waiting for its master is no new defect."""
        still_waiting = self.rows_replayed - self.rows_released
        new_rows, new_bad = self.rows_read - self.rows_replayed, self.rows_quarantined - still_waiting
        self.quarantine_rate = round(new_bad / new_rows, 6) if new_rows else 0.0
        if self.quarantine_rate > self.max_quarantine_rate:
            top = ", ".join(f"{rule}: {n}" for rule, n in sorted(self.quarantined_by_rule.items(), key=lambda x: -x[1]))
            raise QualityGateError(
                f"{self.entity}: {new_bad} of {new_rows} records ({self.quarantine_rate:.1%}) "
                f"broke the rules, above the {self.max_quarantine_rate:.1%} threshold ({top}); nothing was published"
            )

    def as_dict(self) -> dict:
        return asdict(self)
