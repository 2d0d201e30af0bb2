{{ config(dist='all') }}

-- The planner's table from the design brief, per region and product over the active warehouses: units sold in
-- the last four complete weeks of actuals, units forecast for the four weeks right after them, and the growth
-- between the two. Regions are the warehouses' current regions (planning attribution, as in the forecasts).
-- Every region x product with sales in those four weeks or a forecast for the next four has a row.
with

-- Only the weeks forecasting reads as full: a lagging warehouse's partial last week is not a complete week.
demand_weeks as (
    {{ supplychain.full_demand_weeks(ref('demand_features_weekly')) }}
),

forecasts as (
    select * from {{ ref('fct_demand_forecast') }}
),

products as (
    select * from {{ ref('dim_product') }}
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

-- The last full week of the active series: a week still being filled would read as a drop.
last_complete_week as (
    select max(week_start) as week_start
    from active_demand_weeks
),

recent_sales as (
    select
        active_demand_weeks.current_region_code as region_code,
        active_demand_weeks.product_id,
        sum(active_demand_weeks.units_sold) as recent_units
    from active_demand_weeks
    cross join last_complete_week
    where
        active_demand_weeks.week_start > {{ dbt.dateadd('day', -28, 'last_complete_week.week_start') }}
        and active_demand_weeks.week_start <= last_complete_week.week_start
    group by active_demand_weeks.current_region_code, active_demand_weeks.product_id
    having sum(active_demand_weeks.units_sold) > 0
),

upcoming_forecast as (
    select
        forecasts.region_code,
        forecasts.product_id,
        sum(forecasts.forecast_units) as forecast_units
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

region_products as (
    select
        coalesce(recent_sales.region_code, upcoming_forecast.region_code) as region_code,
        coalesce(recent_sales.product_id, upcoming_forecast.product_id) as product_id,
        recent_sales.recent_units,
        upcoming_forecast.forecast_units,
        -- Null when nothing sold: growth from zero has no rate.
        coalesce(upcoming_forecast.forecast_units, 0) / nullif(recent_sales.recent_units, 0) - 1 as growth
    from recent_sales
    full outer join upcoming_forecast
        on
            recent_sales.region_code = upcoming_forecast.region_code
            and recent_sales.product_id = upcoming_forecast.product_id
),

final as (
    select
        region_products.region_code,
        region_products.product_id,
        -- category is the top level, as in every other mart; the full path has its own column.
        products.category,
        products.category_path,
        cast(coalesce(region_products.recent_units, 0) as integer) as last_4_weeks_units,
        cast(round(cast(coalesce(region_products.forecast_units, 0) as numeric(16, 4)), 0) as integer)
            as next_4_weeks_units,
        cast(round(cast(region_products.growth as numeric(14, 4)), 3) as double precision) as growth_rate,
        region_products.forecast_units is not null as has_forecast,
        cast({{ dbt.dateadd('day', -21, 'last_complete_week.week_start') }} as date) as actuals_from_week_start,
        last_complete_week.week_start as actuals_to_week_start,
        cast({{ dbt.dateadd('day', 7, 'last_complete_week.week_start') }} as date) as forecast_from_week_start,
        cast({{ dbt.dateadd('day', 28, 'last_complete_week.week_start') }} as date) as forecast_to_week_start
    from region_products
    cross join last_complete_week
    left join products
        on region_products.product_id = products.product_id
)

select * from final
