with

source_shipments as (
    select * from {{ source('erp', 'shipments') }}
),

renamed as (
    select
        cast(shipment_id as varchar) as shipment_id,
        cast(order_id as varchar) as order_id,
        cast(warehouse_id as varchar) as warehouse_id,
        cast(carrier as varchar) as carrier,
        cast(status as varchar) as shipment_status,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        cast(total_units as integer) as total_units,
        cast(delay_days as integer) as reported_delay_days,
        cast(ship_date as date) as ship_date,
        cast(promised_date as date) as promised_date,
        cast(delivered_date as date) as delivered_date,
        cast(updated_at as timestamp) as updated_at
    from source_shipments
)

select * from renamed
