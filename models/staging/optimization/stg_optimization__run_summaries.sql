with

source_run_summary as (
    select * from {{ source('optimization', 'optimization_run_summary') }}
),

renamed as (
    select
        cast(solver as varchar) as solver,
        cast(problem_messages as varchar) as problem_messages,
        cast(products_planned as integer) as products_planned,
        cast(sites as integer) as sites_planned,
        cast(transfers as integer) as transfers,
        cast(units_moved as integer) as units_moved,
        cast(problems as integer) as problems,
        cast(service_level as double precision) as service_level,
        cast(transfer_cost as double precision) as transfer_cost,
        cast(expected_stockout_units_avoided as double precision) as expected_stockout_units_avoided,
        cast(expected_excess_units_reduced as double precision) as expected_excess_units_reduced,
        cast(expected_value as double precision) as expected_value,
        cast(plan_date as date) as plan_date,
        cast(planned_at as timestamp) as planned_at
    from source_run_summary
)

select * from renamed
