with

source_inventory as (
    select * from {{ source('erp', 'inventory') }}
),

renamed as (
    select
        cast(product_id as varchar) as product_id,
        cast(warehouse_id as varchar) as warehouse_id,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        cast(on_hand_qty as integer) as on_hand_qty,
        cast(coalesce(on_order_qty, 0) as integer) as on_order_qty,
        cast(coalesce(in_transit_qty, 0) as integer) as in_transit_qty,
        cast(snapshot_date as date) as snapshot_date,
        cast(extracted_at as timestamp) as extracted_at
    from source_inventory
)

select * from renamed
