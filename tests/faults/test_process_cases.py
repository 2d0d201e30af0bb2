"""Every process fault case (issue 14: 2, 7, 10, 11, 12, 13) reproduced on the real engines and judged clean: no
row lost, nothing wedged, no raw traceback, no credential printed. The same cases make the fault report."""

from __future__ import annotations

import pytest

from tests.faults.cases_process import CASES

POSTGRES_CASES = {"PostgreSQL server stopped", "PostgreSQL password with spaces"}


@pytest.mark.e2e
@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[pytest.mark.postgres] if c.name in POSTGRES_CASES else []) for c in CASES],
    ids=[c.name for c in CASES],
)
def test_the_fault_is_handled_cleanly(case, tmp_path):
    outcome = case.reproduce(tmp_path)
    assert outcome.clean, outcome
