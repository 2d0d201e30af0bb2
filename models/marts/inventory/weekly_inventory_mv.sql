{{ config(
    materialized=supplychain.bi_materialization(over_rebuilt_table=true),
    auto_refresh=true,
    dist='product_id',
    sort='week_start',
    on_configuration_change='apply'
) }}

-- Weekly stock by product x warehouse: average, lowest and week-end on hand and stock-out days from the days with
-- a snapshot; units sold from every day, so the dashboard's units equal weekly_sales_mv's (a sale on a day the ERP
-- sent no snapshot still counts).
with

demand_weeks as (
    select * from {{ ref('int_demand_weeks_aggregated') }}
),

inventory_days as (
    select * from {{ ref('fct_inventory_daily') }}
),

stock_weeks as (
    select
        product_id,
        warehouse_id,
        week_start,
        avg(cast(on_hand_qty as double precision)) as avg_on_hand_qty,
        min(on_hand_qty) as min_on_hand_qty,
        max(case when snapshot_date = {{ dbt.dateadd('day', 6, 'week_start') }} then on_hand_qty end)
            as week_end_on_hand_qty
    from inventory_days
    group by week_start, product_id, warehouse_id
),

weekly as (
    select
        demand_weeks.product_id,
        demand_weeks.warehouse_id,
        cast(demand_weeks.days_observed as integer) as days_observed,
        cast(demand_weeks.stockout_days as integer) as stockout_days,
        cast(demand_weeks.units_sold as bigint) as units_sold,
        stock_weeks.avg_on_hand_qty,
        cast(stock_weeks.min_on_hand_qty as integer) as min_on_hand_qty,
        cast(stock_weeks.week_end_on_hand_qty as integer) as week_end_on_hand_qty,
        demand_weeks.week_start
    from demand_weeks
    left join stock_weeks
        on
            demand_weeks.product_id = stock_weeks.product_id
            and demand_weeks.warehouse_id = stock_weeks.warehouse_id
            and demand_weeks.week_start = stock_weeks.week_start
)

select * from weekly
