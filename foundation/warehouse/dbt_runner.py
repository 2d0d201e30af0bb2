"""Runs dbt for this project in this process (dbt's programmatic runner), with the project's profiles.

The parsed project (dbt's manifest) is kept between invocations, so a pipeline of several dbt steps parses once:
the manifest is reused while the project's files, the `--vars` and the environment variables the parse reads (the
project's and the profile's target's: `environment_read`) are the same, and dropped after a failed invocation so
the next one starts clean. After every invocation the DuckDB database dbt opened is closed (its write-ahead log
checkpointed into the file), so the write-audit-publish swap moves a complete file, as it did when dbt ran as a
child process. SUPPLYCHAIN_DBT_SUBPROCESS=1 runs dbt as a child process instead (each invocation then parses on
its own).

A command that runs nodes (RESULTS_COMMANDS) runs with dbt's `--no-write-json`: dbt would rewrite manifest.json
and graph.gpickle for every invocation (about a second of serialising an unchanged project); this module writes
the invocation's run_results.json itself, and manifest.json stays the one the parse wrote.

`parse_in_background` parses ahead of the first invocation (the pipeline starts it while ingestion runs, so the
first dbt step finds the parse done); an invocation started meanwhile waits for it and then uses its manifest.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from foundation.warehouse.contract import PROJECT_DIR

log = logging.getLogger(__name__)
PROFILES_DIR = PROJECT_DIR / "profiles"
# What a parse reads: a change to any of these (or to the vars and environment) makes a kept manifest stale.
# The data tests are tests/dbt (dbt_project.yml's test-paths), not the whole tests/ folder: the pytest files and
# their __pycache__ change whenever tests run or are edited, and would make every dbt step look changed.
PROJECT_INPUTS = ("dbt_project.yml", "packages.yml", "dependencies.yml", "models", "macros", "seeds", "snapshots",
                  "tests/dbt", "analyses", "dbt_packages")  # fmt: skip
# Commands that take a manifest (dbt parses for them); the rest (deps, debug, clean) run as they are.
MANIFEST_COMMANDS = ("build", "run", "test", "seed", "snapshot", "compile", "docs", "source", "run-operation", "ls",
                     "list", "show")  # fmt: skip
# Commands that run nodes: their results are written here, not by dbt (no manifest or graph rewritten each time).
RESULTS_COMMANDS = ("build", "run", "test", "seed", "snapshot")
_lock = threading.Lock()  # dbt's adapters and event logger are process-wide: one invocation at a time
_kept: dict[tuple, tuple[object, dict[str, str | None]]] = {}  # key -> (manifest, the environment it was parsed in)
_written: dict[str, tuple] = {}  # target folder -> key of the manifest its manifest.json holds
_ahead: list[threading.Thread] = []  # parses started ahead (parse_in_background), not yet waited for


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
    """`dbt <args> --target <target>` in the project; dbt's output streams through so long builds show progress."""
    command = dbt_command(args, target, target_path)
    log.info("running %s", " ".join(command[1:]))
    run_results = Path(target_folder(target_path)) / "run_results.json"
    if os.environ.get("SUPPLYCHAIN_DBT_SUBPROCESS") == "1":
        completed = subprocess.run(command, env=dbt_environment(env), cwd=PROJECT_DIR, check=False)
        return DbtResult(completed.returncode == 0, _failures(run_results) if completed.returncode else [])
    started = time.time()
    ok, problem = _invoke(command[1:], env, run_results)
    if ok:
        return DbtResult(True, [])
    # Only this invocation's results: dbt stopped before the nodes ran (a compile error) writes none.
    fresh = run_results.exists() and run_results.stat().st_mtime >= started - 1
    failures = _failures(run_results) if fresh else []
    return DbtResult(False, failures or ([problem] if problem else []))


def _invoke(cli_args: list[str], env: dict[str, str] | None, run_results: Path) -> tuple[bool, str | None]:
    """One dbt invocation in this process: (succeeded, the error that stopped dbt, if any)."""
    from dbt.cli.main import dbtRunner

    with _lock, _environment(dbt_environment(env)):
        key = _manifest_key(cli_args) if cli_args[0] in MANIFEST_COMMANDS else None
        manifest = _kept_manifest(key)
        if key is not None and manifest is None:
            manifest = _parse(key, cli_args)
        elif manifest is not None:
            _write_manifest_json(key, manifest, cli_args)
        writes_results = cli_args[0] in RESULTS_COMMANDS and "--no-write-json" not in cli_args
        try:
            result = dbtRunner(manifest=manifest).invoke(cli_args + ["--no-write-json"] * writes_results)
            if writes_results and hasattr(result.result, "write"):
                result.result.write(str(run_results))  # what dbt itself writes at the end of the run
        finally:
            _release_connections()
        if not result.success:
            _kept.clear()  # a failure may come from a stale or half-built state: the next invocation parses afresh
        problem = f"dbt {cli_args[0]}: {result.exception}" if result.exception is not None else None
        return result.success, problem


