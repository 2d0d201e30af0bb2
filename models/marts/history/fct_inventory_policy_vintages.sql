{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='plan_date',
    on_schema_change='append_new_columns',
    full_refresh=false,
    dist='product_id',
    sort=['plan_date', 'product_id'],
    post_hook=["{{ supplychain.keep_recent_vintages('plan_date') }}"]
) }}

-- Every optimisation run's inventory policy, kept: one vintage per plan date. The latest vintage is
-- fct_inventory_policy; a re-run for the same plan date replaces its vintage. Never emptied by --full-refresh;
-- vintages older than var vintage_retention_weeks before the newest are deleted.
with

policies as (
    select * from {{ ref('fct_inventory_policy') }}
),

final as (
    select
        inventory_policy_id,
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
        weekly_demand,
        days_of_cover,
        service_level,
        is_below_reorder_point,
        is_overstocked,
        plan_date
    from policies
)

select * from final
