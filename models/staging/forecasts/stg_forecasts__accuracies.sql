with

source_forecast_accuracy as (
    select * from {{ source('forecasts', 'forecast_accuracy') }}
),

renamed as (
    select
        cast(level as varchar) as hierarchy_level,
        cast(model as varchar) as forecast_model,
        cast(series as integer) as series_count,
        cast(wape as double precision) as wape,
        cast(accuracy as double precision) as accuracy,
        cast(bias as double precision) as bias,
        cast(mase as double precision) as mase,
        cast(rmsse as double precision) as rmsse,
        cast(coverage_80 as double precision) as coverage_80,
        cast(coverage_95 as double precision) as coverage_95,
        cast(coverage_weeks as integer) as coverage_weeks,
        cast(rolling_coverage_80 as double precision) as rolling_coverage_80,
        cast(rolling_coverage_95 as double precision) as rolling_coverage_95,
        cast(rolling_coverage_weeks as integer) as rolling_coverage_weeks,
        coalesce(is_baseline, false) as is_baseline,
        coalesce(is_chosen, false) as is_chosen
    from source_forecast_accuracy
)

select * from renamed
