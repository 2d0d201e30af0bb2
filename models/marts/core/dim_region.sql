{{ config(dist='all', sort='region_code') }}

with

regions as (
    select * from {{ ref('regions') }}
),

warehouses as (
    select * from {{ ref('stg_wms__warehouses') }}
),

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

-- Ever seen: every warehouse that belonged to the region in any version, so a warehouse that moved counts in
-- its old region too (and closed ones stay counted).
warehouses_ever_seen as (
    select
        region_code,
        count(distinct warehouse_id) as warehouse_count
    from warehouse_history
    group by region_code
),

-- Now: the current state of each warehouse.
warehouses_now as (
    select
        region_code,
        sum(case when is_active then 1 else 0 end) as active_warehouse_count,
        sum(case when is_active then capacity_units else 0 end) as active_capacity_units
    from warehouses
    group by region_code
),

final as (
    select
        cast(regions.region_code as varchar) as region_code,
        cast(regions.region_name as varchar) as region_name,
        cast(regions.region_description as varchar) as region_description,
        cast(coalesce(warehouses_ever_seen.warehouse_count, 0) as integer) as warehouse_count,
        cast(coalesce(warehouses_now.active_warehouse_count, 0) as integer) as active_warehouse_count,
        cast(coalesce(warehouses_now.active_capacity_units, 0) as bigint) as active_capacity_units
    from regions
    left join warehouses_ever_seen
        on regions.region_code = warehouses_ever_seen.region_code
    left join warehouses_now
        on regions.region_code = warehouses_now.region_code
)

select * from final
