"""The one definition of the pipeline: its steps, their order, and where each runs.

The local runner walks these steps in order; the Step Functions definition is generated from them
(`orchestration.state_machine`), so the two cannot drift apart. A step names the command it runs (a `supplychain`
stage or a dbt command), the steps it waits for, whether a failure of its own may be retried, and a time limit.
Steps whose dependencies are the same and already met run in parallel (see `waves`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

Runtime = Literal["local", "aws"]
RUNTIMES: tuple[Runtime, ...] = ("local", "aws")


class Platform(Enum):
    """Where a step runs on AWS."""

    GLUE_CRAWLER = "glue-crawler"
    GLUE_JOB = "glue-job"
    ECS_TASK = "ecs-task"
    LOCAL_ONLY = "local-only"  # never runs on AWS (sample data is for laptops)


@dataclass(frozen=True)
class Step:
    name: str
    command: tuple[str, ...]  # argv; empty for a step that is an AWS API call (the crawler)
    platform: Platform
    after: tuple[str, ...] = ()  # steps this one waits for; those absent from a runtime are ignored there
    retryable: bool = True  # may its own failure be retried (it is idempotent and often fails transiently)?
    timeout_seconds: int = 1800
    local: bool = True  # does the local runner run it?
    description: str = ""

    @property
    def runs_on_aws(self) -> bool:
        return self.platform is not Platform.LOCAL_ONLY

    def runs_in(self, runtime: Runtime) -> bool:
        return self.local if runtime == "local" else self.runs_on_aws

    @property
    def stage(self) -> str | None:
        """The `supplychain` stage this step runs (`ingest`, `load`, ...), or None for dbt and AWS-only steps."""
        return self.command[1] if self.command[:1] == ("supplychain",) else None

    @property
    def is_dbt(self) -> bool:
        return self.command[:1] == ("dbt",)

    @property
    def ingestion_job(self) -> str | None:
        """For an ingest step, the job in ingestion/jobs/ it runs (the Glue job's script)."""
        return self.command[3] if self.stage == "ingest" else None


# Masters first: the facts' unknown_product / unknown_warehouse rules read them (ingestion.sources.WAVES,
# which a test holds this to; importing it here would pull in Spark).
INGEST_WAVES: tuple[tuple[str, ...], ...] = (
    ("products", "warehouses"),
    ("inventory", "sales", "shipments", "transfer_lanes", "order_events"),
)
# Marts built from the forecast and plan outputs are built after those stages, not with the warehouse.
FORECAST_MARTS = "source:forecasts+"
PLAN_MARTS = "source:optimization+"
# The input feeds whose freshness gates the build (forecast and plan outputs are written later in the run).
INPUT_SOURCES = ("source:erp", "source:wms", "source:events")


def _ingest_steps() -> tuple[Step, ...]:
    steps = []
    previous: tuple[str, ...] = ("generate-sample", "crawl-raw")
    for wave in INGEST_WAVES:
        names = tuple(f"ingest-{job.replace('_', '-')}" for job in wave)
        for name, job in zip(names, wave, strict=True):
            steps.append(
                Step(
                    name,
                    ("supplychain", "ingest", "--only", job),
                    Platform.GLUE_JOB,
                    after=previous,
                    timeout_seconds=3600,
                    description=f"raw/ -> processed/ for {job} (Glue job ingestion/jobs/{job}.py)",
                )
            )
        previous = names
    return tuple(steps)


STEPS: tuple[Step, ...] = (
    Step(
        "generate-sample",
        ("supplychain", "generate"),
        Platform.LOCAL_ONLY,
        retryable=False,
        description="sample ERP drops into raw/ when the lake has none (laptops only)",
    ),
    Step(
        "crawl-raw",
        (),
        Platform.GLUE_CRAWLER,
        local=False,
        timeout_seconds=1800,
        description="the Glue crawler catalogues raw/ (AWS only)",
    ),
    *_ingest_steps(),
    Step(
        "load",
        ("supplychain", "load"),
        Platform.ECS_TASK,
        after=tuple(f"ingest-{job.replace('_', '-')}" for job in INGEST_WAVES[-1]),
        description="check processed/ against the contract and load it into the warehouse",
    ),
    Step(
        "source-freshness",
        ("dbt", "source", "freshness", "--select", *INPUT_SOURCES),
        Platform.ECS_TASK,
        after=("load",),
        timeout_seconds=600,
        description="stop when an input feed is stale (thresholds in models/staging/*/_*__sources.yml)",
    ),
    Step(
        "build-warehouse",
        ("dbt", "build", "--exclude", FORECAST_MARTS, PLAN_MARTS, "resource_type:snapshot"),
        Platform.ECS_TASK,
        after=("source-freshness",),
        timeout_seconds=3600,
        description="staging, intermediate and marts with every test (snapshots are their own step)",
    ),
    Step(
        "snapshot",
        ("dbt", "snapshot"),
        Platform.ECS_TASK,
        after=("build-warehouse",),
        description="SCD type 2 history of products and warehouses",
    ),
    Step(
        "forecast",
        ("supplychain", "forecast", "--skip-marts"),
        Platform.ECS_TASK,
        after=("snapshot",),
        retryable=False,  # an hour of backtests: a failure is looked at, not repeated blindly
        timeout_seconds=7200,
        description="backtest, choose and forecast weekly demand; outputs to processed/forecasts/",
    ),
    Step(
        "build-forecast-marts",
        ("dbt", "build", "--select", FORECAST_MARTS),
        Platform.ECS_TASK,
        after=("forecast",),
        description="forecast marts (fct_demand_forecast, forecast_accuracy, demand_forecast_summary)",
    ),
    Step(
        "optimize",
        ("supplychain", "optimize", "--skip-marts"),
        Platform.ECS_TASK,
        after=("build-forecast-marts",),
        retryable=False,
        timeout_seconds=3600,
        description="inventory policy and stock transfers from the forecasts, and the hold-out replay that proves them",
    ),
    Step(
        "build-plan-marts",
        ("dbt", "build", "--select", PLAN_MARTS),
        Platform.ECS_TASK,
        after=("optimize",),
        description="plan marts over the optimisation outputs",
    ),
    Step(
        "docs-generate",
        ("dbt", "docs", "generate"),
        Platform.ECS_TASK,
        after=("build-plan-marts",),
        timeout_seconds=900,
        description="the dbt docs site, kept with the run's artifacts",
    ),
    Step(
        "planning-report",
        ("supplychain", "report"),
        Platform.LOCAL_ONLY,
        after=("docs-generate",),
        description="the self-contained HTML planning report (reports/planning_report.html; laptops only)",
    ),
)


class UnknownStepError(ValueError):
    """A --from/--only selection names a step the pipeline does not have (in this runtime)."""


def steps_for(runtime: Runtime, steps: tuple[Step, ...] = STEPS) -> tuple[Step, ...]:
    """The steps a runtime runs, in order, with dependencies on steps it skips dropped."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}")
    return _kept_in_order([s for s in steps if s.runs_in(runtime)], steps)


def _kept_in_order(kept: list[Step], steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The kept steps, each waiting for its nearest kept ancestors: a step that waited for a skipped one now waits
    for what the skipped one waited for, so leaving a step out never lets a later one start early."""
    by_name, names = {s.name: s for s in steps}, {s.name for s in kept}

    def kept_ancestors(name: str) -> tuple[str, ...]:
        if name in names:
            return (name,)
        return tuple(a for parent in by_name[name].after if parent in by_name for a in kept_ancestors(parent))

    def waits_for(step: Step) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for parent in step.after if parent in by_name for a in kept_ancestors(parent)))

    return tuple(replace(s, after=waits_for(s)) for s in kept)


