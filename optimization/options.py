"""The optimisation stage's options (defaults, flags and checks in one place, foundation.options) and the one rule
for a service level."""

from __future__ import annotations

from dataclasses import dataclass

from foundation.options import StageOptions, flag


def check_service_level(level: float, name: str = "service level", where: str = "") -> None:
    """The one rule for a cycle service level: at least a coin toss, and never certainty (an infinite buffer)."""
    if not 0.5 <= level < 1:
        raise ValueError(f"{name} {level}{where} must be in [0.5, 1)")


def _levels(text: str) -> tuple[float | None, ...]:
    """`cost,0.99` -> (None, 0.99): None is the cost rule."""
    return tuple(None if part.strip() == "cost" else float(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class OptimizeOptions(StageOptions):
    """`supplychain optimize`'s options; the pipeline's optimize step runs with the same defaults."""

    service_level: float | None = flag(
        None, "one cycle service level for every product (default: each product x warehouse's level chosen by cost, "
        "its margin against the cost of holding a unit one more review period)", parse=float,
    )  # fmt: skip
    default_lead_time_days: int = flag(14, "supplier lead time for a series with none measured")
    # HiGHS solves in-process; CBC starts a process per product: the daily replay re-plans every week, 1.5x faster.
    solver: str = flag("highs", "MILP solver", choices=("cbc", "highs"))
    time_limit: float = flag(10.0, "seconds per product")
    gap: float = flag(0.001, "relative optimality gap")
    workers: int = flag(2, "products solved in parallel")
    evaluate: bool = flag(False, "also replay the held-out weeks of actual demand under each policy")
    holdout_weeks: int = flag(8, "with --evaluate: weeks of actual demand to replay")
    evaluate_service_levels: tuple[float | None, ...] | None = flag(
        None, "with --evaluate: service levels to compare, `cost` for the cost rule (default: the run's own rule)",
        parse=_levels,
    )  # fmt: skip
    replay: bool = flag(True, "the daily hold-out replay beside the plan", cli=False)

    def validate(self) -> None:
        # Checked before any work starts, so a pipeline run does not fail at the optimisation step.
        if self.service_level is not None:
            check_service_level(self.service_level, "--service-level")
