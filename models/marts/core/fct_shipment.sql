{{ config(dist='warehouse_id', sort=['ship_date']) }}

-- One row per shipment with its latest status, delivery delay against the promise and transit time.
with

shipments as (
    select * from {{ ref('stg_erp__shipments') }}
),

final as (
    select
        shipment_id,
        order_id,
        warehouse_id,
        carrier,
        shipment_status,
        total_units,
        -- Days delivered after the promised day (0 when on time or early); null until delivered.
        cast(case
            when delivered_date is not null and promised_date is not null
                then greatest({{ dbt.datediff('promised_date', 'delivered_date', 'day') }}, 0)
        end as integer) as delay_days,
        cast(case
            when delivered_date is not null then {{ dbt.datediff('ship_date', 'delivered_date', 'day') }}
        end as integer) as transit_days,
        shipment_status = 'DELIVERED' as is_delivered,
        -- Unknown (null) while the shipment is on the road: counting it as late would understate the on-time
        -- rate by every shipment still in transit. Lost and returned shipments were not delivered on time.
        case
            when shipment_status = 'SHIPPED' then null
            else coalesce(shipment_status = 'DELIVERED' and delivered_date <= promised_date, false)
        end as is_on_time,
        ship_date,
        promised_date,
        delivered_date,
        {{ supplychain.week_start('ship_date') }} as ship_week_start,
        updated_at
    from shipments
)

select * from final
