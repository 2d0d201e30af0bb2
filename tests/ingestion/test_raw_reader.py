"""Reading drops: columns by header name, line numbers, schema drift, cut-off records and unreadable files."""

from __future__ import annotations

import pytest

from foundation.lake import Lake
from ingestion.io import raw_reader
from ingestion.io.raw_reader import RawFileError, read_csv_drops, read_json_drops

pytestmark = pytest.mark.spark
COLUMNS = ["order_id", "qty", "note"]


def drop(root, name, text):
    path = root / "raw" / "sales" / "year=2024" / "month=01" / "day=02" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def read(spark, root, required=("order_id",)):
    lake = Lake(str(root))
    files = lake.list_raw("raw/sales", (".csv",))
    return read_csv_drops(spark, lake, files, COLUMNS, list(required))


def test_columns_map_by_header_and_lines_are_numbered(spark, tmp_path):
    drop(tmp_path, "a.csv", 'order_id,qty,note\nO1,1,"x, with comma"\nO2,2,\n')
    drop(tmp_path, "b.csv", "qty,order_id\n5,O3\n")  # other column order, no note column
    records, drift = read(spark, tmp_path)
    got = sorted(
        (r.source_file.rsplit("/", 1)[-1], r.source_line, r.order_id, r.qty, r.note, r.is_malformed)
        for r in records.collect()
    )
    assert got == [
        ("a.csv", 2, "O1", "1", "x, with comma", False),
        ("a.csv", 3, "O2", "2", None, False),
        ("b.csv", 2, "O3", "5", None, False),
    ]
    assert drift == []


def test_schema_drift_is_reported_and_known_columns_still_land(spark, tmp_path):
    drop(tmp_path, "a.csv", "order_id,promo_code,qty,note\nO1,BF,1,n\n")
    records, drift = read(spark, tmp_path)
    assert [(r.order_id, r.qty, r.note, r.is_malformed) for r in records.collect()] == [("O1", "1", "n", False)]
    assert drift == [{"file": "raw/sales/year=2024/month=01/day=02/a.csv", "extra_columns": ["promo_code"]}]


def test_record_cut_short_is_flagged_malformed(spark, tmp_path):
    drop(tmp_path, "a.csv", "order_id,qty,note\nO1,1,n\nO2,2")  # upload interrupted mid-record
    records, _ = read(spark, tmp_path)
    assert sorted((r.source_line, r.is_malformed) for r in records.collect()) == [(2, False), (3, True)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"order_i", "header lacks required column(s) order_id"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not UTF-8"),
    ],
)
def test_unreadable_or_truncated_file_fails_naming_it(spark, tmp_path, content, message):
    drop(tmp_path, "good.csv", "order_id,qty,note\nO1,1,n\n")
    drop(tmp_path, "broken.csv", content)
    with pytest.raises(RawFileError) as failure:
        read(spark, tmp_path)
    assert "raw/sales/year=2024/month=01/day=02/broken.csv" in str(failure.value)
    assert message in str(failure.value)


def test_json_lines_keep_line_numbers_and_flag_broken_json(spark, tmp_path):
    drop(tmp_path, "p.json", '{"order_id": "O1", "qty": 3}\n{"order_id": "O2", "qty"\n')
    lake = Lake(str(tmp_path))
    records = read_json_drops(spark, lake, lake.list_raw("raw/sales", (".json",)), COLUMNS)
    got = sorted((r.source_line, r.order_id, r.qty, r.is_malformed) for r in records.collect())
    assert got == [(1, "O1", "3", False), (2, None, None, True)]


def test_quoted_field_with_a_line_break_is_one_record_at_its_first_line(spark, tmp_path):
    drop(tmp_path, "a.csv", 'order_id,qty,note\r\nO1,1,"two\r\nlines"\r\nO2,2,n\r\nO3,3,"cut short\r\n')
    records, _ = read(spark, tmp_path)
    got = sorted((r.source_line, r.order_id, r.note, r.is_malformed) for r in records.collect())
    assert got == [(2, "O1", "two\nlines", False), (4, "O2", "n", False), (5, "O3", "cut short", True)]


def plans(frame) -> tuple[str, str]:
    """The optimised logical plan (one `Relation` per read of the files) and the executed one."""
    frame.collect()
    execution = frame._jdf.queryExecution()
    return execution.optimizedPlan().toString(), execution.executedPlan().toString()


def test_drops_without_a_quote_are_read_once_and_never_regrouped(spark, tmp_path):
    drop(tmp_path, "a.csv", "order_id,qty,note\r\nO1,1,n\r\nO2,2,\r\n")
    drop(tmp_path, "b.csv", "\ufeffqty,order_id\n5,O3\n".encode())
    records, _ = read(spark, tmp_path)
    logical, executed = plans(records)
    # One read of the files, no shuffle: no branch reads them again to look for quoted line breaks.
    assert logical.count("Relation [") == 1, logical
    assert "Exchange" not in executed and "Window" not in executed, executed
    got = sorted((r.source_file.rsplit("/", 1)[-1], r.source_line, r.order_id, r.qty) for r in records.collect())
    assert got == [("a.csv", 2, "O1", "1"), ("a.csv", 3, "O2", "2"), ("b.csv", 2, "O3", "5")]


