with

source_warehouses as (
    select * from {{ source('wms', 'warehouses') }}
),

renamed as (
    select
        cast(warehouse_id as varchar) as warehouse_id,
        cast(warehouse_name as varchar) as warehouse_name,
        cast(region as varchar) as region_code,
        cast(city as varchar) as city,
        cast(address as varchar) as address,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        cast(capacity_units as bigint) as capacity_units,
        cast(latitude as double precision) as latitude,
        cast(longitude as double precision) as longitude,
        coalesce(is_active, true) as is_active,
        cast(opened_date as date) as opened_date,
        cast(first_seen_at as timestamp) as first_seen_at,
        cast(last_changed_at as timestamp) as last_changed_at
    from source_warehouses
)

select * from renamed
