{{ config(dist='all', sort=['series_id', 'forecast_model']) }}

-- The backtest's error per series and candidate model, summed over every window the latest run scored. The
-- optimiser sizes its safety stock from the chosen model's mean absolute weekly error here.
with

backtest as (
    select * from {{ ref('stg_forecasts__backtest_metrics') }}
),

final as (
    select
        series_id,
        forecast_model,
        abs_error_units,
        actual_units,
        bias_units,
        wape,
        mase,
        scored_weeks
    from backtest
)

select * from final
