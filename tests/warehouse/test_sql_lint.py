"""The project's own SQL (models and singular tests) passes sqlfluff with the dbt templater, as CI requires."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.warehouse.contract import PROJECT_DIR

pytestmark = [pytest.mark.dbt]


def test_models_and_singular_tests_lint_clean(tmp_path):
    env = {**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles")}
    env["SUPPLYCHAIN_DUCKDB_PATH"] = str(tmp_path / "lint.duckdb")  # compile-time lookups only
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("sqlfluff")), "lint", "--processes", "2", "models", "tests/dbt"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-2000:]
