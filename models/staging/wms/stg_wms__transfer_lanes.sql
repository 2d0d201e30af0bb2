with

source_transfer_lanes as (
    select * from {{ source('wms', 'transfer_lanes') }}
),

renamed as (
    select
        cast(from_warehouse_id as varchar) as from_warehouse_id,
        cast(to_warehouse_id as varchar) as to_warehouse_id,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        cast(distance_km as double precision) as distance_km,
        cast(transfer_cost_per_unit as numeric(10, 2)) as transfer_cost_per_unit,
        cast(lead_time_days as integer) as lead_time_days
    from source_transfer_lanes
)

select * from renamed
