"""The Python processes the tests start (CLI runs, dbt, Spark's workers) do not import Sphinx: stockpyl, a test-only
dependency, brings sphinx-jinja2-compat, whose .pth file imports Sphinx into every process the venv starts (0.2 s
CPU each, hundreds of processes a run). Nothing in the project or its tests uses Sphinx."""

from __future__ import annotations

import subprocess
import sys

LOADED = "import sys; print(sorted({m.split('.')[0] for m in sys.modules} & {'sphinx', 'sphinx_prompt', 'docutils'}))"


def test_a_python_child_of_the_tests_starts_without_importing_sphinx():
    child = subprocess.run([sys.executable, "-c", LOADED], capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "[]", child.stdout
