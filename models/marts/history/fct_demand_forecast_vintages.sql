{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_week_start',
    on_schema_change='append_new_columns',
    full_refresh=false,
    dist='product_id',
    sort=['as_of_week_start', 'week_start'],
    post_hook=["{{ supplychain.keep_recent_vintages('as_of_week_start') }}"]
) }}

-- Every forecast run's forecasts, kept: one vintage per as-of week (the last week of actuals the run saw), so a
-- planner can ask what was forecast four weeks ago for this week. The latest vintage is fct_demand_forecast; a
-- re-run on the same actuals replaces its vintage (delete+insert on as_of_week_start) instead of adding a copy.
-- full_refresh=false: `dbt build --full-refresh` never empties the record. Vintages older than var
-- vintage_retention_weeks before the newest are deleted (macros/history/keep_recent_vintages.sql).
with

forecasts as (
    select * from {{ ref('fct_demand_forecast') }}
),

run_origin as (
    -- Every series' forecast starts the week after the last complete week of actuals
    -- (tests/dbt/marts/forecasts_start_after_the_last_actual_week.sql): that week is the vintage's as-of week.
    select cast({{ dbt.dateadd('day', -7, 'min(forecasts.week_start)') }} as date) as as_of_week_start
    from forecasts
    having count(*) > 0
),

final as (
    select
        {{ supplychain.surrogate_key(['run_origin.as_of_week_start', 'forecasts.series_id', 'forecasts.week_start']) }}
            as forecast_vintage_id,
        run_origin.as_of_week_start,
        -- Both are Mondays: days apart over 7 is whole weeks (date minus date is days on every target).
        cast((forecasts.week_start - run_origin.as_of_week_start) / 7 as integer) as lag_weeks,
        forecasts.series_id,
        forecasts.product_id,
        forecasts.warehouse_id,
        forecasts.region_code,
        forecasts.category,
        forecasts.forecast_model,
        forecasts.demand_pattern,
        forecasts.treatment,
        forecasts.forecast_units,
        forecasts.lower_80_units,
        forecasts.upper_80_units,
        forecasts.lower_95_units,
        forecasts.upper_95_units,
        forecasts.week_start,
        forecasts.forecast_run_at
    from forecasts
    cross join run_origin
)

select * from final
