with

source_policy_simulation as (
    select * from {{ source('optimization', 'policy_simulation') }}
),

renamed as (
    select
        cast(policy_name as varchar) as policy_name,
        cast(replenishment as varchar) as replenishment,
        cast(transfers as varchar) as transfer_rule,
        cast(coalesce(evaluation, 'sweep') as varchar) as evaluation,
        cast(coalesce(level_rule, 'fixed') as varchar) as level_rule,
        cast(service_level as double precision) as service_level,
        cast(demand_units as double precision) as demand_units,
        cast(sold_units as double precision) as sold_units,
        cast(stockout_units as double precision) as stockout_units,
        cast(lost_sales_value as double precision) as lost_sales_value,
        cast(fill_rate as double precision) as fill_rate,
        cast(avg_on_hand_units as double precision) as avg_on_hand_units,
        cast(avg_overstock_units as double precision) as avg_overstock_units,
        cast(peak_overstock_units as double precision) as peak_overstock_units,
        cast(avg_over_target_units as double precision) as avg_over_target_units,
        cast(transfer_units as double precision) as transfer_units,
        cast(transfer_cost as double precision) as transfer_cost,
        cast(units_in as double precision) as units_in,
        cast(units_out as double precision) as units_out,
        cast(stockout_units_change as double precision) as stockout_units_change,
        cast(avg_overstock_units_change as double precision) as avg_overstock_units_change,
        cast(peak_overstock_units_change as double precision) as peak_overstock_units_change,
        cast(lost_sales_value_change as double precision) as lost_sales_value_change,
        cast(avg_on_hand_units_change as double precision) as avg_on_hand_units_change,
        cast(holdout_weeks as integer) as holdout_weeks,
        coalesce(is_baseline, false) as is_baseline,
        cast(holdout_start as date) as holdout_start,
        cast(evaluated_at as timestamp) as evaluated_at
    from source_policy_simulation
)

select * from renamed
