with

source_model_selection as (
    select * from {{ source('forecasts', 'forecast_model_selection') }}
),

renamed as (
    select
        cast(series_id as varchar) as series_id,
        cast(demand_pattern as varchar) as demand_pattern,
        cast(treatment as varchar) as treatment,
        cast(model as varchar) as forecast_model,
        cast(reconciliation as varchar) as reconciliation,
        cast(message as varchar) as rejection_message,
        cast(history_weeks as integer) as history_weeks
    from source_model_selection
)

select * from renamed
