"""The fault report: every registered fault case (bad input and process faults), each in a temp folder of its own,
as one table — rows lost, wedged, raw traceback, secret printed — with totals; exits 1 if any case is unclean.

    .venv/bin/python scripts/fault_report.py [--group input|process] [-k SUBSTRING] [--markdown]

`make faults` runs it; BENCHMARKS.md ("Fault report") holds the table it printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package, from a checkout

from tests.faults.fault_case import FaultCase, FaultOutcome


def registered_cases() -> list[FaultCase]:
    cases: list[FaultCase] = []
    try:  # the bad-input cases live in their own module, which a checkout may not have yet
        from tests.faults.cases_input import CASES as INPUT_CASES

        cases += INPUT_CASES
        from tests.faults.cases_drops import CASES as DROP_CASES

        cases += DROP_CASES
    except ImportError as missing:
        print(f"(no input cases: {missing})", file=sys.stderr)
    from tests.faults.cases_process import CASES as PROCESS_CASES

    return cases + PROCESS_CASES


def run_case(case: FaultCase) -> tuple[FaultOutcome, float]:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fault-") as folder:
        try:
            outcome = case.reproduce(Path(folder))
        except Exception as failure:  # the case itself could not run: counted as unclean, never hidden
            last = traceback.format_exception(failure)[-1].strip()
            outcome = FaultOutcome(0, True, False, False, f"the case could not run: {last}"[:300])
    return outcome, time.perf_counter() - began


def _mark(flag: bool) -> str:
    return "yes" if flag else "no"


def table(rows: list[tuple[FaultCase, FaultOutcome, float]], markdown: bool) -> str:
    header = ("case", "group", "rows lost", "wedged", "raw traceback", "secret printed", "seconds", "detail")
    lines = [
        (c.name, c.group, str(o.rows_lost), _mark(o.wedged), _mark(o.raw_traceback), _mark(o.secret_printed),
         f"{s:.0f}", o.detail.replace("|", "/"))
        for c, o, s in rows
    ]  # fmt: skip
    totals = (
        f"TOTAL ({len(rows)} cases, {sum(o.clean for _, o, _ in rows)} clean)", "",
        str(sum(o.rows_lost for _, o, _ in rows)), str(sum(o.wedged for _, o, _ in rows)),
        str(sum(o.raw_traceback for _, o, _ in rows)), str(sum(o.secret_printed for _, o, _ in rows)),
        f"{sum(s for _, _, s in rows):.0f}", "",
    )  # fmt: skip
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(line) + " |" for line in [*lines, totals]]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in [header, *lines, totals]) for i in range(len(header) - 1)]
    render = ["  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
              for r in [header, *lines, totals]]  # fmt: skip
    return "\n".join(render)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", choices=("input", "process"))
    parser.add_argument("-k", dest="pattern", help="only cases whose name contains this")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table (for BENCHMARKS.md)")
    args = parser.parse_args(argv)
    cases = [c for c in registered_cases() if (not args.group or c.group == args.group)
             and (not args.pattern or args.pattern.lower() in c.name.lower())]  # fmt: skip
    rows = []
    for case in cases:
        print(f"… {case.name}", file=sys.stderr, flush=True)
        outcome, seconds = run_case(case)
        print(f"  {'clean' if outcome.clean else 'UNCLEAN'} in {seconds:.0f}s: {outcome.detail}", file=sys.stderr)
        rows.append((case, outcome, seconds))
    print(table(rows, args.markdown))
    return 0 if all(o.clean for _, o, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