def test_quoted_and_large_drops_are_still_scanned_beside_quote_free_ones(spark, tmp_path, monkeypatch):
    monkeypatch.setattr(raw_reader, "WHOLE_FILE_BYTES", 64)  # a drop over it is not read whole on the driver
    drop(tmp_path, "quoted.csv", 'order_id,qty,note\nO1,1,"two\nlines"\nO2,2,"a, b"\n')
    drop(tmp_path, "plain.csv", "order_id,qty,note\nO3,3,n\n")
    drop(tmp_path, "large.csv", "order_id,qty,note\n" + "".join(f"L{i},{i},x\n" for i in range(20)))
    lake = Lake(str(tmp_path))
    heads = raw_reader.read_heads(lake, lake.list_raw("raw/sales", (".csv",)), raw_reader.WHOLE_FILE_BYTES)
    assert {p.rsplit("/", 1)[-1]: h.quote_free for p, h in heads.items()} == {
        "large.csv": False,
        "plain.csv": True,
        "quoted.csv": False,
    }
    records, _ = read(spark, tmp_path)
    logical, _ = plans(records)
    assert logical.count("Relation [") == 3, logical  # plain.csv once; the others in the scanning branch's two reads
    got = sorted((r.source_file.rsplit("/", 1)[-1], r.source_line, r.order_id, r.note) for r in records.collect())
    assert got == sorted(
        [("quoted.csv", 2, "O1", "two\nlines"), ("quoted.csv", 4, "O2", "a, b"), ("plain.csv", 2, "O3", "n")]
        + [("large.csv", i + 2, f"L{i}", "x") for i in range(20)]
    )


def test_byte_order_mark_is_not_part_of_the_header_or_the_first_record(spark, tmp_path):
    drop(tmp_path, "a.csv", "\ufefforder_id,qty,note\nO1,1,n\n".encode())
    records, _ = read(spark, tmp_path)
    assert [(r.source_line, r.order_id, r.is_malformed) for r in records.collect()] == [(2, "O1", False)]
    drop(tmp_path, "p.json", '\ufeff{"order_id": "O1", "qty": 3}\n'.encode())
    lake = Lake(str(tmp_path))
    json_records = read_json_drops(spark, lake, lake.list_raw("raw/sales", (".json",)), COLUMNS).collect()
    assert [(r.order_id, r.is_malformed) for r in json_records] == [("O1", False)]


def test_line_endings_and_a_mark_inside_a_value_are_read_as_before(spark, tmp_path):
    # CRLF, CRLF converted twice (CR CR LF), a last line without a newline, and a byte-order mark that is not at
    # the start of the file (it is data there, kept).
    drop(tmp_path, "a.csv", "order_id,qty,note\r\nO1,1,a\r\r\nO2,2,\ufeffb\r\nO3,3,c".encode())
    records, _ = read(spark, tmp_path)
    got = sorted((r.source_line, r.order_id, r.qty, r.note, r.raw_record, r.is_malformed) for r in records.collect())
    assert got == [
        (2, "O1", "1", "a", "O1,1,a", False),
        (3, "O2", "2", "\ufeffb", "O2,2,\ufeffb", False),
        (4, "O3", "3", "c", "O3,3,c", False),
    ]


def test_only_a_line_that_ends_in_a_carriage_return_is_trimmed(spark, tmp_path):
    """Spark's trim of given characters allocates and walks the whole line: a line without a trailing CR (nearly
    every one) is left as split, and the split and the trim happen per file, before the explode (BENCHMARKS.md,
    session 43)."""
    drop(tmp_path, "a.csv", "order_id,qty,note\r\nO1,1,a\r\r\nO2,2,b\nO3,3,c\r")
    lake = Lake(str(tmp_path))
    lines = raw_reader.read_lines(spark, lake, lake.list_raw("raw/sales", (".csv",)))
    assert [r.raw_record for r in lines.orderBy("source_line").collect()] == [
        "order_id,qty,note", "O1,1,a", "O2,2,b", "O3,3,c"
    ]  # fmt: skip
    plan = lines._jdf.queryExecution().optimizedPlan().toString()
    generate = plan[plan.index("Generate") :].split("\n")[0]
    assert "if (endswith(lambda line" in plan.lower()  # the trim only under the test, per file, in the lambda
    assert "trim" not in generate and "split" not in generate  # the explode reads the per-file lines


@pytest.mark.parametrize(
    ("root", "name"),
    [
        ("lake with space", "sales 2024 é+x%.csv"),
        ("lake o'brien", "sales (copy) [1] {a}.csv"),
        ("lake%20+é [x]", "a*b?c\\d.csv"),
    ],
)
def test_file_names_and_lake_roots_with_spaces_quotes_or_accents_keep_every_row(spark, tmp_path, root, name):
    lake_root = tmp_path / root
    drop(lake_root, name, "order_id,qty,note\nO1,1,n\nO2,2,n\n")
    drop(lake_root, "plain.csv", "qty,order_id\n5,O3\n")  # a second header shape: rows are grouped by file
    records, _ = read(spark, lake_root)
    got = sorted((r.source_file, r.order_id, r.is_malformed) for r in records.collect())
    folder = "raw/sales/year=2024/month=01/day=02/"
    expected = [(folder + "plain.csv", "O3", False), (folder + name, "O1", False), (folder + name, "O2", False)]
    assert got == sorted(expected)


def test_a_drop_that_cannot_be_read_leaves_a_failed_report(spark, tmp_path):
    from ingestion.batch import RunOptions, ingest_source
    from ingestion.sources import SALES

    drop(tmp_path, "broken.csv", "order_i")  # header cut short: the whole source stops, and must say so
    lake = Lake(str(tmp_path))
    with pytest.raises(RawFileError):
        ingest_source(spark, lake, SALES, RunOptions())
    report = lake.read_json("processed/_reports/sales/latest.json")
    assert report["status"] == "failed"
    assert "broken.csv: header lacks required column(s)" in report["error"]
    assert lake.read_json("processed/_bookmarks/sales.json") is None
