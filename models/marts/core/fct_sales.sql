{{ config(
    materialized='incremental',
    unique_key='order_line_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    dist='product_id',
    sort=['order_date', 'product_id']
) }}

-- One row per order line. Incremental: each run re-merges the lines that changed within the lookback window of the
-- latest load (var sales_lookback_days), so late lines and corrections replace their earlier version in place.
with

sales_lines as (
    select * from {{ ref('int_sales_lines_deduplicated') }}
    {% if is_incremental() %}
        where updated_at >= {{ supplychain.lookback_start('updated_at', var('sales_lookback_days')) }}
    {% endif %}
),

final as (
    select
        order_line_id,
        order_id,
        product_id,
        warehouse_id,
        customer_id,
        region_code,
        channel,
        source_file,
        line_number,
        source_line,
        quantity,
        unit_price,
        discount_pct,
        cast(quantity * unit_price as numeric(14, 2)) as gross_revenue,
        cast(quantity * unit_price * (1 - discount_pct / 100) as numeric(14, 2)) as net_revenue,
        discount_pct > 0 as is_discounted,
        order_date,
        {{ supplychain.week_start('order_date') }} as week_start,
        updated_at
    from sales_lines
)

select * from final
