{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='plan_date',
    on_schema_change='append_new_columns',
    full_refresh=false,
    sort='plan_date',
    post_hook=["{{ supplychain.keep_recent_vintages('plan_date') }}"]
) }}

-- One row per plan date an optimisation run planned for, kept across runs (optimization_run_summary holds the
-- latest run only). A re-run for the same plan date replaces its row.
with

summaries as (
    select * from {{ ref('optimization_run_summary') }}
),

final as (
    select
        plan_date,
        solver,
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
