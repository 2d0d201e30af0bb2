with

source_warehouse_history as (
    select * from {{ source('wms', 'warehouse_history') }}
),

renamed as (
    select
        cast(warehouse_id as varchar) as warehouse_id,
        cast(op as varchar) as change_op,
        case op when 'I' then 'insert' when 'U' then 'update' when 'D' then 'delete' end as change_type,
        cast(warehouse_name as varchar) as warehouse_name,
        cast(region as varchar) as region_code,
        cast(city as varchar) as city,
        cast(address as varchar) as address,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        cast(capacity_units as bigint) as capacity_units,
        cast(latitude as double precision) as latitude,
        cast(longitude as double precision) as longitude,
        coalesce(is_current, false) as is_current,
        coalesce(is_deleted, false) as is_deleted,
        cast(opened_date as date) as opened_date,
        cast(commit_ts as timestamp) as committed_at,
        cast(valid_from as timestamp) as valid_from,
        cast(valid_to as timestamp) as valid_to
    from source_warehouse_history
)

select * from renamed
