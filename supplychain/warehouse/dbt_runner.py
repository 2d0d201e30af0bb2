"""Runs dbt for this project as a child process (its own logging and state), with the project's profiles."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from supplychain.warehouse.contract import PROJECT_DIR

log = logging.getLogger(__name__)
PROFILES_DIR = PROJECT_DIR / "profiles"


@dataclass(frozen=True)
class DbtResult:
    ok: bool
    failures: list[str]  # one line per failed or erroring node, with its message


def dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    return str(beside_python) if beside_python.exists() else "dbt"


def run_dbt(args: list[str], target: str, env: dict[str, str] | None = None, target_path: str | None = None) -> DbtResult:
    """`dbt <args> --target <target>` in the project; output streams through so long builds show progress."""
    environment = {**os.environ, "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(PROFILES_DIR))}
    environment.update(env or {})
    target_dir = Path(target_path or PROJECT_DIR / "target")
    command = [dbt_executable(), *args, "--target", target, "--project-dir", str(PROJECT_DIR)]
    command += ["--target-path", str(target_dir)]
    log.info("running %s", " ".join(command[1:]))
    completed = subprocess.run(command, env=environment, cwd=PROJECT_DIR, check=False)
    failures = _failures(target_dir / "run_results.json") if completed.returncode else []
    return DbtResult(completed.returncode == 0, failures)


def _failures(run_results: Path) -> list[str]:
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text()).get("results", [])
    return [
        f"{r['unique_id']}: {r['status']}: {(r.get('message') or '').strip()}"
        for r in results
        if r.get("status") in ("error", "fail")
    ]
