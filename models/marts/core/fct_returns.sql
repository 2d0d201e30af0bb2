{{ config(
    dist='product_id',
    sort=['order_date', 'product_id']
) }}

-- One row per returned order line (returns and credit notes), apart from fct_sales: sales stay gross demand for the
-- forecast; net sales for revenue are fct_sales less this (README, "Returns").
with

returns as (
    select * from {{ ref('stg_erp__returns') }}
),

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

final as (
    select
        returns.order_id || '-' || cast(returns.line_number as varchar) as return_line_id,
        returns.order_id,
        returns.line_number,
        returns.product_id,
        returns.warehouse_id,
        returns.customer_id,
        -- The region the warehouse belonged to on the day, as fct_sales attributes its lines.
        coalesce(warehouse_history.region_code, returns.region_code) as region_code,
        returns.channel,
        returns.returned_quantity,
        returns.unit_price,
        returns.discount_pct,
        cast(
            returns.returned_quantity * returns.unit_price * (1 - returns.discount_pct / 100) as numeric(14, 2)
        ) as credited_revenue,
        returns.order_date,
        {{ supplychain.week_start('returns.order_date') }} as week_start,
        returns.source_file,
        returns.source_line,
        returns.updated_at
    from returns
    left join warehouse_history
        on
            returns.warehouse_id = warehouse_history.warehouse_id
            and returns.order_date >= warehouse_history.valid_from_date
            and (warehouse_history.valid_to_date is null or returns.order_date < warehouse_history.valid_to_date)
)

select * from final
