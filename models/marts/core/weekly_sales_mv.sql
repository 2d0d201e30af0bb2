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
-- region of its latest sale in the week (fct_sales carries the region in force on each line's day). The region
-- comes from fct_sales alone: a materialized view must never read a table dbt rebuilds, such as
-- dim_warehouse_history, or Redshift drops it by cascade on every run. The cost: max() is not among the aggregates
-- Redshift refreshes incrementally (sum and count are), so its auto refresh recomputes the view in full. Carrying
-- the week's region as a column of the incremental fct_sales would keep the view to sums and counts.
with

sales_lines as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_product') }}
),

warehouse_last_days as (
    select
        warehouse_id,
        week_start,
        max(order_date) as last_order_date
    from sales_lines
    group by warehouse_id, week_start
),

-- Every line of a warehouse on one day carries the same region; max() only settles a warehouse the WMS never
-- sent, whose lines keep their own region.
warehouse_week_regions as (
    select
        sales_lines.warehouse_id,
        sales_lines.week_start,
        max(sales_lines.region_code) as region_code
    from sales_lines
    inner join warehouse_last_days
        on
            sales_lines.warehouse_id = warehouse_last_days.warehouse_id
            and sales_lines.order_date = warehouse_last_days.last_order_date
    group by sales_lines.warehouse_id, sales_lines.week_start
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

final as (
    select
        weekly.product_id,
        weekly.warehouse_id,
        warehouse_week_regions.region_code,
        weekly.category,
        weekly.order_lines,
        weekly.units_sold,
        weekly.gross_revenue,
        weekly.net_revenue,
        weekly.week_start
    from weekly
    inner join warehouse_week_regions
        on
            weekly.warehouse_id = warehouse_week_regions.warehouse_id
            and weekly.week_start = warehouse_week_regions.week_start
)

select * from final
