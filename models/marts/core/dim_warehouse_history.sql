{{ config(dist='all', sort=['warehouse_id', 'valid_from_date']) }}

-- SCD type 2 from the CDC feed: one row per warehouse version with the days it was in force, so a sale, a stock
-- day or a shipment can be booked to the region its warehouse belonged to on that day. Days run from
-- valid_from_date up to, not including, valid_to_date (a change takes effect on the day it was committed, as the
-- WMS applies it). The first version also covers the days before the warehouse's first CDC record.
with

warehouse_changes as (
    select * from {{ ref('stg_wms__warehouse_changes') }}
),

versions as (
    select
        warehouse_changes.*,
        row_number() over (
            partition by warehouse_changes.warehouse_id
            order by warehouse_changes.valid_from, warehouse_changes.source_file, warehouse_changes.source_line
        ) as version_number,
        count(*) over (partition by warehouse_changes.warehouse_id) as version_count,
        -- The next version's start, not the feed's valid_to: the intervals then tile time with no gap or overlap.
        lead(warehouse_changes.valid_from) over (
            partition by warehouse_changes.warehouse_id
            order by warehouse_changes.valid_from, warehouse_changes.source_file, warehouse_changes.source_line
        ) as next_valid_from
    from warehouse_changes
),

final as (
    select
        {{ supplychain.surrogate_key(['warehouse_id', 'version_number']) }} as warehouse_version_id,
        warehouse_id,
        warehouse_name,
        region_code,
        city,
        address,
        change_type,
        capacity_units,
        cast(version_number as integer) as version_number,
        latitude,
        longitude,
        not is_deleted as is_active,
        version_number = version_count as is_current,
        opened_date,
        cast(case
            when version_number = 1
                then least(cast(valid_from as date), coalesce(opened_date, cast(valid_from as date)))
            else cast(valid_from as date)
        end as date) as valid_from_date,
        cast(next_valid_from as date) as valid_to_date,
        valid_from,
        next_valid_from as valid_to
    from versions
)

select * from final
