-- One row per evaluation, level rule, service level and policy from the hold-out simulation (every
-- `supplychain optimize` replays; `--evaluate` sweeps): stock-outs, hindsight overstock, units on hand, fill rate
-- and transfer cost on actual demand, and each one's change against no reallocation.
with

simulations as (
    select * from {{ ref('stg_optimization__policy_simulations') }}
),

final as (
    select
        {{ supplychain.surrogate_key(
            ['evaluation', 'level_rule', 'service_level', 'policy_name']
        ) }} as policy_simulation_id,
        policy_name,
        replenishment,
        transfer_rule,
        evaluation,
        level_rule,
        service_level,
        demand_units,
        sold_units,
        stockout_units,
        lost_sales_value,
        fill_rate,
        avg_on_hand_units,
        avg_overstock_units,
        peak_overstock_units,
        avg_over_target_units,
        transfer_units,
        transfer_cost,
        units_in,
        units_out,
        stockout_units_change,
        avg_overstock_units_change,
        peak_overstock_units_change,
        lost_sales_value_change,
        avg_on_hand_units_change,
        holdout_weeks,
        is_baseline,
        stockout_units_change <= -0.20 and avg_overstock_units_change <= -0.12 as meets_targets,
        holdout_start,
        evaluated_at
    from simulations
)

select * from final
