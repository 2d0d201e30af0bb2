-- The planner's summary misses nobody and adds nothing: every current region x product of the active warehouses
-- with units in the last four complete weeks, or a forecast for the four weeks after them, has one row, whose
-- units equal the features' and the forecasts' over exactly those weeks.
with

summary as (
    select * from {{ ref('demand_forecast_summary') }}
),

-- Only the weeks forecasting reads as full: a lagging warehouse's partial last week is not a complete week.
demand_weeks as (
    {{ supplychain.full_demand_weeks(ref('demand_features_weekly')) }}
),

forecasts as (
    select * from {{ ref('fct_demand_forecast') }}
),

warehouses as (
    select * from {{ ref('dim_warehouse') }}
),

active_demand_weeks as (
    select demand_weeks.*
    from demand_weeks
    inner join warehouses
        on demand_weeks.warehouse_id = warehouses.warehouse_id
    where warehouses.is_active
),

last_complete_week as (
    select max(week_start) as week_start
    from active_demand_weeks
),

expected_actuals as (
    select
        active_demand_weeks.current_region_code as region_code,
        active_demand_weeks.product_id,
        sum(active_demand_weeks.units_sold) as units
    from active_demand_weeks
    cross join last_complete_week
    where
        active_demand_weeks.week_start > {{ dbt.dateadd('day', -28, 'last_complete_week.week_start') }}
        and active_demand_weeks.week_start <= last_complete_week.week_start
    group by active_demand_weeks.current_region_code, active_demand_weeks.product_id
    having sum(active_demand_weeks.units_sold) > 0
),

expected_forecasts as (
    select
        forecasts.region_code,
        forecasts.product_id,
        sum(forecasts.forecast_units) as units
    from forecasts
    inner join warehouses
        on forecasts.warehouse_id = warehouses.warehouse_id
    cross join last_complete_week
    where
        warehouses.is_active
        and forecasts.week_start > last_complete_week.week_start
        and forecasts.week_start <= {{ dbt.dateadd('day', 28, 'last_complete_week.week_start') }}
    group by forecasts.region_code, forecasts.product_id
),

expected as (
    select
        coalesce(expected_actuals.region_code, expected_forecasts.region_code) as region_code,
        coalesce(expected_actuals.product_id, expected_forecasts.product_id) as product_id,
        coalesce(expected_actuals.units, 0) as actual_units,
        coalesce(expected_forecasts.units, 0) as forecast_units
    from expected_actuals
    full outer join expected_forecasts
        on
            expected_actuals.region_code = expected_forecasts.region_code
            and expected_actuals.product_id = expected_forecasts.product_id
),

mismatches as (
    select
        coalesce(expected.region_code, summary.region_code) as region_code,
        coalesce(expected.product_id, summary.product_id) as product_id,
        expected.actual_units as expected_last_4_weeks_units,
        summary.last_4_weeks_units,
        expected.forecast_units as expected_next_4_weeks_units,
        summary.next_4_weeks_units
    from expected
    full outer join summary
        on
            expected.region_code = summary.region_code
            and expected.product_id = summary.product_id
    where
        expected.product_id is null
        or summary.product_id is null
        or expected.actual_units <> summary.last_4_weeks_units
        -- The summary rounds the sum as a 4-decimal numeric: a sum of 2189.49998 is 2189.5000 there and rounds up.
        or abs(expected.forecast_units - summary.next_4_weeks_units) > 0.5001
)

select * from mismatches
