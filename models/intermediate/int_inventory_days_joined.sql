-- One row per product x warehouse x day: the end-of-day stock position beside the units sold that day.
-- A full join keeps sales on a day with no snapshot (has_snapshot false) so weekly demand never loses units.
with

inventory_snapshots as (
    select * from {{ ref('stg_erp__inventory_snapshots') }}
),

sales_lines as (
    select * from {{ ref('int_sales_lines_deduplicated') }}
),

daily_sales as (
    select
        product_id,
        warehouse_id,
        order_date,
        count(*) as order_lines,
        sum(case when discount_pct > 0 then 1 else 0 end) as discounted_lines,
        sum(quantity) as units_sold,
        sum(cast(quantity * unit_price * (100 - discount_pct) * 0.01 as numeric(14, 2))) as net_revenue,
        sum(discount_pct * quantity) as discount_pct_units
    from sales_lines
    group by product_id, warehouse_id, order_date
),

joined as (
    select
        coalesce(inventory_snapshots.product_id, daily_sales.product_id) as product_id,
        coalesce(inventory_snapshots.warehouse_id, daily_sales.warehouse_id) as warehouse_id,
        inventory_snapshots.on_hand_qty,
        inventory_snapshots.on_order_qty,
        inventory_snapshots.in_transit_qty,
        coalesce(daily_sales.order_lines, 0) as order_lines,
        coalesce(daily_sales.discounted_lines, 0) as discounted_lines,
        coalesce(daily_sales.units_sold, 0) as units_sold,
        coalesce(daily_sales.net_revenue, 0) as net_revenue,
        coalesce(daily_sales.discount_pct_units, 0) as discount_pct_units,
        inventory_snapshots.product_id is not null as has_snapshot,
        coalesce(inventory_snapshots.on_hand_qty = 0, false) as is_stockout,
        coalesce(inventory_snapshots.snapshot_date, daily_sales.order_date) as calendar_date
    from inventory_snapshots
    full outer join daily_sales
        on
            inventory_snapshots.product_id = daily_sales.product_id
            and inventory_snapshots.warehouse_id = daily_sales.warehouse_id
            and inventory_snapshots.snapshot_date = daily_sales.order_date
)

select * from joined