def _parse(key: tuple, cli_args: list[str], quiet: bool = False):
    """Parses the project for a command line and keeps the manifest under its key; None when the parse failed (the
    invocation then parses itself and reports the error). Called with the lock held and the environment set."""
    from dbt.cli.main import dbtRunner

    parsed = dbtRunner().invoke(["parse", *(["--quiet"] if quiet else []), *_parse_flags(cli_args)])
    _release_connections()
    if not parsed.success:
        return None
    manifest = parsed.result
    if len(_kept) >= 4:  # a long-lived process (tests) that edits the project: keep the latest few
        _kept.clear()
    _kept[key] = (manifest, environment_read(_flag(cli_args, "--target"), manifest))
    _written[_flag(cli_args, "--target-path")] = key  # the parse wrote it
    return manifest


def _write_manifest_json(key: tuple, manifest, cli_args: list[str]) -> None:
    """manifest.json in the invocation's target folder is its manifest's: a kept manifest reused after another parse
    (another target or schema) wrote that folder's file, or in a folder it was not parsed into, writes it there, so
    what a run keeps describes what it built."""
    folder = _flag(cli_args, "--target-path")
    if folder is not None and _written.get(folder) != key:
        from dbt.parser.manifest import write_manifest

        write_manifest(manifest, folder)
        _written[folder] = key


def parse_in_background(target: str, env: dict[str, str] | None = None,
                        target_path: str | None = None) -> threading.Thread | None:  # fmt: skip
    """Starts parsing the project for `target` in a thread and returns it (None when dbt runs as a child process).
    The next invocation with the same flags uses that parse; one started before it ends waits for it (the lock).
    A failed parse keeps nothing and says nothing: the invocation that needs it parses again and reports."""
    if os.environ.get("SUPPLYCHAIN_DBT_SUBPROCESS") == "1":
        return None
    cli_args = dbt_command(["parse"], target, target_path)[1:]

    def parse() -> None:
        try:
            with _lock, _environment(dbt_environment(env)):
                key = _manifest_key(cli_args)
                if _kept_manifest(key) is None:
                    _parse(key, cli_args, quiet=True)
        except Exception:  # never fails a run: the foreground invocation parses on its own
            log.debug("parsing the dbt project ahead failed", exc_info=True)

    thread = threading.Thread(target=parse, name="dbt-parse-ahead", daemon=False)
    thread.start()
    _ahead.append(thread)
    return thread


def project_manifest(args: list[str], target: str, env: dict[str, str] | None = None,
                     target_path: str | None = None):  # fmt: skip
    """The parsed project `run_dbt(args, target, env)` would use (dbt's Manifest), parsed now if it is not kept, so
    the invocation that follows reuses it; None when dbt runs as a child process or the parse fails."""
    if os.environ.get("SUPPLYCHAIN_DBT_SUBPROCESS") == "1":
        return None
    cli_args = dbt_command(args, target, target_path)[1:]
    with _lock, _environment(dbt_environment(env)):
        key = _manifest_key(cli_args)
        return _kept_manifest(key) or _parse(key, cli_args, quiet=True)


def wait_for_parse_ahead() -> None:
    """Returns when every parse started ahead has ended."""
    while _ahead:
        _ahead.pop().join()


def _manifest_key(cli_args: list[str]) -> tuple:
    """What a kept manifest must match: the parse flags and the project's files (path, size, modified time). Not
    the target folder: a parse reads nothing from it (dbt only writes its artifacts there), so a process that runs
    dbt into several folders (the test suite, one per test) parses once; _write_manifest_json gives each folder
    its manifest.json."""
    flags = _parse_flags(cli_args)
    if "--target-path" in flags:
        del flags[flags.index("--target-path") : flags.index("--target-path") + 2]
    return (tuple(flags), _project_state())


def _parse_flags(cli_args: list[str]) -> list[str]:
    """The flags of a command line that shape the parse: target, project and target paths, vars."""
    flags = []
    for name in ("--target", "--project-dir", "--target-path", "--vars", "--profiles-dir"):
        if name in cli_args:
            flags += [name, cli_args[cli_args.index(name) + 1]]
    return flags


def project_files() -> list[Path]:
    """Every file a dbt parse of this project reads (PROJECT_INPUTS), in a stable order."""
    files = []
    for name in PROJECT_INPUTS:
        path = PROJECT_DIR / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file())
    return files


def _project_state() -> tuple:
    return tuple((str(file), file.stat().st_size, file.stat().st_mtime_ns) for file in project_files())


