"""Every real-ERP-drop fault case (issue 25) ends clean: each probe record lands once with the right value,
nothing wedged, no raw traceback. The cases share one generated lake ingested twice (see cases_drops)."""

from __future__ import annotations

import pytest

from tests.faults.cases_drops import CASES

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_drop_is_handled_cleanly(case, tmp_path):
    outcome = case.reproduce(tmp_path)
    assert outcome.clean, outcome.detail
