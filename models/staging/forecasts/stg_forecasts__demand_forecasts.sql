with

source_demand_forecast as (
    select * from {{ source('forecasts', 'demand_forecast') }}
),

renamed as (
    select
        cast(series_id as varchar) as series_id,
        cast(product_id as varchar) as product_id,
        cast(warehouse_id as varchar) as warehouse_id,
        cast(region_code as varchar) as region_code,
        cast(category as varchar) as category,
        cast(model as varchar) as forecast_model,
        cast(forecast_units as double precision) as forecast_units,
        cast(lo_80 as double precision) as lower_80_units,
        cast(hi_80 as double precision) as upper_80_units,
        cast(lo_95 as double precision) as lower_95_units,
        cast(hi_95 as double precision) as upper_95_units,
        cast(week_start as date) as week_start,
        cast(forecast_run_at as timestamp) as forecast_run_at
    from source_demand_forecast
)

select * from renamed
