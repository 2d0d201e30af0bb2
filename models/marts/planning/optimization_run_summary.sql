-- One row per `supplychain optimize` run: what the plan moves, what it costs and what it is expected to save.
with

summaries as (
    select * from {{ ref('stg_optimization__run_summaries') }}
),

final as (
    select
        plan_date,
        solver,
        problem_messages,
        products_planned,
        sites_planned,
        transfers,
        units_moved,
        problems,
        service_level,
        transfer_cost,
        expected_stockout_units_avoided,
        expected_excess_units_reduced,
        expected_value,
        planned_at
    from summaries
)

select * from final
