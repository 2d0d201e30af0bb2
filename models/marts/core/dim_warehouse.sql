{{ config(
    materialized='incremental',
    unique_key='warehouse_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    dist='all',
    sort='warehouse_id'
) }}

-- SCD type 1: the current attributes per warehouse from the CDC feed, merged; a warehouse deleted upstream stays
-- with is_active false. Every version lives in the warehouses snapshot and in stg_wms__warehouse_changes.
with

warehouses as (
    select * from {{ ref('stg_wms__warehouses') }}
),

final as (
    select
        warehouse_id,
        warehouse_name,
        region_code,
        city,
        address,
        capacity_units,
        latitude,
        longitude,
        is_active,
        opened_date,
        first_seen_at,
        last_changed_at
    -- Every run merges every warehouse the feed holds (see dim_product: a max-timestamp filter skips records
    -- that arrive out of order or share the latest timestamp).
    from warehouses
)

select * from final
