-- The dashboard's two weekly marts agree on units sold per product x warehouse x week: stock weeks count the
-- sales of days without a snapshot too.
with

inventory_weeks as (
    select * from {{ ref('weekly_inventory_mv') }}
),

weekly_sales as (
    select * from {{ ref('weekly_sales_mv') }}
),

sales_weeks as (
    select
        product_id,
        warehouse_id,
        week_start,
        sum(units_sold) as units_sold
    from weekly_sales
    group by product_id, warehouse_id, week_start
),

inventory_units as (
    select
        product_id,
        warehouse_id,
        week_start,
        sum(units_sold) as units_sold
    from inventory_weeks
    group by product_id, warehouse_id, week_start
),

mismatches as (
    select
        coalesce(sales_weeks.product_id, inventory_units.product_id) as product_id,
        coalesce(sales_weeks.warehouse_id, inventory_units.warehouse_id) as warehouse_id,
        coalesce(sales_weeks.week_start, inventory_units.week_start) as week_start,
        coalesce(sales_weeks.units_sold, 0) as weekly_sales_units,
        coalesce(inventory_units.units_sold, 0) as weekly_inventory_units
    from sales_weeks
    full outer join inventory_units
        on
            sales_weeks.product_id = inventory_units.product_id
            and sales_weeks.warehouse_id = inventory_units.warehouse_id
            and sales_weeks.week_start = inventory_units.week_start
    where coalesce(sales_weeks.units_sold, 0) <> coalesce(inventory_units.units_sold, 0)
)

select * from mismatches
