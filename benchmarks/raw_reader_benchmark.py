"""What reading quoted line breaks costs: read_lines over one source's drops, with and without CSV record joining.

    .venv/bin/python benchmarks/raw_reader_benchmark.py LAKE_ROOT [SOURCE]   (default source: inventory)

Files whose quotes all balance per line take the plain path; finding that out means a second pass over the text
(the first decides, the second splits), which is what this measures. One Spark session, four timed repetitions
after a warm-up, alternating the two modes so machine load hits both alike.
"""

from __future__ import annotations

import json
import sys
import time

from foundation.lake import Lake
from foundation.settings import Settings
from foundation.spark import spark_session
from ingestion.io.raw_reader import read_lines
from ingestion.sources import BATCH_SOURCES


def main() -> None:
    lake = Lake(sys.argv[1])
    source = BATCH_SOURCES[sys.argv[2] if len(sys.argv) > 2 else "inventory"]
    spark = spark_session("raw-reader-benchmark", Settings(spark_master="local[2]"))
    files = lake.list_raw(source.raw_folder, source.suffixes)
    seconds: dict[str, list[float]] = {"plain": [], "csv_records": []}
    for repetition in range(5):
        for mode in seconds:
            began = time.perf_counter()
            lines = read_lines(spark, lake, files, csv_records=mode == "csv_records").count()
            if repetition:
                seconds[mode].append(round(time.perf_counter() - began, 2))
    print(json.dumps({"source": source.entity, "files": len(files), "lines": lines, "seconds": seconds}))


if __name__ == "__main__":
    main()
