"""One working copy of the local DuckDB warehouse per run, published when the run succeeds.

A dbt step that copied the whole warehouse file aside and renamed it back (write-audit-publish) paid a copy of the
history for every step: four copies a daily run, about 640 MB each at 10M sales lines. The local runner instead
copies the live file once, at the first step that builds, and every later step of the run (the loads, the other
dbt steps, the forecast and the plan) reads and writes that copy; when the last step succeeds the copy replaces the
live file in one rename. So the live warehouse only ever holds a whole successful run (what `supplychain report`
or an analyst reads meanwhile), and a failed or killed run leaves it as the last good run left it.

The copy outlives a failed run: `supplychain run --resume` carries on from it (a killed dbt leaves DuckDB's
write-ahead log beside it, which DuckDB replays into the file it belongs to), so the steps that succeeded are not
lost; any other run starts from the live file again and discards it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from foundation.warehouse.build import discard_work_copy, publish_work_copy, start_work_copy, work_copy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunWarehouse:
    live: Path

    @property
    def work(self) -> Path:
        return work_copy(self.live)

    @property
    def fingerprints(self) -> Path:
        """The fingerprints of the dbt steps that built the working copy (orchestration.change_check), which
        describe the live warehouse only once the copy is published."""
        return self.work.with_name(self.work.name + ".fingerprints.json")

    def start(self, resuming: bool) -> None:
        """A resumed run carries on from the copy its failed run left; any other starts from the live file."""
        if not resuming:
            discard_work_copy(self.work)
            self.fingerprints.unlink(missing_ok=True)
        elif self.work.exists():
            log.info("resuming on the failed run's working copy %s", self.work)

    def current(self) -> Path:
        """The file this run's steps read: its working copy once a step has built, else the live file."""
        return self.work if self.work.exists() else self.live

    def for_building(self) -> Path:
        """The working copy, made on the run's first build."""
        if not self.work.exists():
            start_work_copy(self.live, self.work)
        return self.work

    def publish(self) -> bool:
        """The working copy (if a step made one) becomes the live warehouse; True when it did."""
        if not self.work.exists():
            return False
        publish_work_copy(self.work, self.live)
        return True
