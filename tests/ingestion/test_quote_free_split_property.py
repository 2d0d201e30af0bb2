"""Property: the quote-free fast path of the raw reader never changes an outcome.

A drop the driver reads whole (up to `WHOLE_FILE_BYTES`) without finding a `"` byte is split in a read of its own,
never scanned for quoted line breaks (session 33). Hostile drops we did not design (quotes and quoted line breaks,
CRLF/LF/mixed endings, blank lines, a byte-order mark, bytes that are not UTF-8, a last line without a newline, a
gzip drop, sizes just under, at and over the cap, a quote only past the cap) must read exactly as the scanning path
(cap 0: every drop scanned) reads them: the same records, line numbers, malformed flags and schema drift.
The cap is lowered to a drop's own size (minus one, equal, plus one), so drops straddle it in every example.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from unittest import mock

import pytest

# The Glue 5.0 runtime that reruns tests/ingestion (ci/glue5-requirements.txt) has no hypothesis: skipped there.
pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from foundation.lake import Lake
from ingestion.io import raw_reader
from ingestion.io.raw_reader import RawFileError, read_csv_drops

pytestmark = pytest.mark.spark
COLUMNS = ["order_id", "qty", "note"]
SUFFIXES = (".csv", ".csv.gz")

plain_text = st.text(alphabet="abcXYZ019 -_.é€\ufeff\t", max_size=8)
# A note field: plain, quoted (with a delimiter, an escaped quote, a line break LF/CRLF/CR), a quote never closed,
# a stray inch mark mid-field, bytes that are not UTF-8 (one of them right before a quote).
note_field = st.one_of(
    plain_text.map(str.encode),
    plain_text.map(lambda s: f'"{s}, x"'.encode()),
    plain_text.map(lambda s: f'"say ""{s}"""'.encode()),
    st.tuples(plain_text, st.sampled_from(["\n", "\r\n", "\r", "\n\n"]), plain_text).map(
        lambda t: f'"{t[0]}{t[1]}{t[2]}"'.encode()
    ),
    plain_text.map(lambda s: f'"{s} never closed'.encode()),
    plain_text.map(lambda s: f'12" {s}'.encode()),
    st.sampled_from([b"\xff\xfe", b"caf\xe9", b"\xe2\x28\xa1", b"\xc3"]),
    st.just(b'\xe2"'),
)
record = st.tuples(
    st.from_regex(r"O[0-9]{1,3}", fullmatch=True), st.sampled_from(["1", "2.5", "", "x"]), note_field
).map(lambda r: b",".join([r[0].encode(), r[1].encode(), r[2]]))
short_record = st.from_regex(r"O[0-9]{1,2}(,[0-9])?", fullmatch=True).map(str.encode)  # cut short
blank = st.sampled_from([b"", b" ", b"\t", b"  \r"])


@st.composite
def drops(draw) -> tuple[bytes, bool]:
    """One drop's bytes and whether it is gzip-compressed."""
    bom = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"]))
    header = draw(st.sampled_from([b"order_id,qty,note", b"qty,order_id,note", b"order_id,qty,note,promo"]))
    endings = draw(st.sampled_from(["lf", "crlf", "mixed"]))
    lines = draw(st.lists(st.one_of(record, record, short_record, blank), max_size=8))
    if draw(st.booleans()):  # plain filler, then a quoted line break: the drop's only quote can sit past the cap
        lines += [f"P{i},{i},plain filler".encode() for i in range(draw(st.integers(1, 12)))]
        lines.append(b'L1,1,"late\nquote"')
    ends = [
        {"lf": b"\n", "crlf": b"\r\n"}.get(endings) or draw(st.sampled_from([b"\n", b"\r\n", b"\r\r\n"]))
        for _ in range(len(lines) + 1)
    ]
    body = bom + header + ends[0] + b"".join(line + end for line, end in zip(lines, ends[1:], strict=True))
    if lines and draw(st.booleans()):
        body = body[: -len(ends[-1])]  # the last line has no newline
    return body, draw(st.integers(0, 9)) == 9  # (shrinks to an uncompressed drop)


@st.composite
def lakes(draw):
    """Drops, and a cap just under, at or over one drop's (decompressed) size."""
    files = draw(st.lists(drops(), min_size=1, max_size=5))
    sized = draw(st.sampled_from(files))[0]
    return files, max(0, len(sized) + draw(st.sampled_from([-1, 0, 1])))


def outcome(spark, lake: Lake, files, cap: int):
    """Every record read with `cap` (all columns, sorted) and the drift, or the error the read fails with."""
    with mock.patch.object(raw_reader, "WHOLE_FILE_BYTES", cap):
        try:
            records, drift = read_csv_drops(spark, lake, files, COLUMNS, ["order_id"])
        except RawFileError as failure:
            return "failed", str(failure)
    return sorted((tuple(row) for row in records.collect()), key=repr), drift


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=lakes())
def test_drops_read_whole_on_the_driver_read_as_the_scanning_path_reads_them(spark, case):
    drops_bytes, cap = case
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root, "raw", "sales", "year=2024", "month=01", "day=02")
        folder.mkdir(parents=True)
        for i, (content, compressed) in enumerate(drops_bytes):
            name = f"d{i}.csv.gz" if compressed else f"d{i}.csv"
            Path(folder, name).write_bytes(gzip.compress(content, mtime=0) if compressed else content)
        lake = Lake(root)
        files = lake.list_raw("raw/sales", SUFFIXES)

        # The split itself: a drop is quote-free iff its every (decompressed) byte is within the cap and none is `"`.
        heads = raw_reader.read_heads(lake, files, cap)
        expected = [len(content) <= cap and b'"' not in content for content, _ in drops_bytes]
        assert [heads[f.path].quote_free for f in files] == expected
        note(f"cap {cap}, quote-free {expected}")

        fast, scanned = outcome(spark, lake, files, cap), outcome(spark, lake, files, 0)
        assert fast == scanned
