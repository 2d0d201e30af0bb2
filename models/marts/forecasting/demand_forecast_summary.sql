{{ config(dist='all') }}

-- The planner's table from the design brief, per region and product: units sold in the last four full weeks,
-- units forecast for the next four, and the growth between them.
with

demand_weeks as (
    select * from {{ ref('demand_features_weekly') }}
),

forecasts as (
    select * from {{ ref('fct_demand_forecast') }}
),

products as (
    select * from {{ ref('dim_product') }}
),

last_full_week as (
    select max(week_start) as week_start
    from demand_weeks
    where not is_partial_week
),

recent_sales as (
    select
        demand_weeks.region_code,
        demand_weeks.product_id,
        sum(demand_weeks.units_sold) as recent_units
    from demand_weeks
    cross join last_full_week
    where demand_weeks.week_start > {{ dbt.dateadd('day', -28, 'last_full_week.week_start') }}
        and demand_weeks.week_start <= last_full_week.week_start
    group by demand_weeks.region_code, demand_weeks.product_id
),

first_forecast_week as (
    select min(week_start) as week_start from forecasts
),

upcoming_forecast as (
    select
        forecasts.region_code,
        forecasts.product_id,
        sum(forecasts.forecast_units) as forecast_units
    from forecasts
    cross join first_forecast_week
    where forecasts.week_start < {{ dbt.dateadd('day', 28, 'first_forecast_week.week_start') }}
    group by forecasts.region_code, forecasts.product_id
),

final as (
    select
        upcoming_forecast.region_code,
        upcoming_forecast.product_id,
        products.category_path as category,
        cast(coalesce(recent_sales.recent_units, 0) as integer) as last_4_weeks_units,
        cast(round(cast(upcoming_forecast.forecast_units as numeric(14, 2)), 0) as integer) as next_4_weeks_units,
        cast(case
            when recent_sales.recent_units > 0
                then round(cast(upcoming_forecast.forecast_units / recent_sales.recent_units - 1 as numeric(14, 4)), 3)
        end as double precision) as growth_rate
    from upcoming_forecast
    inner join products
        on upcoming_forecast.product_id = products.product_id
    left join recent_sales
        on
            upcoming_forecast.region_code = recent_sales.region_code
            and upcoming_forecast.product_id = recent_sales.product_id
)

select * from final
