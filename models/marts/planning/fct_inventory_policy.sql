{{ config(dist='product_id', sort=['plan_date', 'product_id']) }}

-- One row per product x warehouse from the latest `supplychain optimize` run: the policy levels and the stock
-- they judge (overstock above the target level, deficit below the reorder point).
with

policies as (
    select * from {{ ref('stg_optimization__inventory_policies') }}
),

final as (
    select
        {{ supplychain.surrogate_key(['product_id', 'warehouse_id', 'plan_date']) }} as inventory_policy_id,
        product_id,
        warehouse_id,
        region_code,
        category,
        lead_time_days,
        on_hand_qty,
        on_order_qty,
        in_transit_qty,
        inventory_position,
        safety_stock,
        reorder_point,
        target_level,
        overstock_units,
        deficit_units,
        lead_time_demand,
        lead_time_sigma,
        cover_demand,
        weekly_demand,
        days_of_cover,
        service_level,
        deficit_units > 0 as is_below_reorder_point,
        overstock_units > 0 as is_overstocked,
        plan_date
    from policies
)

select * from final
