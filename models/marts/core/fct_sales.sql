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

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

final as (
    select
        sales_lines.order_line_id,
        sales_lines.order_id,
        sales_lines.product_id,
        sales_lines.warehouse_id,
        sales_lines.customer_id,
        -- History attribution: the region the warehouse belonged to on the order day (dim_warehouse_history),
        -- the line's own region only for a warehouse the WMS never sent.
        coalesce(warehouse_history.region_code, sales_lines.region_code) as region_code,
        sales_lines.channel,
        sales_lines.source_file,
        sales_lines.line_number,
        sales_lines.source_line,
        sales_lines.quantity,
        sales_lines.unit_price,
        sales_lines.discount_pct,
        cast(sales_lines.quantity * sales_lines.unit_price as numeric(14, 2)) as gross_revenue,
        cast(
            sales_lines.quantity * sales_lines.unit_price * (1 - sales_lines.discount_pct / 100) as numeric(14, 2)
        ) as net_revenue,
        sales_lines.discount_pct > 0 as is_discounted,
        sales_lines.order_date,
        {{ supplychain.week_start('sales_lines.order_date') }} as week_start,
        sales_lines.updated_at
    from sales_lines
    left join warehouse_history
        on
            sales_lines.warehouse_id = warehouse_history.warehouse_id
            and sales_lines.order_date >= warehouse_history.valid_from_date
            and (warehouse_history.valid_to_date is null or sales_lines.order_date < warehouse_history.valid_to_date)
)

select * from final
