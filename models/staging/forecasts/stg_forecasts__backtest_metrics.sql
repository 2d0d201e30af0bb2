with

source_backtest as (
    select * from {{ source('forecasts', 'forecast_backtest') }}
),

renamed as (
    select
        cast(series_id as varchar) as series_id,
        cast(model as varchar) as forecast_model,
        cast(abs_error as double precision) as abs_error_units,
        cast(actual_units as double precision) as actual_units,
        cast(bias_units as double precision) as bias_units,
        cast(wape as double precision) as wape,
        cast(mase as double precision) as mase,
        cast(scored_weeks as integer) as scored_weeks
    from source_backtest
)

select * from renamed
