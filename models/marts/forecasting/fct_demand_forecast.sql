{{ config(dist='product_id', sort=['week_start', 'product_id']) }}

-- One row per forecast series and future week: the point forecast and its 80% and 95% intervals. Only series of
-- warehouses active now: a closed warehouse sells nothing more, and its forecast would date from its closing.
-- region_code is the warehouse's current region (planning attribution, as in demand_features_weekly).
with

forecasts as (
    select * from {{ ref('stg_forecasts__demand_forecasts') }}
),

selections as (
    select * from {{ ref('stg_forecasts__model_selections') }}
),

warehouses as (
    select * from {{ ref('dim_warehouse') }}
),

final as (
    select
        {{ supplychain.surrogate_key(['forecasts.series_id', 'forecasts.week_start']) }} as demand_forecast_id,
        forecasts.series_id,
        forecasts.product_id,
        forecasts.warehouse_id,
        forecasts.region_code,
        forecasts.category,
        forecasts.forecast_model,
        selections.demand_pattern,
        selections.treatment,
        forecasts.forecast_units,
        forecasts.lower_80_units,
        forecasts.upper_80_units,
        forecasts.lower_95_units,
        forecasts.upper_95_units,
        forecasts.week_start,
        forecasts.forecast_run_at
    from forecasts
    inner join warehouses
        on forecasts.warehouse_id = warehouses.warehouse_id
    left join selections
        on forecasts.series_id = selections.series_id
    where warehouses.is_active
)

select * from final
