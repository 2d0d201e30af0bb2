"""What the scale benchmark's run would cost on AWS at a larger size, on paper, from the measured figures.

Each step's time is fitted as fixed + per-line through the two largest sizes measured (t = a + b * lines), which
keeps the fixed part (JVM and dbt start-up, parsing, planning) from being multiplied. The work is then moved to
AWS at the same speed per core: the measurements ran on 2 cores, so core-seconds are seconds x 2. That is an
assumption, not an AWS measurement, and the machine was shared with other work (the figures are on the high side).

Prices are recalled us-east-1 on-demand list prices (early 2025; this machine has no internet to re-check them):
Glue $0.44 per DPU-hour (G.1X = 1 DPU = 4 vCPU and 16 GB, G.2X = 2 DPU), billed per second with a 1-minute
minimum; Redshift ra3.xlplus $1.086 per node-hour (4 vCPU, 32 GB) and managed storage $0.024 per GB-month;
Fargate $0.04048 per vCPU-hour and $0.004445 per GB-hour.
"""

from __future__ import annotations

GLUE_DPU_HOUR = 0.44
GLUE_VCPU_PER_DPU = 4
REDSHIFT_RA3_XLPLUS_HOUR = 1.086
REDSHIFT_VCPU_PER_NODE = 4
REDSHIFT_STORAGE_GB_MONTH = 0.024
FARGATE_VCPU_HOUR = 0.04048
FARGATE_GB_HOUR = 0.004445
MEASURED_CORES = 2
GLUE_JOBS = 7  # one Glue job per source, each paying at least Glue's 1-minute minimum


def fitted_seconds(results: list[dict], step: str, lines: int) -> tuple[float, float, float]:
    """(fixed s, s per million lines, predicted s at `lines`) through the two largest measured sizes."""
    small, large = sorted(results, key=lambda result: result["lines"])[-2:]
    slope = (large["steps"][step]["seconds"] - small["steps"][step]["seconds"]) / (large["lines"] - small["lines"])
    slope = max(slope, 0.0)  # a step that did not grow (noise made it shrink) is all fixed cost
    fixed = max(large["steps"][step]["seconds"] - slope * large["lines"], 0.0)
    return fixed, slope * 1e6, fixed + slope * lines


def paper_cost(
    results: list[dict],
    factor: int = 100,
    redshift_nodes: int = 2,
    fargate_vcpu: int = 4,
    lines: int | None = None,
    catalogue: int = 100,
) -> str:
    """Markdown: the arithmetic, step by step, for `factor` x the largest measured size (or `lines` lines)."""
    largest = max(results, key=lambda result: result["lines"])
    lines = lines or largest["lines"] * factor
    factor = round(lines / largest["lines"])
    fitted_through = " and ".join(f"{r['lines']:,}" for r in sorted(results, key=lambda r: r["lines"])[-2:])
    out = [
        f"At {factor}x the largest measured size ({lines:,} sales lines; the catalogue, so the series, unchanged), "
        "fitted t = fixed + per-line through "
        f"{fitted_through} lines, same speed per core as the {MEASURED_CORES} measured cores:",
        "",
        "| step | fixed s | s per 1M lines | predicted s (2 cores) | core-hours | on AWS | cost |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    total = 0.0
    for step in ("ingest", "load", "build", "forecast", "optimize", f"forecast, catalogue x{catalogue}"):
        if step.startswith("forecast, "):
            # Forecast time follows the series, not the lines (linear in series: forecast_benchmark.py).
            fixed, per_million, predicted = 0.0, 0.0, largest["steps"]["forecast"]["seconds"] * catalogue
        else:
            fixed, per_million, predicted = fitted_seconds(results, step, lines)
        core_hours = predicted * MEASURED_CORES / 3600
        if step == "ingest":
            dpu_hours = max(core_hours / GLUE_VCPU_PER_DPU, GLUE_JOBS * 2 / 60)  # 2 DPU minimum job, 1 minute
            cost = dpu_hours * GLUE_DPU_HOUR
            where = f"Glue: {core_hours:.1f} core-h / {GLUE_VCPU_PER_DPU} vCPU per DPU = {dpu_hours:.2f} DPU-h"
        elif step in ("load", "build"):
            node_hours = core_hours / REDSHIFT_VCPU_PER_NODE
            cost = node_hours * REDSHIFT_RA3_XLPLUS_HOUR
            wall = node_hours / redshift_nodes * 60
            where = f"Redshift ra3.xlplus: {node_hours:.2f} node-h ({redshift_nodes} nodes, {wall:.0f} min)"
        else:
            hours = core_hours / fargate_vcpu
            peak_mb = largest["steps"][step.split(",")[0]]["peak_tree_mb"]
            memory_gb = max(peak_mb / 1024 * 2, 8)  # twice the measured peak, at least 8 GB
            cost = hours * (fargate_vcpu * FARGATE_VCPU_HOUR + memory_gb * FARGATE_GB_HOUR)
            where = f"Fargate {fargate_vcpu} vCPU / {memory_gb:.0f} GB: {hours:.2f} task-h"
        if step.startswith("forecast, "):
            figures = f"{predicted:,.0f} | {core_hours:.2f} | {where} | ${cost:,.2f}"
            out.append(f"| {step} (instead of forecast) | | | {figures} |")
            continue
        total += cost
        out.append(
            f"| {step} | {fixed:.0f} | {per_million:.1f} | {predicted:,.0f} | {core_hours:.2f} | {where} | "
            f"${cost:,.2f} |"
        )
    out.insert(-1, f"| **one run, same catalogue** | | | | | | **${total:,.2f}** |")
    return "\n".join(out)