def select_steps(
    runtime: Runtime, from_step: str | None = None, only: list[str] | None = None, steps: tuple[Step, ...] = STEPS
) -> tuple[Step, ...]:
    """The steps to run for `--from STEP` (that step and every later one) or `--only A,B` (just those), in order."""
    if from_step and only:
        raise ValueError("choose --from or --only, not both")
    available = steps_for(runtime, steps)
    names = [s.name for s in available]
    wanted = [from_step] if from_step else list(only or [])
    unknown = [n for n in wanted if n not in names]
    if unknown:
        elsewhere = {s.name for s in steps} - set(names)
        hint = [f"{n} does not run {'on AWS' if runtime == 'aws' else 'locally'}" for n in unknown if n in elsewhere]
        raise UnknownStepError(
            f"unknown step(s) {', '.join(unknown)}"
            + (f" ({'; '.join(hint)})" if hint else "")
            + f"; the {runtime} pipeline's steps are: {', '.join(names)}"
        )
    if from_step:
        return available[names.index(from_step) :]
    if only:
        return _kept_in_order([s for s in available if s.name in only], available)
    return available


def waves(steps: tuple[Step, ...]) -> list[tuple[Step, ...]]:
    """Steps grouped by depth: each group waits only for earlier groups, so a group of several runs in parallel."""
    by_name = {s.name: s for s in steps}
    level: dict[str, int] = {}
    for step in steps:
        missing = [a for a in step.after if a not in level and a in by_name]
        if missing:
            raise ValueError(f"step {step.name} waits for {', '.join(missing)}, which must come before it")
        level[step.name] = 1 + max((level[a] for a in step.after if a in level), default=-1)
    grouped: list[list[Step]] = []
    for step in steps:
        while len(grouped) <= level[step.name]:
            grouped.append([])
        grouped[level[step.name]].append(step)
    return [tuple(group) for group in grouped if group]
