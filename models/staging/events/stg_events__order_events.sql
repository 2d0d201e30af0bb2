with

source_order_events as (
    select * from {{ source('events', 'order_events') }}
),

renamed as (
    select
        cast(event_id as varchar) as event_id,
        cast(order_id as varchar) as order_id,
        cast(warehouse_id as varchar) as warehouse_id,
        cast(customer_id as varchar) as customer_id,
        cast(event_type as varchar) as event_type,
        cast(channel as varchar) as channel,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        cast(schema_version as integer) as schema_version,
        cast(line_count as integer) as line_count,
        cast(total_qty as integer) as requested_quantity,
        event_type = 'order_cancelled' as is_cancellation,
        cast(cast(event_at as timestamp) as date) as event_date,
        cast(event_at as timestamp) as event_at
    from source_order_events
)

select * from renamed
