"""Lists what the dbt project leaves undocumented or without a primary-key test; exits 1 when anything is.

    .venv/bin/supplychain docs --no-serve && .venv/bin/python scripts/check_docs_coverage.py [target]

The same check runs in `make test` (tests/analyst/test_docs_coverage.py) over a freshly built small warehouse.
"""

from __future__ import annotations

import sys

from analyst.docs_coverage import coverage_gaps_in
from analyst.docs_site import site_folder


def main(argv: list[str]) -> int:
    gaps = coverage_gaps_in(site_folder(argv[0] if argv else None))
    for gap in gaps:
        print(gap)
    print(f"{len(gaps)} documentation gaps" if gaps else "every node documented and every model keyed", file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
