"""Starts the Glue 5.0 run of the ingestion suite when collection ends, if a selected test reads it (glue5.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.glue.glue5 import GLUE5_PYTHON, SuiteRun

SUITE_RUN = pytest.StashKey[SuiteRun]()


def reads_the_suite_run(item: pytest.Item) -> bool:
    return Path(item.path).parent == Path(__file__).parent and "glue_run" in getattr(item, "fixturenames", ())


def pytest_collection_finish(session: pytest.Session) -> None:
    import pyspark

    outer = not pyspark.__version__.startswith("3.")  # the Glue run itself collects this folder too
    wanted = any(reads_the_suite_run(item) for item in session.items)
    if outer and wanted and GLUE5_PYTHON.exists() and not session.config.option.collectonly:
        session.config.stash[SUITE_RUN] = SuiteRun.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(SUITE_RUN, None)
    if run is not None:
        run.stop()
        shutil.rmtree(run.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def glue_run(request) -> tuple:
    """The suite run's outcome and its edge-value file; started now if collection did not start it."""
    if not GLUE5_PYTHON.exists():
        pytest.fail(f"{GLUE5_PYTHON} is missing: run `make setup`")
    run = request.config.stash.get(SUITE_RUN, None)
    if run is None:
        run = request.config.stash[SUITE_RUN] = SuiteRun.start()
    return run.finished(), run.edge_outcomes
