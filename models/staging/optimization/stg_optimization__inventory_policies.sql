with

source_inventory_policy as (
    select * from {{ source('optimization', 'inventory_policy') }}
),

renamed as (
    select
        cast(product_id as varchar) as product_id,
        cast(warehouse_id as varchar) as warehouse_id,
        cast(region_code as varchar) as region_code,
        cast(category as varchar) as category,
        cast(lead_time_days as integer) as lead_time_days,
        cast(on_hand_qty as integer) as on_hand_qty,
        cast(on_order_qty as integer) as on_order_qty,
        cast(in_transit_qty as integer) as in_transit_qty,
        cast(inventory_position as integer) as inventory_position,
        cast(lead_time_demand as double precision) as lead_time_demand,
        cast(lead_sigma as double precision) as lead_time_sigma,
        cast(cover_demand as double precision) as cover_demand,
        cast(cover_sigma as double precision) as cover_sigma,
        cast(weekly_demand as double precision) as weekly_demand,
        cast(safety_stock as integer) as safety_stock,
        cast(reorder_point as integer) as reorder_point,
        cast(target_level as integer) as target_level,
        cast(overstock_units as integer) as overstock_units,
        cast(deficit_units as integer) as deficit_units,
        cast(days_of_cover as double precision) as days_of_cover,
        cast(service_level as double precision) as service_level,
        cast(plan_date as date) as plan_date
    from source_inventory_policy
)

select * from renamed
