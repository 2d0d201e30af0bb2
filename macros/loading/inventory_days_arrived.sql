{#- fct_inventory_daily is incremental on arrival. What arrived is read from a ledger, int_inventory_days_loaded:
    the checksum of every product x warehouse x day of int_inventory_days_joined as the mart was last built from.
    The pre-hook lists the days whose checksum differs (new, changed or gone) in a temporary table and deletes the
    mart's rows of each such series from its earliest changed day on (a day's trailing demand reads the days before
    it, and a series' first day is in every later row's denominator); the model recomputes those rows only; the
    post-hook writes the new checksums to the ledger in the same transaction, so a crash leaves both as they were
    and the next run finds the same days again. An empty ledger (a new warehouse, or the ledger rebuilt) makes
    every day arrived: the mart is recomputed whole. -#}

{% macro inventory_day_checksum(relation) %}
    {{ supplychain.surrogate_key([
        relation ~ '.has_snapshot', relation ~ '.on_hand_qty', relation ~ '.on_order_qty',
        relation ~ '.in_transit_qty', relation ~ '.units_sold', relation ~ '.is_stockout'
    ]) }}
{% endmacro %}

{% macro record_inventory_days_arrived(days, ledger) %}
    {% if this is not none and is_incremental() %}
        drop table if exists inventory_days_arrived;
        create temporary table inventory_days_arrived as
        with current_days as (
            select
                product_id,
                warehouse_id,
                calendar_date,
                {{ supplychain.inventory_day_checksum('days') }} as day_checksum
            from {{ days }} as days
        )

        select
            coalesce(current_days.product_id, ledger.product_id) as product_id,
            coalesce(current_days.warehouse_id, ledger.warehouse_id) as warehouse_id,
            coalesce(current_days.calendar_date, ledger.calendar_date) as calendar_date,
            current_days.day_checksum
        from current_days
        full outer join {{ ledger }} as ledger
            on
                current_days.product_id = ledger.product_id
                and current_days.warehouse_id = ledger.warehouse_id
                and current_days.calendar_date = ledger.calendar_date
        where
            current_days.product_id is null
            or ledger.product_id is null
            or current_days.day_checksum != ledger.day_checksum;

        delete from {{ this }}
        where
            exists (
                select 1
                from inventory_days_arrived as arrived
                where
                    arrived.product_id = {{ this.identifier }}.product_id
                    and arrived.warehouse_id = {{ this.identifier }}.warehouse_id
                    and arrived.calendar_date <= {{ this.identifier }}.snapshot_date
            )
            or not exists (select 1 from {{ ledger }})
    {% endif %}
{% endmacro %}

{% macro sync_inventory_days_ledger(days, ledger) %}
    {% if this is not none and is_incremental() %}
        {{ supplychain.delete_arrived(ledger, 'inventory_days_arrived', ['product_id', 'warehouse_id', 'calendar_date']) }};

        insert into {{ ledger }} (product_id, warehouse_id, calendar_date, day_checksum)
        select
            product_id,
            warehouse_id,
            calendar_date,
            day_checksum
        from inventory_days_arrived
        where day_checksum is not null;

        drop table inventory_days_arrived
    {% else %}
        delete from {{ ledger }};

        insert into {{ ledger }} (product_id, warehouse_id, calendar_date, day_checksum)
        select
            product_id,
            warehouse_id,
            calendar_date,
            {{ supplychain.inventory_day_checksum('days') }}
        from {{ days }} as days
    {% endif %}
{% endmacro %}
