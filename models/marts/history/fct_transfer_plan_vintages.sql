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

-- Every optimisation run's transfer plan, kept: one vintage per plan date. The latest vintage is
-- fct_transfer_plan; a re-run for the same plan date replaces its vintage (an empty plan leaves no rows, and
-- optimization_run_vintages says the run happened). Never emptied by --full-refresh.
with

transfers as (
    select * from {{ ref('fct_transfer_plan') }}
),

final as (
    select
        transfer_id,
        product_id,
        from_warehouse_id,
        to_warehouse_id,
        from_region_code,
        to_region_code,
        reason,
        units,
        lead_time_days,
        transfer_cost,
        plan_date,
        arrival_date
    from transfers
)

select * from final
