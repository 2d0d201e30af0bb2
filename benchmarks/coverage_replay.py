"""held_out_accuracy replayed on captured scenarios (coverage_capture.py) with the code on PYTHONPATH: the 80% and
95% coverage per level, on the held-out window and the rolling windows, counted against the bands 75-85 / 90-98.
Point forecasts are checked to equal the captured ones (an interval change must not move them).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/coverage_replay.py OUT/A OUT/B ...
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import forecasting.held_out as held_out
from forecasting.intervals import coverage, recent_scales

BANDS = {80: (75, 85), 95: (90, 98)}
DEPTHS = {3: "product_warehouse", 2: "category_region", 0: "total", 1: "category"}  # "/" in a node's id


def replay(folder: Path) -> tuple[list, bool, float]:
    """The held-out window's and the rolling windows' frames with their intervals, whether the chosen points equal the
    captured ones, and held_out_accuracy's CPU seconds."""
    frames = []
    with_coverage = held_out._with_coverage

    def spy(accuracy, held, *args, **kwargs):
        frames.append(held)  # the held-out window, then the rolling windows, with their intervals
        return with_coverage(accuracy, held, *args, **kwargs)

    with open(folder / "cap.pkl", "rb") as file:
        captured = pickle.load(file)
    args = list(captured["args"])
    args[9] = recent_scales(captured["node_history"], captured["season"])
    held_out._with_coverage = spy
    try:
        began = time.process_time()
        accuracy = held_out.held_out_accuracy(*args)[0]
        cpu = time.process_time() - began
    finally:
        held_out._with_coverage = with_coverage
    chosen = accuracy[accuracy["is_chosen"]].set_index("level")
    before = captured["accuracy"][captured["accuracy"]["is_chosen"]].set_index("level")
    same = all((chosen[c].round(9) == before[c].round(9)).all() for c in ("mase", "accuracy"))
    return frames, same, cpu


def main() -> None:
    inside = count = 0
    for folder in map(Path, sys.argv[1:]):
        frames, same, cpu = replay(folder)
        own = 0
        for depth, level in DEPTHS.items():
            figures = []
            for held in frames:
                rows = held[held["unique_id"].str.count("/") == depth]
                for share in (80, 95):
                    value = 100 * coverage(rows, share)
                    ok = BANDS[share][0] <= round(value, 1) <= BANDS[share][1]
                    own, count = own + ok, count + 1
                    figures.append(f"{value:5.1f}{' ' if ok else '*'}")
            print(f"{folder.name} {level:18s} held {figures[0]}/{figures[1]}  rolling {figures[2]}/{figures[3]}")
        inside += own
        print(f"{folder.name}: {own} of 16 in band; points as captured: {same}; held_out_accuracy CPU {cpu:.1f} s")
    print(f"in band: {inside} of {count}")


if __name__ == "__main__":
    main()
