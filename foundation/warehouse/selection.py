"""Which nodes of a `dbt build` can come out differently when only some source tables changed.

A node's relation is a function of its SQL (the project), the vars, and what its parents hold. When the project and
the vars are those of the step's last success, a node none of whose ancestors is a changed source table holds what
a full build would give it again, so a build may leave it as it is (the run's working copy starts from the live
warehouse, which holds it). That is true only of nodes that read nothing else, so these always run, with everything
downstream of them (found in the parsed project, never by name):

- a node with a pre- or post-hook: a hook writes where the DAG does not show it (the sales and inventory ledgers);
- a node that reads the clock or the invocation (current_date, now(), run_started_at, ...) in its SQL or in any
  macro it calls;
- a model that no source feeds (a ledger a hook of another model fills; a calendar from vars only is cheap to redo).

Seeds are functions of their CSV (part of the project). Tests of every selected node run (dbt's eager indirect
selection); the rest keep last run's results, taken on the same relations. The rule fails closed: a command it
does not understand (other than `build [--select ...] [--exclude ...]`) or no manifest gives None, a full build.
"""

from __future__ import annotations

import re

# What reads the clock or the invocation in SQL or Jinja (dbt's own macros included, by name).
CLOCK = re.compile(
    r"current_timestamp|current_date|current_time|localtimestamp|getdate|sysdate|systimestamp|\bnow\s*\(|\btoday\b"
    r"|run_started_at|invocation_id|modules\.datetime|modules\.time|snapshot_get_time|\brandom\s*\(|gen_random_uuid",
    re.IGNORECASE,
)
BUILDABLE = ("model", "seed", "snapshot", "test")


def always_run(manifest) -> list[str]:
    """The names of the nodes a build runs whatever changed (see the module's docstring), sorted."""
    nodes = {uid: node for uid, node in manifest.nodes.items() if node.resource_type in BUILDABLE}
    fed = _fed_by_sources(nodes)
    names = set()
    for uid, node in nodes.items():
        sourceless_model = node.resource_type == "model" and uid not in fed
        if _hooks(node) or sourceless_model or _reads_clock(node, manifest):
            names.add(node.name)
    return sorted(names)


def changed_only(args: list[str], changed_tables: list[str], manifest) -> list[str] | None:
    """`dbt build` args narrowed to the descendants of the changed source tables (`source.table`) and of the nodes
    that always run, within the step's own selection; None when the args are not a plain build (a full build)."""
    if manifest is None or not args or args[0] != "build":
        return None
    options = _options(args[1:])
    if options is None:
        return None
    roots = [f"source:{table}+" for table in sorted(changed_tables)] + [f"{name}+" for name in always_run(manifest)]
    if not roots:
        return None
    own = options.get("--select")
    selected = [f"{term},{root}" for term in own for root in roots] if own else roots
    narrowed = ["build", "--select", *selected]
    if options.get("--exclude"):
        narrowed += ["--exclude", *options["--exclude"]]
    return narrowed


def snapshots_unaffected(changed_tables: list[str], manifest) -> bool:
    """Does `dbt snapshot` now change nothing? True when no snapshot reads a changed source table, none reads the
    clock beyond its own strategy, and each uses the timestamp strategy (an unchanged updated_at inserts nothing)."""
    if manifest is None:
        return False
    changed = {f"source.{manifest_package(manifest)}.{table}" for table in changed_tables}
    for node in manifest.nodes.values():
        if node.resource_type != "snapshot":
            continue
        if node.config.strategy != "timestamp" or _hooks(node):
            return False
        if _reads_clock(node, manifest) or changed & set(_parents(node)):
            return False
        if any(not parent.startswith("source.") for parent in _parents(node)):
            return False  # a snapshot of a model: that model may have changed
    return True


def manifest_package(manifest) -> str:
    """The root project's name (the package of its nodes)."""
    return manifest.metadata.project_name if getattr(manifest.metadata, "project_name", None) else "supplychain"


def _options(rest: list[str]) -> dict[str, list[str]] | None:
    """{--select: [...], --exclude: [...]} from a build's args; None for anything else."""
    options: dict[str, list[str]] = {}
    current = None
    for arg in rest:
        if arg in ("--select", "--exclude", "-s"):
            current = "--select" if arg == "-s" else arg
            if current in options:
                return None
            options[current] = []
        elif arg.startswith("-") or current is None:
            return None
        else:
            options[current].append(arg)
    return options if all(options.values()) else None


def _fed_by_sources(nodes: dict) -> set[str]:
    """The nodes with a source among their ancestors."""
    fed: dict[str, bool] = {}

    def is_fed(uid: str) -> bool:
        if uid.startswith("source."):
            return True
        if uid not in nodes:
            return False
        if uid not in fed:
            fed[uid] = False  # no cycles in a dbt DAG; a guard all the same
            fed[uid] = any(is_fed(parent) for parent in _parents(nodes[uid]))
        return fed[uid]

    return {uid for uid in nodes if is_fed(uid)}


def _hooks(node) -> list:
    return list(getattr(node.config, "pre_hook", None) or []) + list(getattr(node.config, "post_hook", None) or [])


def _parents(node) -> list[str]:
    return list(getattr(node.depends_on, "nodes", None) or [])  # a seed depends on no node


def _reads_clock(node, manifest) -> bool:
    if CLOCK.search(node.raw_code or ""):
        return True
    seen, pending = set(), list(node.depends_on.macros)
    while pending:
        uid = pending.pop()
        if uid in seen:
            continue
        seen.add(uid)
        macro = manifest.macros.get(uid)
        if macro is None:
            continue
        if CLOCK.search(macro.name) or CLOCK.search(macro.macro_sql or ""):
            return True
        pending += list(macro.depends_on.macros)
    return False
