{{ config(dist='all', sort='region_code') }}

with

regions as (
    select * from {{ ref('regions') }}
),

warehouses as (
    select * from {{ ref('stg_wms__warehouses') }}
),

warehouse_counts as (
    select
        region_code,
        count(*) as warehouse_count,
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
        cast(coalesce(warehouse_counts.warehouse_count, 0) as integer) as warehouse_count,
        cast(coalesce(warehouse_counts.active_warehouse_count, 0) as integer) as active_warehouse_count,
        cast(coalesce(warehouse_counts.active_capacity_units, 0) as bigint) as active_capacity_units
    from regions
    left join warehouse_counts
        on regions.region_code = warehouse_counts.region_code
)

select * from final
