"""Property: `write_outputs` leaves an output file untouched only when the new table equals the published one.

A stage output whose Parquet file already holds the same rows is not rewritten (the next dbt step then skips what
it feeds). Skipping a changed table would lose a day's output, so random tables are written twice through a toy
source's declared schema: nulls as None or NaN, -0.0, timestamps, unicode strings, empty tables, the frame's columns
in any order (and an extra one), integers arriving as floats, and the declared contract itself changing between the
writes (a column's type, the columns' order). The file must be kept iff the second table equals the first in schema
and rows (row order included), and must always read back as the latest table.

Equal here means equal as every target reads it: pandas' missing values (None, NaN, NaT) are one null (Arrow
converts each to null), and -0.0 equals 0.0 (as SQL compares them), so a file kept holding 0.0 for a new -0.0 is
the latest table.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from foundation.lake import Lake
from foundation.warehouse import contract
from foundation.warehouse.io import write_outputs

# The toy output's columns under each contract: the second changes a column's type (integer to double precision,
# equal values), the third the columns' order.
CONTRACTS = {
    "base": [("id", "varchar"), ("amount", "double precision"), ("units", "integer"), ("day", "date"),
             ("at", "timestamp"), ("flag", "boolean"), ("label", "varchar")],
    "units_double": [("id", "varchar"), ("amount", "double precision"), ("units", "double precision"),
                     ("day", "date"), ("at", "timestamp"), ("flag", "boolean"), ("label", "varchar")],
    "reordered": [("label", "varchar"), ("id", "varchar"), ("amount", "double precision"), ("units", "integer"),
                  ("day", "date"), ("at", "timestamp"), ("flag", "boolean")],
}  # fmt: skip
NAMES = ["id", "amount", "units", "day", "at", "flag", "label"]


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    """One dbt project folder per contract, holding only the toy source (a folder each: parsed sources are kept
    per project)."""
    folders = {}
    for name, columns in CONTRACTS.items():
        folder = tmp_path_factory.mktemp(f"project-{name}")
        sources = folder / "models" / "staging" / "toy" / "_toy__sources.yml"
        sources.parent.mkdir(parents=True)
        column_yaml = "".join(f"          - name: {c}\n            data_type: {t}\n" for c, t in columns)
        sources.write_text(
            "version: 2\nsources:\n  - name: toy\n    tables:\n      - name: toy_output\n        config:\n"
            f"          meta:\n            processed_path: toy/toy_output\n        columns:\n{column_yaml}"
        )
        folders[name] = folder
    return folders


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)  # any Unicode a str holds, NUL included
row = st.fixed_dictionaries(
    {
        "id": st.one_of(st.none(), text),
        "amount": st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.5, -2.25, 1e300, 5e-324])),
        "units": st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)),
        "day": st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))),
        "at": st.one_of(
            st.none(),
            st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1)),  # microseconds, as the file keeps
        ),
        "flag": st.one_of(st.none(), st.booleans()),
        "label": st.one_of(st.none(), text),
    }
)


@st.composite
def frames(draw, rows: list[dict]) -> pd.DataFrame:
    """The rows as a stage might hand them over: missing values as None or NaN/NaT, integers as int64, float64,
    nullable Int64 or objects, strings as objects or pandas strings, columns in any order, an extra column."""
    columns = {}
    for name in NAMES:
        values = [r[name] for r in rows]
        if name == "units":
            kind = draw(st.sampled_from(["object", "float64", "Int64", "int64"]))
            if kind == "int64" and None in values:
                kind = "float64"
            columns[name] = (
                pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
                if kind == "float64"
                else pd.Series(values, dtype=kind)
            )
        elif name == "amount":
            columns[name] = pd.Series([draw(st.sampled_from([None, math.nan])) if v is None else v for v in values],
                                      dtype=draw(st.sampled_from(["float64", "object"])))  # fmt: skip
        elif name == "at":
            columns[name] = pd.Series([pd.NaT if v is None else pd.Timestamp(v) for v in values], dtype=object)
            if draw(st.booleans()):
                columns[name] = pd.to_datetime(columns[name]).astype("datetime64[us]")
        elif name in ("id", "label"):
            columns[name] = pd.Series(values, dtype=draw(st.sampled_from(["object", "string"])))
        else:
            columns[name] = pd.Series(values, dtype=object)
    if draw(st.booleans()):
        columns["not_declared"] = pd.Series(["x"] * len(rows), dtype=object)
    order = draw(st.permutations(list(columns)))
    return pd.DataFrame({name: columns[name] for name in order})


@st.composite
def second_tables(draw, rows: list[dict]) -> list[dict]:
    """The same rows, or rows changed in one way: a value, a row more or less, their order."""
    change = draw(st.sampled_from(["same", "same", "value", "append", "drop", "order"]))
    rows = [dict(r) for r in rows]
    if change == "value" and rows:
        at, column = draw(st.integers(0, len(rows) - 1)), draw(st.sampled_from(NAMES))
        rows[at][column] = draw(row)[column]
    elif change == "append":
        rows.insert(draw(st.integers(0, len(rows))), draw(row))
    elif change == "drop" and rows:
        del rows[draw(st.integers(0, len(rows) - 1))]
    elif change == "order" and len(rows) > 1:
        at = draw(st.integers(1, len(rows) - 1))
        rows = rows[at:] + rows[:at]
    return rows


def normalized(rows: list[dict], columns: list[tuple[str, str]]) -> list[tuple]:
    """Rows as every target reads them: a null for None, NaN or NaT, numbers by value (-0.0 == 0.0)."""

    def value(v, sql_type):
        if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            return None
        return float(v) if sql_type == "double precision" else v

    return [tuple(value(r[name], sql_type) for name, sql_type in columns) for r in rows]


def published(path: Path) -> tuple[list, list[tuple]]:
    table = pq.read_table(path)
    return [f.name for f in table.schema], [tuple(r.values()) for r in table.to_pylist()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first_rows=st.lists(row, max_size=4),
    first_contract=st.sampled_from(list(CONTRACTS)),
    data=st.data(),
)
def test_an_output_is_kept_only_when_it_equals_the_published_file(
    projects, tmp_path_factory, monkeypatch, first_rows, first_contract, data
):
    contracts = (first_contract, data.draw(st.sampled_from([first_contract, first_contract, *CONTRACTS])))
    second_rows = data.draw(second_tables(first_rows))
    lake_root = tmp_path_factory.mktemp("lake")
    lake, file = Lake(str(lake_root)), lake_root / "processed" / "toy" / "toy_output" / "part-00000.parquet"

    def write(rows: list[dict], contract_name: str) -> os.stat_result:
        monkeypatch.setattr(contract, "PROJECT_DIR", projects[contract_name])
        frame = data.draw(frames(rows))
        note(f"{contract_name}: {frame.dtypes.to_dict()}\n{frame!r}")
        write_outputs(lake, {"toy_output": frame}, {}, source="toy", stage="toy")
        columns = CONTRACTS[contract_name]
        # The published file reads back as the latest table, whatever happened to the one before it.
        assert published(file) == ([name for name, _ in columns], normalized(rows, columns))
        return file.stat()

    before = write(first_rows, contracts[0])
    after = write(second_rows, contracts[1])
    kept = (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    same = CONTRACTS[contracts[0]] == CONTRACTS[contracts[1]] and normalized(
        first_rows, CONTRACTS[contracts[0]]
    ) == normalized(second_rows, CONTRACTS[contracts[1]])
    event(f"{'kept' if kept else 'rewritten'}, {'equal' if same else 'changed'}")
    assert kept == same, f"file {'kept' if kept else 'rewritten'} for a table {'equal' if same else 'changed'}"
