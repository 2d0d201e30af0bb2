{{ config(dist='all') }}

-- Accuracy (1 - WAPE) on the held-out backtest window per hierarchy level and model, beside the baselines.
with

accuracies as (
    select * from {{ ref('stg_forecasts__accuracies') }}
),

baselines as (
    select
        hierarchy_level,
        max(accuracy) as best_baseline_accuracy
    from accuracies
    where is_baseline
    group by hierarchy_level
),

final as (
    select
        accuracies.hierarchy_level,
        accuracies.forecast_model,
        accuracies.series_count,
        accuracies.wape,
        accuracies.accuracy,
        accuracies.bias,
        accuracies.mase,
        accuracies.rmsse,
        accuracies.coverage_80,
        accuracies.coverage_95,
        accuracies.coverage_weeks,
        accuracies.rolling_coverage_80,
        accuracies.rolling_coverage_95,
        accuracies.rolling_coverage_weeks,
        baselines.best_baseline_accuracy,
        accuracies.is_baseline,
        accuracies.is_chosen,
        coalesce(accuracies.accuracy > baselines.best_baseline_accuracy, false) as beats_baselines
    from accuracies
    left join baselines
        on accuracies.hierarchy_level = baselines.hierarchy_level
)

select * from final
