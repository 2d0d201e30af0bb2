with

source_transfer_plan as (
    select * from {{ source('optimization', 'transfer_plan') }}
),

renamed as (
    select
        cast(product_id as varchar) as product_id,
        cast(from_warehouse_id as varchar) as from_warehouse_id,
        cast(to_warehouse_id as varchar) as to_warehouse_id,
        cast(reason as varchar) as reason,
        cast(units as integer) as units,
        cast(lead_time_days as integer) as lead_time_days,
        cast(transfer_cost as double precision) as transfer_cost,
        cast(expected_benefit as double precision) as expected_benefit,
        cast(plan_date as date) as plan_date,
        cast(arrival_date as date) as arrival_date
    from source_transfer_plan
)

select * from renamed
