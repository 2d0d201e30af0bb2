-- Weekly demand per product x warehouse (ISO weeks starting Monday), with the stock-out days that censor it.
with

inventory_days as (
    select * from {{ ref('int_inventory_days_joined') }}
),

weekly as (
    select
        product_id,
        warehouse_id,
        {{ supplychain.week_start('calendar_date') }} as week_start,
        sum(order_lines) as order_lines,
        sum(discounted_lines) as discounted_lines,
        sum(units_sold) as units_sold,
        sum(net_revenue) as net_revenue,
        sum(discount_pct_units) as discount_pct_units,
        sum(case when is_stockout then 1 else 0 end) as stockout_days,
        sum(case when has_snapshot then 1 else 0 end) as days_observed,
        avg(cast(on_hand_qty as double precision)) as avg_on_hand_qty
    from inventory_days
    group by product_id, warehouse_id, {{ supplychain.week_start('calendar_date') }}
)

select * from weekly
