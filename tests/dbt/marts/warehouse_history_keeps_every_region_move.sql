-- Every region a warehouse ever belonged to in the CDC feed is in its history, and dim_region counts the
-- warehouse in each of them ("ever seen"). A type-1 dimension would keep only the region it has now.
with

warehouse_changes as (
    select * from {{ ref('stg_wms__warehouse_changes') }}
),

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

changed_regions as (
    select distinct
        warehouse_id,
        region_code
    from warehouse_changes
),

history_regions as (
    select distinct
        warehouse_id,
        region_code
    from warehouse_history
),

missing_moves as (
    select
        'region in the CDC feed missing from dim_warehouse_history' as broken_rule,
        changed_regions.region_code,
        changed_regions.warehouse_id
    from changed_regions
    left join history_regions
        on
            changed_regions.warehouse_id = history_regions.warehouse_id
            and changed_regions.region_code = history_regions.region_code
    where history_regions.warehouse_id is null
),

ever_seen as (
    select
        region_code,
        count(distinct warehouse_id) as warehouse_count
    from changed_regions
    group by region_code
),

miscounted_regions as (
    select
        'dim_region.warehouse_count is not the warehouses ever seen there' as broken_rule,
        ever_seen.region_code,
        cast(null as varchar) as warehouse_id
    from ever_seen
    left join regions
        on ever_seen.region_code = regions.region_code
    where coalesce(regions.warehouse_count, 0) <> ever_seen.warehouse_count
),

final as (
    select * from missing_moves
    union all
    select * from miscounted_regions
)

select * from final
