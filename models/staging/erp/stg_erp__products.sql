with

source_products as (
    select * from {{ source('erp', 'products') }}
),

renamed as (
    select
        cast(product_id as varchar) as product_id,
        cast(product_name as varchar) as product_name,
        cast(category as varchar) as category_path,
        -- The master sends a path such as Electronics/TV: the top level drives seasonality and hierarchy.
        cast({{ dbt.split_part('category', "'/'", 1) }} as varchar) as category,
        cast(coalesce(nullif({{ dbt.split_part('category', "'/'", 2) }}, ''), category) as varchar)
            as subcategory,
        cast(brand as varchar) as brand,
        cast(status as varchar) as product_status,
        cast(source_file as varchar) as source_file,
        cast(source_line as integer) as source_line,
        cast(unit_cost as numeric(12, 2)) as unit_cost,
        cast(unit_price as numeric(12, 2)) as unit_price,
        cast(weight_kg as double precision) as weight_kg,
        cast(volume_m3 as double precision) as volume_m3,
        status = 'ACTIVE' as is_active,
        cast(launch_date as date) as launch_date,
        cast(updated_at as timestamp) as updated_at
    from source_products
)

select * from renamed
