{{ config(materialized='incremental', incremental_strategy='append', dist='product_id') }}

-- The ledger of fct_inventory_daily's inputs: one checksum per product x warehouse x day of
-- int_inventory_days_joined as the mart was last built from. Built empty; only fct_inventory_daily's post-hook
-- writes it, in the transaction that changes the mart (macros/loading/inventory_days_arrived.sql), so the days
-- whose checksum differs from the current ones are exactly what arrived since.
select
    cast(null as varchar) as product_id,
    cast(null as varchar) as warehouse_id,
    cast(null as date) as calendar_date,
    cast(null as varchar) as day_checksum
where 1 = 0
