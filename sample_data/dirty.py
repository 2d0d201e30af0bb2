"""Injects the defects real ERP drops carry, and records each one so tests can reconcile ingestion against it.

Every manifest entry says where the defect is (file and line) and what ingestion must do with it: quarantine it
under a named rule, drop it as a duplicate, or repair it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class EntityRules:
    key: tuple[str, ...]
    required: tuple[str, ...]
    date_column: str
    number_column: str
    quantity_column: str | None
    kinds: tuple[str, ...]
    signed_quantity: bool = False  # a negative quantity is a return, not a defect: the bad one is zero instead


RULES = {
    "sales": EntityRules(
        key=("order_id", "line_number"),
        required=("order_id", "order_date", "product_id", "warehouse_id", "qty"),
        date_column="order_date",
        number_column="unit_price",
        quantity_column="qty",
        kinds=(
            "exact_duplicate",
            "corrected_resend",
            "null_required",
            "invalid_date",
            "invalid_number",
            "invalid_quantity",
            "unknown_product",
            "unknown_warehouse",
            "region_spelling",
        ),
        signed_quantity=True,
    ),
    "shipments": EntityRules(
        key=("shipment_id",),
        required=("shipment_id", "order_id", "warehouse_id", "ship_date"),
        date_column="promised_date",
        number_column="total_units",
        quantity_column=None,
        kinds=("exact_duplicate", "null_required", "invalid_date", "invalid_number", "unknown_warehouse"),
    ),
    "inventory": EntityRules(
        key=("snapshot_date", "warehouse_id", "product_id"),
        required=("snapshot_date", "warehouse_id", "product_id", "on_hand_qty"),
        date_column="snapshot_date",
        number_column="on_order_qty",
        quantity_column="on_hand_qty",
        kinds=(
            "exact_duplicate",
            "null_required",
            "invalid_number",
            "invalid_quantity",
            "unknown_product",
            "unknown_warehouse",
        ),
    ),
}

# What ingestion must do with each kind: the quarantine rule name, or an outcome for rows that are kept.
EXPECTED_OUTCOME = {
    "exact_duplicate": "deduplicated",
    "corrected_resend": "supersedes",
    "null_required": "quarantine:null_required",
    "invalid_date": "quarantine:invalid_date",
    "invalid_number": "quarantine:invalid_number",
    "invalid_quantity": "quarantine:invalid_quantity",
    "unknown_product": "quarantine:unknown_product",
    "unknown_warehouse": "quarantine:unknown_warehouse",
    "region_spelling": "repaired:region",
    "schema_drift": "accepted:extra_column",
    "truncated_record": "quarantine:malformed_record",
    "malformed_json": "quarantine:malformed_record",
    "duplicate_event": "deduplicated",
}

BAD_DATES = ("2024-13-45", "31/02/2024", "not-a-date", "20240230")
BAD_NUMBERS = ("12x", "1O.99", "N/A", "--")


@dataclass
class DirtInjector:
    entity: str
    rate: float
    rng: np.random.Generator
    carry: pd.DataFrame | None = None
    carry_kinds: list[tuple[str, str]] = field(default_factory=list)
    manifest: list[dict] = field(default_factory=list)

    def apply(self, frame: pd.DataFrame, file: str) -> pd.DataFrame:
        """Returns the rows to write to `file` (all strings), with defects and yesterday's re-sends mixed in."""
        rules = RULES[self.entity]
        frame = frame.reset_index(drop=True)
        pending = []
        if self.carry is not None and not self.carry.empty:
            frame = pd.concat([frame, self.carry], ignore_index=True)
            pending = self.carry_kinds
        self.carry, self.carry_kinds = None, []
        originals = len(frame) - len(pending)
        for offset, (kind, key) in enumerate(pending):
            self._record(kind, file, originals + offset, key)
        picks = np.nonzero(self.rng.random(originals) < self.rate)[0]
        if len(picks):
            frame = frame.astype(object)  # defects put text where numbers were
        resends = []
        for row in picks:
            kind = str(self.rng.choice(rules.kinds))
            key = "|".join(str(v) for v in frame.iloc[row][list(rules.key)])
            if kind in ("exact_duplicate", "corrected_resend"):
                resends.append((row, kind, key))
                continue
            self._mutate(frame, row, kind)
            self._record(kind, file, row, key)
        self._carry_resends(frame, resends)
        return frame

    def _bad_quantity(self, rules: EntityRules) -> str:
        """A quantity out of range: negative, or far too large; zero where a negative one is a return."""
        negative = -int(self.rng.integers(1, 50))  # drawn either way, so a seed's other defects stay where they were
        return str(self.rng.choice([0 if rules.signed_quantity else negative, 99_999_999]))

    def _mutate(self, frame: pd.DataFrame, row: int, kind: str) -> None:
        rules, rng = RULES[self.entity], self.rng
        column, value = {
            "null_required": lambda: (str(rng.choice(rules.required)), ""),
            "invalid_date": lambda: (rules.date_column, str(rng.choice(BAD_DATES))),
            "invalid_number": lambda: (rules.number_column, str(rng.choice(BAD_NUMBERS))),
            "invalid_quantity": lambda: (rules.quantity_column, self._bad_quantity(rules)),
            "unknown_product": lambda: ("product_id", "P99999"),
            "unknown_warehouse": lambda: ("warehouse_id", "WH999"),
            "region_spelling": lambda: ("region", f" {frame.iat[row, frame.columns.get_loc('region')].lower()} "),
        }[kind]()
        frame.iat[row, frame.columns.get_loc(column)] = value

    def _carry_resends(self, frame: pd.DataFrame, resends: list[tuple[int, str, str]]) -> None:
        """Duplicates and corrections arrive in the next drop, as ERP re-sends do."""
        if not resends:
            return
        copies = frame.loc[[row for row, _, _ in resends]].copy().reset_index(drop=True)
        copies = copies.astype(object)
        for index, (_, kind, _) in enumerate(resends):
            if kind == "corrected_resend":
                qty = int(copies.loc[index, "qty"])
                copies.loc[index, "qty"] = str(qty + 1 if qty < 5 else qty - 1)
                updated = pd.Timestamp(copies.loc[index, "updated_at"]) + pd.Timedelta(days=1)
                copies.loc[index, "updated_at"] = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.carry = copies
        self.carry_kinds = [(kind, key) for _, kind, key in resends]

    def _record(self, kind: str, file: str, row: int, key: str) -> None:
        # Line 1 is the header, so data row i sits on line i + 2.
        self.manifest.append(
            {
                "entity": self.entity,
                "kind": kind,
                "file": file,
                "line": int(row) + 2,
                "key": key,
                "expected": EXPECTED_OUTCOME[kind],
            }
        )
