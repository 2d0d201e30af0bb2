{{ config(
    materialized='incremental',
    unique_key='product_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    dist='all',
    sort='product_id'
) }}

-- SCD type 1: the latest attributes per product, merged, so products that leave the master keep their row
-- (facts still point at them). History lives in the products snapshot.
with

products as (
    select * from {{ ref('stg_erp__products') }}
),

final as (
    select
        product_id,
        product_name,
        category,
        subcategory,
        category_path,
        brand,
        product_status,
        unit_cost,
        unit_price,
        cast(unit_price - unit_cost as numeric(12, 2)) as unit_margin,
        weight_kg,
        volume_m3,
        is_active,
        launch_date,
        updated_at
    -- Every run merges every product the master holds, not only those newer than the latest timestamp loaded:
    -- a filter on max(updated_at) skips records that arrive out of order or share that timestamp, and the
    -- table would then differ from a --full-refresh. The master is small; the merge costs nothing.
    from products
)

select * from final
