"""A source column as its spec declares it: type, required, allowed values, range, default. Plain data (no Spark),
so the source specs that hold these can be read by anything, orchestration included."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"  # string, int, bigint, double, decimal(p,s), date, timestamp, boolean
    required: bool = False
    normalise_upper: bool = False  # UPPER(TRIM(x)): region spellings like ' north ' become NORTH
    allowed: tuple[str, ...] = ()
    range: tuple[float, float] | None = None  # breaking it is invalid_quantity
    default: object = None  # fill for a null in an optional column
    # A negative value reverses a record (a return, a credit note): the range applies to its magnitude, and the
    # source's `returns` output takes the record (ingestion/sources.py).
    signed: bool = False
    history: bool = False  # a date that may predate the business (a warehouse opened in 1985): no lower bound
