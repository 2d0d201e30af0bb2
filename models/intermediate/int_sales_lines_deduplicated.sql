{{ config(
    materialized='incremental',
    incremental_strategy='append',
    dist='product_id',
    pre_hook=["{{ supplychain.record_sales_lines_arrived(ref('stg_erp__sales')) }}"],
    post_hook=["{{ supplychain.drop_sales_lines_arrived() }}"]
) }}

-- The latest version of every order line. The processed zone already keeps one version per line, but the raw
-- schema on Redshift can be appended to by a COPY, and a corrected re-send must never count twice.
--
-- Incremental on arrival: a run ranks again only the lines of the drop files that changed since the last run (the
-- pre-hook lists them and removes their rows: macros/loading/sales_lines_arrived.sql), every version of each, so a
-- daily run neither sorts nor rewrites the history.
with

sales_lines as (
    {% if is_incremental() %}
        select source_lines.*
        from {{ ref('stg_erp__sales') }} as source_lines
        inner join sales_lines_arrived as arrived
            on
                source_lines.order_id = arrived.order_id
                and source_lines.line_number = arrived.line_number
    {% else %}
        select * from {{ ref('stg_erp__sales') }}
    {% endif %}
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
