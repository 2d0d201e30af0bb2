with

source_returns as (
    select * from {{ source('erp', 'returns') }}
),

renamed as (
    select
        cast(order_id as varchar) as order_id,
        cast(line_number as integer) as line_number,
        cast(product_id as varchar) as product_id,
        cast(warehouse_id as varchar) as warehouse_id,
        cast(region as varchar) as region_code,
        cast(customer_id as varchar) as customer_id,
        cast(channel as varchar) as channel,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        -- The ERP books a return as a negative quantity; the fact counts units returned.
        cast(-qty as integer) as returned_quantity,
        cast(unit_price as numeric(12, 2)) as unit_price,
        cast(coalesce(discount_pct, 0) as numeric(5, 2)) as discount_pct,
        cast(order_date as date) as order_date,
        cast(updated_at as timestamp) as updated_at
    from source_returns
)

select * from renamed
