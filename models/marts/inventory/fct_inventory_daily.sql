{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    dist='product_id',
    sort=['snapshot_date', 'product_id'],
    pre_hook=["{{ supplychain.record_inventory_days_arrived(ref('int_inventory_days_joined'), ref('int_inventory_days_loaded')) }}"],
    post_hook=["{{ supplychain.sync_inventory_days_ledger(ref('int_inventory_days_joined'), ref('int_inventory_days_loaded')) }}"]
) }}

-- One row per product x warehouse x day with an ERP snapshot: the stock position and how long it lasts at the
-- recent sales rate. The rate is the units sold over the trailing var cover_window_days calendar days (sales on
-- days without a snapshot count too) divided by those days, or by the days since the series began when it is
-- younger than the window.
--
-- Incremental on arrival: a run recomputes only the series whose days changed (a new day, a corrected snapshot or
-- sale, a day gone), from their earliest changed day on; the pre-hook lists those days and clears the rows they
-- reach (macros/loading/inventory_days_arrived.sql). So a daily run's cost follows what arrived, not the history.
with

{% if is_incremental() %}
    arrived_series as (
        select
            product_id,
            warehouse_id,
            min(calendar_date) as from_date
        from inventory_days_arrived
        group by product_id, warehouse_id
    ),

    -- The changed series from the earliest day the trailing window of a recomputed row reaches.
    inventory_days as (
        select
            days.*,
            days.calendar_date >= arrived_series.from_date as is_written
        from {{ ref('int_inventory_days_joined') }} as days
        inner join arrived_series
            on
                days.product_id = arrived_series.product_id
                and days.warehouse_id = arrived_series.warehouse_id
        where days.calendar_date > {{ dbt.dateadd('day', -var('cover_window_days'), 'arrived_series.from_date') }}
    ),

    series_starts as (
        select
            days.product_id,
            days.warehouse_id,
            min(days.calendar_date) as first_date
        from {{ ref('int_inventory_days_joined') }} as days
        inner join arrived_series
            on
                days.product_id = arrived_series.product_id
                and days.warehouse_id = arrived_series.warehouse_id
        group by days.product_id, days.warehouse_id
    ),

    snapshot_days as (
        select * from inventory_days
        where has_snapshot and is_written
    ),
{% else %}
    inventory_days as (
        select * from {{ ref('int_inventory_days_joined') }}
    ),

    series_starts as (
        select
            product_id,
            warehouse_id,
            min(calendar_date) as first_date
        from inventory_days
        group by product_id, warehouse_id
    ),

    snapshot_days as (
        select * from inventory_days
        where has_snapshot
    ),
{% endif %}

sale_days as (
    select
        product_id,
        warehouse_id,
        calendar_date,
        units_sold
    from inventory_days
    where units_sold > 0
),

window_sales as (
    select
        snapshot_days.product_id,
        snapshot_days.warehouse_id,
        snapshot_days.calendar_date,
        sum(sale_days.units_sold) as window_units
    from snapshot_days
    inner join sale_days
        on
            snapshot_days.product_id = sale_days.product_id
            and snapshot_days.warehouse_id = sale_days.warehouse_id
            and snapshot_days.calendar_date >= sale_days.calendar_date
            and snapshot_days.calendar_date
            < {{ dbt.dateadd('day', var('cover_window_days'), 'sale_days.calendar_date') }}
    group by snapshot_days.product_id, snapshot_days.warehouse_id, snapshot_days.calendar_date
),

with_trailing_demand as (
    select
        snapshot_days.*,
        cast(coalesce(window_sales.window_units, 0) as double precision)
        / least(
            {{ var('cover_window_days') }},
            {{ dbt.datediff('series_starts.first_date', 'snapshot_days.calendar_date', 'day') }} + 1  -- noqa: LT05
        ) as avg_daily_units_sold
    from snapshot_days
    inner join series_starts
        on
            snapshot_days.product_id = series_starts.product_id
            and snapshot_days.warehouse_id = series_starts.warehouse_id
    left join window_sales
        on
            snapshot_days.product_id = window_sales.product_id
            and snapshot_days.warehouse_id = window_sales.warehouse_id
            and snapshot_days.calendar_date = window_sales.calendar_date
),

final as (
    select
        {{ supplychain.surrogate_key(['product_id', 'warehouse_id', 'calendar_date']) }} as inventory_day_id,
        product_id,
        warehouse_id,
        on_hand_qty,
        on_order_qty,
        in_transit_qty,
        on_hand_qty + on_order_qty + in_transit_qty as inventory_position_qty,
        cast(units_sold as integer) as units_sold,
        cast(avg_daily_units_sold as double precision) as avg_daily_units_sold,
        cast(case
            when avg_daily_units_sold > 0 then on_hand_qty / avg_daily_units_sold
        end as double precision) as days_of_cover,
        is_stockout,
        calendar_date as snapshot_date,
        {{ supplychain.week_start('calendar_date') }} as week_start
    from with_trailing_demand
)

select * from final
