{{ config(
    materialized=supplychain.bi_materialization(over_rebuilt_table=true),
    auto_refresh=true,
    dist='product_id',
    sort='week_start',
    on_configuration_change='apply'
) }}

-- Weekly stock by product x warehouse: average, lowest and week-end on hand, stock-out days and units sold.
with

inventory_days as (
    select * from {{ ref('fct_inventory_daily') }}
),

weekly as (
    select
        product_id,
        warehouse_id,
        cast(count(*) as integer) as days_observed,
        cast(sum(case when is_stockout then 1 else 0 end) as integer) as stockout_days,
        cast(sum(units_sold) as bigint) as units_sold,
        avg(cast(on_hand_qty as double precision)) as avg_on_hand_qty,
        cast(min(on_hand_qty) as integer) as min_on_hand_qty,
        cast(max(case when snapshot_date = {{ dbt.dateadd('day', 6, 'week_start') }} then on_hand_qty end) as integer)
            as week_end_on_hand_qty,
        week_start
    from inventory_days
    group by week_start, product_id, warehouse_id
)

select * from weekly