def _kept_manifest(key: tuple | None):
    if key is None or key not in _kept:
        return None
    manifest, environment = _kept[key]
    # Only the variables the parse read: dbt adds to a manifest's list those a node reads as it runs (the freshness
    # clock), which do not make the parse stale.
    now = environment_read(_flag(list(key[0]), "--target"), manifest)
    if any(now.get(name) != value for name, value in environment.items()):
        del _kept[key]
        return None
    return manifest


# An env_var() call in the project's or the profile's Jinja: the variable's name (dbt takes it as a string literal).
_ENV_VAR_CALL = re.compile(r"env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]")
_ENV_VAR_DEFAULT = re.compile(r"env_var\(\s*\\?['\"]([A-Za-z0-9_]+)\\?['\"]\s*,\s*\\?['\"]([^'\"\\]*)\\?['\"]\s*\)")


def environment_read(target: str | None, manifest=None) -> dict[str, str | None]:
    """The environment variables dbt reads for this project on `target`, by value: the profile's output for the
    target (the schema every node is built in, the database, the connection) and the project's env_var() calls.
    With a manifest, the project's are those its parse read (dbt records them): what a reuse of that manifest must
    see unchanged. Without one, every env_var() call in the project's files, read at parse or when a node runs
    (the freshness clock in a macro): what a dbt step's result depends on (orchestration.change_check).

    SUPPLYCHAIN_DUCKDB_PATH counts by the database name dbt-duckdb derives from the file (the first dot-separated
    part of its name, as DuckDB names the catalog): all a parse bakes in from the path, and the same for a run's
    working copy `<stem>.building.duckdb` as for its live file, so the parse made ahead for the live file serves
    the steps that build the copy."""
    names = {"DBT_PROFILES_DIR"}  # which profiles.yml dbt reads
    defaults: dict[str, str] = {}  # an unset variable reads as the profile's default for it
    with contextlib.suppress(OSError):
        output = _profile_output(_profiles_file().read_text(), target)
        names.update(_ENV_VAR_CALL.findall(output))
        defaults.update(_ENV_VAR_DEFAULT.findall(output))
    if manifest is not None:
        names.update(_env_vars_read(manifest))
    else:
        for file in project_files():
            if file.suffix in (".sql", ".yml", ".yaml", ".md"):
                names.update(_ENV_VAR_CALL.findall(file.read_text(errors="replace")))
    environment = {name: os.environ.get(name, defaults.get(name)) for name in sorted(names)}
    environment["DBT_PROFILES_DIR"] = str(_profiles_file().parent)  # unset reads the project's own
    if environment.get("SUPPLYCHAIN_DUCKDB_PATH") is not None:
        path = environment["SUPPLYCHAIN_DUCKDB_PATH"]
        environment["SUPPLYCHAIN_DUCKDB_PATH"] = Path(path).name.lstrip(".").split(".")[0]
    return environment


def _profiles_file() -> Path:
    return Path(os.environ.get("DBT_PROFILES_DIR", str(PROFILES_DIR))) / "profiles.yml"


def _profile_output(text: str, target: str | None) -> str:
    """The part of profiles.yml a parse for `target` renders: that output of the project's profile; the whole file
    when it cannot tell (no target named, no such output, YAML it cannot read), which only ever names more."""
    import yaml

    try:
        profile_name = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["profile"]
        return json.dumps(yaml.safe_load(text)[profile_name]["outputs"][target])
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return text


def _flag(cli_args: list[str], name: str) -> str | None:
    return cli_args[cli_args.index(name) + 1] if name in cli_args else None


def _env_vars_read(manifest) -> list[str]:
    """The environment variables the parse read (env_var() in YAML and SQL), which a reuse must see unchanged."""
    names = set(getattr(manifest, "env_vars", {}) or {})
    for source_file in getattr(manifest, "files", {}).values():
        read = getattr(source_file, "env_vars", None) or []
        names.update(read if isinstance(read, list) else [])  # a schema file's are by section; manifest has them
    return sorted(names)


@contextlib.contextmanager
def _environment(environment: dict[str, str]):
    """dbt reads os.environ: the invocation's variables for its duration, the process's own restored after.
    Only what differs is set, added or removed (`environment` holds the process's own variables plus the
    invocation's): os.environ is never emptied, so a thread reading it meanwhile (ingestion, while a parse runs
    ahead) sees every variable it had."""
    before = dict(os.environ)
    os.environ.update({name: value for name, value in environment.items() if before.get(name) != value})
    try:
        yield
    finally:
        for name in [name for name in os.environ if name not in before]:  # set for the invocation, or by dbt
            del os.environ[name]
        os.environ.update({name: value for name, value in before.items() if os.environ.get(name) != value})


def _release_connections() -> None:
    """Closes the DuckDB database dbt-duckdb keeps open between invocations: the close checkpoints its log into
    the file, and the next invocation (perhaps on another file, or this one renamed) opens it afresh."""
    with contextlib.suppress(ImportError):
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        with DuckDBConnectionManager._LOCK:
            environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
            if environment is not None:
                environment.close()


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
