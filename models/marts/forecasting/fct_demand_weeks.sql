{{ config(materialized='view') }}

-- The weeks of demand that forecasting reads as full (macros/utils/full_demand_weeks.sql, the rule of
-- foundation/warehouse/io.py full_weeks_sql): the grain of the semantic layer's weekly demand, so the planning
-- report's actuals, a dashboard's and the forecast's training data are the same weeks. A view: it adds no build
-- time and follows demand_features_weekly as that model is rebuilt.
with

demand_weeks as (
    {{ supplychain.full_demand_weeks(ref('demand_features_weekly')) }}
),

final as (
    select
        demand_weeks.demand_week_id,
        demand_weeks.series_id,
        demand_weeks.product_id,
        demand_weeks.warehouse_id,
        demand_weeks.current_region_code,
        demand_weeks.category,
        demand_weeks.week_start,
        demand_weeks.units_sold
    from demand_weeks
)

select * from final
