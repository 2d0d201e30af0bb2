-- Forecasts look forward: every forecast week comes after the last complete week of actual demand of the active
-- warehouses, and no forecast belongs to a warehouse that is closed.
with

forecasts as (
    select * from {{ ref('fct_demand_forecast') }}
),

demand_weeks as (
    select * from {{ ref('demand_features_weekly') }}
),

warehouses as (
    select * from {{ ref('dim_warehouse') }}
),

last_complete_week as (
    select max(demand_weeks.week_start) as week_start
    from demand_weeks
    inner join warehouses
        on demand_weeks.warehouse_id = warehouses.warehouse_id
    where warehouses.is_active and not demand_weeks.is_partial_week
),

backward_forecasts as (
    select
        forecasts.series_id,
        forecasts.week_start,
        last_complete_week.week_start as last_actual_week_start,
        coalesce(warehouses.is_active, false) as is_warehouse_active
    from forecasts
    cross join last_complete_week
    left join warehouses
        on forecasts.warehouse_id = warehouses.warehouse_id
    where
        forecasts.week_start <= last_complete_week.week_start
        or not coalesce(warehouses.is_active, false)
)

select * from backward_forecasts
