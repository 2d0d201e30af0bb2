-- dim_warehouse_history against the feed it is built from, not against its own window functions: one version per
-- CDC record of the warehouse in the processed feed, and exactly one current version, open-ended, in the region
-- the ingestion job's current-state table (wms.warehouses, applied by Spark, not by this project's SQL) holds.
with

cdc_records as (
    select * from {{ source('wms', 'warehouse_history') }}
),

current_state as (
    select * from {{ source('wms', 'warehouses') }}
),

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

records_per_warehouse as (
    select
        cast(warehouse_id as varchar) as warehouse_id,
        count(*) as cdc_records
    from cdc_records
    group by cast(warehouse_id as varchar)
),

versions_per_warehouse as (
    select
        warehouse_id,
        count(*) as versions,
        sum(case when is_current then 1 else 0 end) as current_versions,
        max(case when is_current then region_code end) as current_region_code,
        sum(case when is_current and valid_to_date is null then 1 else 0 end) as open_current_versions
    from warehouse_history
    group by warehouse_id
),

mismatches as (
    select
        coalesce(records_per_warehouse.warehouse_id, versions_per_warehouse.warehouse_id) as warehouse_id,
        records_per_warehouse.cdc_records,
        versions_per_warehouse.versions,
        versions_per_warehouse.current_versions,
        versions_per_warehouse.current_region_code,
        cast(current_state.region as varchar) as feed_region_code
    from records_per_warehouse
    full outer join versions_per_warehouse
        on records_per_warehouse.warehouse_id = versions_per_warehouse.warehouse_id
    left join current_state
        on
            coalesce(records_per_warehouse.warehouse_id, versions_per_warehouse.warehouse_id)
            = cast(current_state.warehouse_id as varchar)
    where
        coalesce(records_per_warehouse.cdc_records, 0) <> coalesce(versions_per_warehouse.versions, 0)
        or versions_per_warehouse.current_versions <> 1
        or versions_per_warehouse.open_current_versions <> 1
        or versions_per_warehouse.current_region_code <> cast(current_state.region as varchar)
)

select * from mismatches
