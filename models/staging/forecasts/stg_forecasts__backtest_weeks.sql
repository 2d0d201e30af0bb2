with

source_backtest_weeks as (
    select * from {{ source('forecasts', 'forecast_backtest_weeks') }}
),

renamed as (
    select
        cast(series_id as varchar) as series_id,
        cast(cutoff as date) as backtest_cutoff,
        cast(week_start as date) as week_start,
        cast(forecast_units as double precision) as forecast_units
    from source_backtest_weeks
)

select * from renamed
