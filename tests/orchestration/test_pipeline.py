"""The pipeline definition: order, runtimes, selections and its agreement with the ingestion package."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.sources import WAVES
from orchestration.pipeline import INGEST_WAVES, STEPS, Platform, UnknownStepError, select_steps, steps_for, waves

REPOSITORY = Path(__file__).resolve().parents[2]


def names(steps):
    return [s.name for s in steps]


def test_the_ingest_steps_are_the_ingestion_jobs_in_their_waves():
    assert INGEST_WAVES == WAVES
    jobs = {p.stem for p in (REPOSITORY / "ingestion" / "jobs").glob("*.py")} - {"__init__"}
    assert {s.ingestion_job for s in STEPS if s.stage == "ingest"} == jobs


def test_runtimes_skip_their_own_steps_and_drop_dependencies_on_them():
    local, aws = steps_for("local"), steps_for("aws")
    assert names(local)[0] == "generate-sample" and "crawl-raw" not in names(local)
    assert names(aws)[0] == "crawl-raw" and "generate-sample" not in names(aws)
    assert next(s for s in local if s.name == "ingest-products").after == ("generate-sample",)
    assert next(s for s in aws if s.name == "ingest-products").after == ("crawl-raw",)
    # The same steps after the first, and locally the planning report at the end.
    assert names(local)[1:] == [*names(aws)[1:], "planning-report"]
    with pytest.raises(ValueError, match="unknown runtime"):
        steps_for("cloud")


def test_the_order_after_ingestion():
    assert names(steps_for("aws"))[-11:] == [
        "load",
        "source-freshness",
        "build-warehouse",
        "snapshot",
        "forecast",
        "load-forecasts",
        "build-forecast-marts",
        "optimize",
        "load-plan",
        "build-plan-marts",
        "docs-generate",
    ]


def test_waves_run_independent_steps_together_and_keep_the_rest_in_line():
    grouped = [names(group) for group in waves(steps_for("aws"))]
    assert grouped[:3] == [
        ["crawl-raw"],
        ["ingest-products", "ingest-warehouses"],
        ["ingest-inventory", "ingest-sales", "ingest-shipments", "ingest-transfer-lanes", "ingest-order-events"],
    ]
    assert all(len(group) == 1 for group in grouped[3:])


def test_steps_name_the_entry_point_they_run():
    by_name = {s.name: s for s in STEPS}
    assert (by_name["ingest-sales"].action, by_name["ingest-sales"].args) == ("ingest", ("sales",))
    assert by_name["ingest-sales"].ingestion_job == "sales"
    assert by_name["build-forecast-marts"].args == ("build", "--select", "source:forecasts+")
    assert by_name["source-freshness"].args == (
        "source", "freshness", "--select", "source:erp", "source:wms", "source:events",
    )  # fmt: skip
    assert by_name["build-warehouse"].after == ("source-freshness",)
    assert by_name["build-warehouse"].is_dbt and "source:forecasts+" in by_name["build-warehouse"].args
    assert by_name["forecast"].stage == "forecast" and not by_name["forecast"].retryable
    assert by_name["crawl-raw"].platform is Platform.GLUE_CRAWLER and by_name["crawl-raw"].command == ()
    # The pipeline image's entry script takes the step's name and runs the same action as the local runner.
    assert by_name["forecast"].command == ("step", "forecast")
    assert all(s.timeout_seconds > 0 for s in STEPS)


def test_the_pipeline_loads_each_stages_outputs_before_building_their_marts():
    by_name = {s.name: s for s in STEPS}
    assert by_name["load-forecasts"].action == "load" and by_name["load-forecasts"].after == ("forecast",)
    assert by_name["build-forecast-marts"].after == ("load-forecasts",)
    assert by_name["load-plan"].action == "load" and by_name["load-plan"].after == ("optimize",)
    assert by_name["build-plan-marts"].after == ("load-plan",)


def test_every_action_a_step_names_exists():
    from orchestration.step_actions import ACTIONS

    assert {s.action for s in STEPS if s.action} <= set(ACTIONS)


def test_from_and_only_select_steps_in_pipeline_order():
    assert names(select_steps("local", from_step="forecast")) == [
        "forecast",
        "load-forecasts",
        "build-forecast-marts",
        "optimize",
        "load-plan",
        "build-plan-marts",
        "docs-generate",
        "planning-report",
    ]
    assert names(select_steps("local", only=["snapshot", "load"])) == ["load", "snapshot"]
    assert names(select_steps("aws")) == names(steps_for("aws"))


def test_only_keeps_the_order_through_the_steps_it_leaves_out():
    """--only without source-freshness: the build still waits for the load, the load for every ingestion wave."""
    ingest = [s.name for s in steps_for("local") if s.stage == "ingest"]
    selected = waves(select_steps("local", only=[*ingest, "load", "build-warehouse"]))
    assert [names(wave) for wave in selected[-2:]] == [["load"], ["build-warehouse"]]
    assert len(selected) == len(INGEST_WAVES) + 2
    assert [s.after for s in select_steps("local", only=["ingest-sales", "forecast"])] == [(), ("ingest-sales",)]


def test_unknown_steps_are_named_with_the_choices():
    with pytest.raises(UnknownStepError, match=r"unknown step\(s\) forcast; the local pipeline's steps are: "):
        select_steps("local", from_step="forcast")
    with pytest.raises(UnknownStepError, match="crawl-raw does not run locally"):
        select_steps("local", only=["crawl-raw"])
    with pytest.raises(ValueError, match="not both"):
        select_steps("local", from_step="load", only=["load"])


def test_a_step_waiting_for_a_later_one_is_refused():
    steps = steps_for("aws")
    with pytest.raises(ValueError, match="must come before it"):
        waves((steps[-1], *steps[:-1]))
