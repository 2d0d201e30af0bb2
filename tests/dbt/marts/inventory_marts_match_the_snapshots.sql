-- The inventory marts against the snapshot feed itself, not against their own expressions: every processed
-- snapshot is one fct_inventory_daily row whose position is the feed's on hand + on order + in transit and whose
-- stock-out flag is the feed's on hand of zero; weekly_inventory_mv counts, per week, the days the feed has a
-- snapshot and the days it has one with nothing on hand.
with

snapshots as (
    select
        cast(product_id as varchar) as product_id,
        cast(warehouse_id as varchar) as warehouse_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(on_hand_qty as integer) as on_hand_qty,
        cast(coalesce(on_order_qty, 0) + coalesce(in_transit_qty, 0) + on_hand_qty as integer) as position_qty
    from {{ source('erp', 'inventory') }}
),

inventory_days as (
    select * from {{ ref('fct_inventory_daily') }}
),

inventory_weeks as (
    select * from {{ ref('weekly_inventory_mv') }}
),

daily_mismatches as (
    select
        'fct_inventory_daily <> the snapshot feed' as broken_rule,
        coalesce(snapshots.product_id, inventory_days.product_id) as product_id,
        coalesce(snapshots.warehouse_id, inventory_days.warehouse_id) as warehouse_id,
        coalesce(snapshots.snapshot_date, inventory_days.snapshot_date) as day_or_week
    from snapshots
    full outer join inventory_days
        on
            snapshots.product_id = inventory_days.product_id
            and snapshots.warehouse_id = inventory_days.warehouse_id
            and snapshots.snapshot_date = inventory_days.snapshot_date
    where
        snapshots.product_id is null
        or inventory_days.product_id is null
        or snapshots.position_qty <> inventory_days.inventory_position_qty
        or (snapshots.on_hand_qty = 0) <> inventory_days.is_stockout
),

feed_weeks as (
    select
        product_id,
        warehouse_id,
        {{ supplychain.week_start('snapshot_date') }} as week_start,
        count(*) as snapshot_days,
        sum(case when on_hand_qty = 0 then 1 else 0 end) as empty_days
    from snapshots
    group by product_id, warehouse_id, {{ supplychain.week_start('snapshot_date') }}
),

weekly_mismatches as (
    select
        'weekly_inventory_mv days <> the snapshot feed' as broken_rule,
        coalesce(feed_weeks.product_id, inventory_weeks.product_id) as product_id,
        coalesce(feed_weeks.warehouse_id, inventory_weeks.warehouse_id) as warehouse_id,
        coalesce(feed_weeks.week_start, inventory_weeks.week_start) as day_or_week
    from feed_weeks
    full outer join inventory_weeks
        on
            feed_weeks.product_id = inventory_weeks.product_id
            and feed_weeks.warehouse_id = inventory_weeks.warehouse_id
            and feed_weeks.week_start = inventory_weeks.week_start
    -- A week with sales and no snapshot is in the mart with zero days observed and no feed week.
    where
        coalesce(feed_weeks.snapshot_days, 0) <> coalesce(inventory_weeks.days_observed, 0)
        or coalesce(feed_weeks.empty_days, 0) <> coalesce(inventory_weeks.stockout_days, 0)
),

final as (
    select * from daily_mismatches
    union all
    select * from weekly_mismatches
)

select * from final
