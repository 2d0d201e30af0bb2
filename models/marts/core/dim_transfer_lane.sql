{{ config(dist='all', sort=['from_warehouse_id', 'to_warehouse_id']) }}

-- The transfer lanes the optimiser plans moves over: cost and lead time per ordered pair of warehouses. A contract
-- stands between the lanes' feed and the code that reads them (optimization/warehouse_io.py).
with

lanes as (
    select * from {{ ref('stg_wms__transfer_lanes') }}
),

final as (
    select
        {{ supplychain.surrogate_key(['from_warehouse_id', 'to_warehouse_id']) }} as transfer_lane_id,
        from_warehouse_id,
        to_warehouse_id,
        distance_km,
        transfer_cost_per_unit,
        lead_time_days
    from lanes
)

select * from final
