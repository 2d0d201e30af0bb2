"""Runs dbt for this project as a child process (its own logging and state), with the project's profiles."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from foundation.warehouse.contract import PROJECT_DIR

log = logging.getLogger(__name__)
PROFILES_DIR = PROJECT_DIR / "profiles"


@dataclass(frozen=True)
class DbtResult:
    ok: bool
    failures: list[str]  # one line per failed or erroring node, with its message


def dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    return str(beside_python) if beside_python.exists() else "dbt"


def dbt_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    environment = {**os.environ, "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(PROFILES_DIR))}
    environment.update(env or {})
    return environment


def target_folder(target_path: str | None = None) -> str:
    """Where dbt writes its artifacts: the argument, else DBT_TARGET_PATH (tests), else the project's target/."""
    return target_path or os.environ.get("DBT_TARGET_PATH") or str(PROJECT_DIR / "target")


def dbt_command(args: list[str], target: str, target_path: str | None = None) -> list[str]:
    """A dbt command line for this project."""
    folder = target_folder(target_path)
    return [dbt_executable(), *args, "--target", target, "--project-dir", str(PROJECT_DIR), "--target-path", folder]


def run_dbt(
    args: list[str], target: str, env: dict[str, str] | None = None, target_path: str | None = None
) -> DbtResult:
    """`dbt <args> --target <target>` in the project; output streams through so long builds show progress."""
    command = dbt_command(args, target, target_path)
    log.info("running %s", " ".join(command[1:]))
    completed = subprocess.run(command, env=dbt_environment(env), cwd=PROJECT_DIR, check=False)
    failures = _failures(Path(target_folder(target_path)) / "run_results.json") if completed.returncode else []
    return DbtResult(completed.returncode == 0, failures)


def _failures(run_results: Path) -> list[str]:
    """One line per failed node: what it is, dbt's message, and where a failing test kept its rows."""
    if not run_results.exists():
        return []
    lines = []
    for result in json.loads(run_results.read_text()).get("results", []):
        if result.get("status") not in ("error", "fail"):
            continue
        line = f"{result['unique_id']}: {result['status']}: {(result.get('message') or '').strip()}"
        if result.get("status") == "fail" and result.get("relation_name"):
            line += f" (failing rows kept in {result['relation_name']})"
        lines.append(line)
    return lines
