{{ config(
    materialized=supplychain.bi_materialization(),
    auto_refresh=true,
    dist='product_id',
    sort='week_start',
    on_configuration_change='apply'
) }}

-- Weekly quantity and revenue by product x warehouse x region for BI and ML: a materialized view on Redshift
-- (auto refresh) and PostgreSQL, a table on DuckDB (see macros/materializations/bi_materialization.sql).
with

sales_lines as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_product') }}
),

weekly as (
    select
        sales_lines.product_id,
        sales_lines.warehouse_id,
        sales_lines.region_code,
        products.category,
        cast(count(*) as integer) as order_lines,
        cast(sum(sales_lines.quantity) as bigint) as units_sold,
        cast(sum(sales_lines.gross_revenue) as numeric(16, 2)) as gross_revenue,
        cast(sum(sales_lines.net_revenue) as numeric(16, 2)) as net_revenue,
        sales_lines.week_start
    from sales_lines
    inner join products
        on sales_lines.product_id = products.product_id
    group by
        sales_lines.week_start,
        sales_lines.product_id,
        sales_lines.warehouse_id,
        sales_lines.region_code,
        products.category
)

select * from weekly
