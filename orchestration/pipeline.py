"""The one definition of the pipeline: its steps, their order, and where each runs.

The local runner walks these steps in order; the Step Functions definition is generated from them
(`orchestration.state_machine`), so the two cannot drift apart. A step names the entry point it runs (an action in
`orchestration.step_actions`: a stage's `run`, the warehouse load, a dbt command) and its arguments, the steps it
waits for, whether a failure of its own may be retried, and a time limit. The local runner and the pipeline image's
entry script both run a step through `step_actions.run_step`, so a step does the same on a laptop and on AWS.
Steps whose dependencies are the same and already met run in parallel (see `waves`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

from ingestion.sources import WAVES

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
    action: str  # the entry point it runs (step_actions.ACTIONS); "" for an AWS API call (the crawler)
    platform: Platform
    args: tuple[str, ...] = ()  # ingest: the source; dbt: the dbt command; load: the dbt sources it loads
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
        """The entry point this step runs (`ingest`, `load`, `dbt`, `forecast`, ...), or None for an AWS API call."""
        return self.action or None

    @property
    def is_dbt(self) -> bool:
        return self.action == "dbt"

    @property
    def ingestion_job(self) -> str | None:
        """For an ingest step, the job in ingestion/jobs/ it runs (the Glue job's script)."""
        return self.args[0] if self.action == "ingest" else None

    @property
    def command(self) -> tuple[str, ...]:
        """What the pipeline image runs for this step (its entry script takes the step's name)."""
        return ("step", self.name) if self.platform is Platform.ECS_TASK else ()

    @property
    def summary(self) -> str:
        """The step for a person: `dbt build --select ...`, `ingest sales`, `forecast`."""
        return " ".join((self.action, *self.args)) if self.action != "dbt" else " ".join(("dbt", *self.args))


# Masters first on AWS: each Glue job reads the published masters for the facts' unknown_product / unknown_warehouse
# rules (the source specs declare the waves). The local runner runs every ingestion job in one pass instead.
INGEST_WAVES: tuple[tuple[str, ...], ...] = WAVES
# Marts built from the forecast and plan outputs are built after those stages, not with the warehouse.
FORECAST_MARTS = "source:forecasts+"
PLAN_MARTS = "source:optimization+"
# The input feeds whose freshness gates the build (forecast and plan outputs are written later in the run).
INPUT_SOURCES = ("source:erp", "source:wms", "source:events")
# What each load step loads (dbt source names): the ingested feeds, then each stage's own outputs after it, so no
# table is replaced more than once a run (on Redshift every load deletes and re-copies what it is given).
INPUT_LOAD = tuple(source.removeprefix("source:") for source in INPUT_SOURCES)


def _ingest_steps() -> tuple[Step, ...]:
    steps = []
    previous: tuple[str, ...] = ("generate-sample", "crawl-raw")
    for wave in INGEST_WAVES:
        names = tuple(f"ingest-{job.replace('_', '-')}" for job in wave)
        for name, job in zip(names, wave, strict=True):
            steps.append(
                Step(
                    name,
                    "ingest",
                    Platform.GLUE_JOB,
                    args=(job,),
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
        "generate",
        Platform.LOCAL_ONLY,
        retryable=False,
        description="sample ERP drops into raw/ when the lake has none (laptops only)",
    ),
    Step(
        "crawl-raw",
        "",
        Platform.GLUE_CRAWLER,
        local=False,
        timeout_seconds=1800,
        description="the Glue crawler catalogues raw/ (AWS only)",
    ),
    *_ingest_steps(),
    Step(
        "load",
        "load",
        Platform.ECS_TASK,
        args=INPUT_LOAD,
        after=tuple(f"ingest-{job.replace('_', '-')}" for job in INGEST_WAVES[-1]),
        description="check the ingested feeds in processed/ against the contract and load them into the warehouse",
    ),
    Step(
        "source-freshness",
        "dbt",
        Platform.ECS_TASK,
        args=("source", "freshness", "--select", *INPUT_SOURCES),
        after=("load",),
        timeout_seconds=600,
        description="stop when an input feed is stale (thresholds in models/staging/*/_*__sources.yml)",
    ),
    Step(
        "build-warehouse",
        "dbt",
        Platform.ECS_TASK,
        args=("build", "--exclude", FORECAST_MARTS, PLAN_MARTS, "resource_type:snapshot"),
        after=("source-freshness",),
        timeout_seconds=3600,
        description="staging, intermediate and marts with every test (snapshots are their own step)",
    ),
    Step(
        "snapshot",
        "dbt",
        Platform.ECS_TASK,
        args=("snapshot",),
        after=("build-warehouse",),
        description="SCD type 2 history of products and warehouses",
    ),
    Step(
        "forecast",
        "forecast",
        Platform.ECS_TASK,
        after=("snapshot",),
        retryable=False,  # an hour of backtests: a failure is looked at, not repeated blindly
        timeout_seconds=7200,
        description="backtest, choose and forecast weekly demand; outputs to processed/forecasts/",
    ),
    Step(
        "load-forecasts",
        "load",
        Platform.ECS_TASK,
        args=("forecasts",),
        after=("forecast",),
        description="load the forecast outputs (processed/forecasts/) into the warehouse",
    ),
    Step(
        "build-forecast-marts",
        "dbt",
        Platform.ECS_TASK,
        args=("build", "--select", FORECAST_MARTS),
        after=("load-forecasts",),
        description="forecast marts (fct_demand_forecast, forecast_accuracy, demand_forecast_summary)",
    ),
    Step(
        "optimize",
        "optimize",
        Platform.ECS_TASK,
        after=("build-forecast-marts",),
        retryable=False,
        timeout_seconds=3600,
        description="inventory policy and stock transfers from the forecasts, and the hold-out replay that proves them",
    ),
    Step(
        "load-plan",
        "load",
        Platform.ECS_TASK,
        args=("optimization",),
        after=("optimize",),
        description="load the plan outputs (processed/optimization/) into the warehouse",
    ),
    Step(
        "build-plan-marts",
        "dbt",
        Platform.ECS_TASK,
        args=("build", "--select", PLAN_MARTS),
        after=("load-plan",),
        description="plan marts over the optimisation outputs",
    ),
    Step(
        "docs-generate",
        "dbt",
        Platform.ECS_TASK,
        args=("docs", "generate"),
        after=("build-plan-marts",),
        timeout_seconds=900,
        description="the dbt docs site, kept with the run's artifacts",
    ),
    Step(
        "planning-report",
        "report",
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
