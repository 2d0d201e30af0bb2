{{ config(dist='product_id', sort=['snapshot_date', 'product_id']) }}

-- One row per product x warehouse x day with an ERP snapshot: the stock position and how long it lasts at the
-- recent sales rate (days of cover over the trailing var cover_window_days days).
with

inventory_days as (
    select * from {{ ref('int_inventory_days_joined') }}
    where has_snapshot
),

with_trailing_demand as (
    select
        inventory_days.*,
        avg(cast(inventory_days.units_sold as double precision)) over (
            partition by inventory_days.product_id, inventory_days.warehouse_id
            order by inventory_days.calendar_date
            rows between {{ var('cover_window_days') - 1 }} preceding and current row
        ) as avg_daily_units_sold
    from inventory_days
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
