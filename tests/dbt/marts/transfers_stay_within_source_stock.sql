-- The plan never breaks a constraint the warehouse can check: no source sends more than it holds on hand, no
-- source drops below its own safety stock, and every move's destination has a policy for the product.
with

transfers as (
    select * from {{ ref('fct_transfer_plan') }}
),

policies as (
    select * from {{ ref('fct_inventory_policy') }}
),

sent as (
    select
        product_id,
        from_warehouse_id,
        plan_date,
        sum(units) as units_sent
    from transfers
    group by product_id, from_warehouse_id, plan_date
),

overdrawn_sources as (
    select
        sent.product_id,
        sent.from_warehouse_id as warehouse_id,
        'source overdrawn' as broken_rule
    from sent
    left join policies
        on
            sent.product_id = policies.product_id
            and sent.from_warehouse_id = policies.warehouse_id
            and sent.plan_date = policies.plan_date
    where
        policies.product_id is null
        or sent.units_sent > policies.on_hand_qty
        or policies.on_hand_qty - sent.units_sent < policies.safety_stock
),

unplanned_destinations as (
    select
        transfers.product_id,
        transfers.to_warehouse_id as warehouse_id,
        'destination has no policy' as broken_rule
    from transfers
    left join policies
        on
            transfers.product_id = policies.product_id
            and transfers.to_warehouse_id = policies.warehouse_id
            and transfers.plan_date = policies.plan_date
    where policies.product_id is null
),

final as (
    select * from overdrawn_sources
    union all
    select * from unplanned_destinations
)

select * from final
