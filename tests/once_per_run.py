"""Work made once per test run and shared by every pytest-xdist worker: the first worker to ask builds it while the
others wait for it, instead of each worker building the same thing beside the other on the same two cores."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run sees: the parent of the workers' base temp folders under xdist, the
    base temp folder itself without it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`build(folder)` run once per test run into `<run folder>/<name>`; every caller gets that folder. A build
    that raised leaves no folder behind, so the next caller builds again (and fails the same way, with its own
    error)."""
    folder = run_folder(tmp_path_factory) / name
    done = folder / ".built"
    with FileLock(f"{folder}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            try:
                build(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            done.touch()
    return folder


def computed_once(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], object]) -> object:
    """`compute()` run once per test run; every caller gets its result (pickled between the workers)."""

    def keep(folder: Path) -> None:
        (folder / "result.pickle").write_bytes(pickle.dumps(compute()))

    return pickle.loads((built_once(tmp_path_factory, name, keep) / "result.pickle").read_bytes())
