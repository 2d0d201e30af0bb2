{{ config(dist='product_id', sort=['plan_date', 'product_id']) }}

-- One row per recommended move between warehouses from the latest `supplychain optimize` run.
with

transfers as (
    select * from {{ ref('stg_optimization__transfers') }}
),

warehouses as (
    select * from {{ ref('dim_warehouse') }}
),

final as (
    select
        {{ supplychain.surrogate_key(['transfers.product_id', 'transfers.from_warehouse_id',
            'transfers.to_warehouse_id', 'transfers.plan_date']) }} as transfer_id,
        transfers.product_id,
        transfers.from_warehouse_id,
        transfers.to_warehouse_id,
        origins.region_code as from_region_code,
        destinations.region_code as to_region_code,
        transfers.reason,
        transfers.units,
        transfers.lead_time_days,
        transfers.transfer_cost,
        transfers.expected_benefit,
        transfers.plan_date,
        transfers.arrival_date
    from transfers
    left join warehouses as origins
        on transfers.from_warehouse_id = origins.warehouse_id
    left join warehouses as destinations
        on transfers.to_warehouse_id = destinations.warehouse_id
)

select * from final
