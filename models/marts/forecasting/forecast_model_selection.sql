{{ config(dist='all', sort='series_id') }}

-- How the latest forecast run treated each series and which model it chose: the optimiser reads the chosen model
-- here to find its backtest error (optimization/warehouse_io.py).
with

selections as (
    select * from {{ ref('stg_forecasts__model_selections') }}
),

final as (
    select
        series_id,
        demand_pattern,
        treatment,
        forecast_model,
        reconciliation,
        rejection_message,
        history_weeks
    from selections
)

select * from final
