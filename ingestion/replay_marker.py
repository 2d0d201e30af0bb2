"""What a source's quarantine was last replayed against, so that a run whose masters have not changed since skips
a replay that cannot cure anything (ingestion/replay.py).

A curable record waits for a master to learn its id. After a run, every curable record the quarantine holds has
been checked against the masters' state that run used: the batch's rejects as they were read, the held ones as they
were replayed (or, when the replay was skipped, against that same state earlier). Until that state changes, a
replay re-parses and re-checks them all for nothing (and rewrites every month of the quarantine).

The marker holds that state: per master, a digest of its published table's files (names, sizes, times: a master's
job writes new part files whenever it publishes), with the source's definition (its rules) and the date bounds the
checks used. It is written after the quarantine's replacement; missing, unreadable or different, the run replays.
A crash between the two leaves the older marker, which differs from the masters' new state: the next run replays.
"""

from __future__ import annotations

import hashlib

from foundation.lake import Lake
from ingestion.sources import Source
from ingestion.transforms.rules import DateBounds

VERSION = 1  # raised when the meaning of a marker changes: an older marker then reads as different


def marker_path(entity: str) -> str:
    return f"processed/_replayed/{entity}.json"


def checked_against(lake: Lake, source: Source, dates: DateBounds | None, master_tables: dict[str, str]) -> dict:
    """The state a check of the source's records against its masters' published tables uses now."""
    masters = {}
    for master in sorted(set(source.references.values())):
        path = master_tables[master]
        files = lake.list_files(path) if lake.exists(path) else []
        listing = "\n".join(f"{f.path}\t{f.size}\t{f.modified}" for f in files)
        masters[master] = hashlib.sha256(listing.encode()).hexdigest()
    return {
        "version": VERSION,
        "masters": masters,
        "source": hashlib.sha256(repr(source).encode()).hexdigest(),
        "earliest": dates.earliest.isoformat() if dates else None,
        "latest": dates.latest.isoformat() if dates else None,
    }


def replay_may_cure(lake: Lake, entity: str, now: dict) -> bool:
    """Could a replay against the state `now` (checked_against) cure a record the quarantine holds?"""
    try:
        last = lake.read_json(marker_path(entity))
    except Exception:  # unreadable (cut short, not JSON): the safe direction is to replay
        return True
    if not isinstance(last, dict) or any(last.get(k) != now[k] for k in ("version", "masters", "source", "earliest")):
        return True
    # The latest plausible date moves with today: a held record passed the older bound, so it passes a later one.
    # (A curable record broke no date rule: they come first in RULE_ORDER.)
    return not (isinstance(last.get("latest"), str) and now["latest"] is not None and last["latest"] <= now["latest"])


def record(lake: Lake, entity: str, state: dict) -> None:
    """After the quarantine's replacement: its curable records have all been checked against `state`."""
    lake.write_json(marker_path(entity), state)
