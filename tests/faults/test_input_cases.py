"""Every bad-input fault case ends clean: nothing lost, nothing wedged, no raw traceback, no secret printed.

Each case runs the real CLI in subprocesses on a small generated lake (see cases_input); what exactly must happen
to each probe record (written from its file and line, or quarantined under its rule) is part of the outcome.
"""

from __future__ import annotations

import pytest

from tests.faults.cases_input import CASES, reports, shared_run, table

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_case_is_handled_cleanly(case, tmp_path):
    outcome = case.reproduce(tmp_path)
    assert outcome.clean, outcome.detail


def test_shared_run_reports_each_new_rule_and_still_reconciles():
    lake = shared_run().lake
    by_source = reports(lake)
    assert by_source["sales"]["status"] == "succeeded"  # the full refresh, which must keep every probe too
    rules = by_source["sales"]["quarantined_by_rule"]
    assert rules["invalid_encoding"] == 1 and rules["rounds_to_zero"] == 1 and rules["implausible_date"] == 2
    assert by_source["products"]["quarantined_by_rule"]["non_finite_number"] == 2
    for report in by_source.values():
        assert report["rows_read"] == report["rows_written"] + report["rows_deduplicated"] + report["rows_quarantined"]


def test_quoted_line_break_lands_in_the_field():
    rows = table(shared_run().lake, "sales", ["order_id", "customer_id"])
    assert [r["customer_id"] for r in rows if r["order_id"] == "FAULT-NEWLINE"] == ["ACME\nWest"]
