"""The shape every fault case shares, so one report can tabulate them all.

A case reproduces one fault or one kind of bad input in a fresh folder (a small generated lake, a drop with a
defect, a killed process...) and says what happened, judged on the four things a run must never do: lose a row,
stay wedged, end in a raw traceback, print a credential. `scripts/fault_report.py` runs every registered case and
prints the table; `tests/faults/` asserts each outcome is clean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FaultOutcome:
    rows_lost: int  # rows neither written, deduplicated nor quarantined with a rule
    wedged: bool  # the next run (or rerun) cannot complete without a human
    raw_traceback: bool  # a Python or Java traceback reached the user's terminal
    secret_printed: bool  # a credential appeared in output, a log, a run record or an artifact
    detail: str  # one line: what the run did (its message, counts)

    @property
    def clean(self) -> bool:
        return self.rows_lost == 0 and not (self.wedged or self.raw_traceback or self.secret_printed)


@dataclass(frozen=True)
class FaultCase:
    name: str
    group: str  # "input" (bad input in a drop) or "process" (kills, locks, permissions, connections, secrets)
    reproduce: Callable[[Path], FaultOutcome]  # gets an empty folder of its own


TRACEBACK_MARKERS = ("Traceback (most recent call last)", "\tat org.apache.", "py4j.protocol.Py4JJavaError")


def has_raw_traceback(output: str) -> bool:
    return any(marker in output for marker in TRACEBACK_MARKERS)
