"""What knowing drops by content costs (issue 25), in one invocation on one generated lake: listing the raw folders
as before (names and sizes), the selection runs make now (listing, landing check, MD5 of every new drop), and
`supplychain ingest` of the same lake, so the checksums' share of a first ingest is a ratio measured side by side.

    .venv/bin/python benchmarks/drop_selection_benchmark.py [generate options, e.g. --sales-rows 100000]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from foundation.lake import Lake
from ingestion.drops import select_drops
from ingestion.sources import BATCH_SOURCES


def cli(root: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "supplychain.cli", "--lake-root", str(root), *args], check=True,
                   capture_output=True)  # fmt: skip


def main(generate_args: list[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="drop-selection-"))
    try:
        root = folder / "lake"
        cli(root, "generate", *generate_args)
        lake = Lake(str(root))
        size = sum(f.stat().st_size for f in (root / "raw").rglob("*") if f.is_file())
        began = time.perf_counter()
        for source in BATCH_SOURCES.values():
            lake.list_raw(source.raw_folder, source.suffixes)
        listing = time.perf_counter() - began
        began = time.perf_counter()
        drops = sum(len(select_drops(lake, s, None, False, 0.0).new) for s in BATCH_SOURCES.values())
        selecting = time.perf_counter() - began
        began = time.perf_counter()
        cli(root, "ingest")
        ingest = time.perf_counter() - began
        print(f"raw zone {size / 1e6:.1f} MB, {drops} batch drops")
        print(f"listing as before {listing:.2f} s; selection with MD5 {selecting:.2f} s; ingest {ingest:.1f} s")
        print(f"checksums add {selecting - listing:.2f} s, {(selecting - listing) / ingest:.1%} of the ingest")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
