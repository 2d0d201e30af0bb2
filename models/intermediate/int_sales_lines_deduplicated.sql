{{ config(materialized='table', dist='product_id') }}

-- The latest version of every order line. The processed zone already keeps one version per line, but the raw
-- schema on Redshift can be appended to by a COPY, and a corrected re-send must never count twice.
with

sales_lines as (
    select * from {{ ref('stg_erp__sales') }}
),

versions_ranked as (
    select
        sales_lines.*,
        row_number() over (
            partition by sales_lines.order_id, sales_lines.line_number
            order by sales_lines.updated_at desc, sales_lines.source_file desc, sales_lines.source_line desc
        ) as version_rank
    from sales_lines
),

latest_versions as (
    select
        order_id || '-' || cast(line_number as varchar) as order_line_id,
        order_id,
        product_id,
        warehouse_id,
        region_code,
        customer_id,
        channel,
        source_file,
        line_number,
        source_line,
        quantity,
        unit_price,
        discount_pct,
        order_date,
        updated_at
    from versions_ranked
    where version_rank = 1
)

select * from latest_versions
