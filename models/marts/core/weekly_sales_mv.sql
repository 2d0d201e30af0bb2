{{ config(
    materialized=supplychain.bi_materialization(),
    auto_refresh=true,
    dist='product_id',
    sort='week_start',
    on_configuration_change='apply'
) }}

-- Weekly quantity and revenue by product x warehouse for BI and ML: a materialized view on Redshift (auto
-- refresh) and PostgreSQL, a table on DuckDB (see macros/materializations/bi_materialization.sql). One row per
-- week x product x warehouse: a warehouse that changes region mid-week is booked, for that whole week, to the
-- region it belongs to on the week's last day (Sunday), so a week is never split across two regions.
with

sales_lines as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_product') }}
),

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

weekly as (
    select
        sales_lines.product_id,
        sales_lines.warehouse_id,
        products.category,
        cast(count(*) as integer) as order_lines,
        cast(sum(sales_lines.quantity) as bigint) as units_sold,
        cast(sum(sales_lines.gross_revenue) as numeric(16, 2)) as gross_revenue,
        cast(sum(sales_lines.net_revenue) as numeric(16, 2)) as net_revenue,
        -- Only for a warehouse missing from the history (never in the CDC feed): the lines' own region.
        max(sales_lines.region_code) as line_region_code,
        sales_lines.week_start
    from sales_lines
    inner join products
        on sales_lines.product_id = products.product_id
    group by
        sales_lines.week_start,
        sales_lines.product_id,
        sales_lines.warehouse_id,
        products.category
),

attributed as (
    select
        weekly.product_id,
        weekly.warehouse_id,
        coalesce(warehouse_history.region_code, weekly.line_region_code) as region_code,
        weekly.category,
        weekly.order_lines,
        weekly.units_sold,
        weekly.gross_revenue,
        weekly.net_revenue,
        weekly.week_start
    from weekly
    left join warehouse_history
        on
            weekly.warehouse_id = warehouse_history.warehouse_id
            and {{ dbt.dateadd('day', 6, 'weekly.week_start') }} >= warehouse_history.valid_from_date
            and (
                warehouse_history.valid_to_date is null
                or {{ dbt.dateadd('day', 6, 'weekly.week_start') }} < warehouse_history.valid_to_date
            )
)

select * from attributed
