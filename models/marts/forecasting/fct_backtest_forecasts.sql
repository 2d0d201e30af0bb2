{{ config(dist='series_id', sort=['backtest_cutoff', 'series_id']) }}

-- Every backtest window's weekly forecast per series, as the forecast stage made it, censored weeks and weeks
-- with no actuals yet included (fct_backtest_weeks keeps only the scored ones, beside their actuals). The
-- optimiser's hold-out replay plans the last window with these (optimization/backtest_replay.py).
with

backtest_weeks as (
    select * from {{ ref('stg_forecasts__backtest_weeks') }}
),

final as (
    select
        {{ supplychain.surrogate_key(['series_id', 'backtest_cutoff', 'week_start']) }} as backtest_forecast_id,
        series_id,
        backtest_cutoff,
        week_start,
        forecast_units
    from backtest_weeks
)

select * from final
