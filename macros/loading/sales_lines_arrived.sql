{#- int_sales_lines_deduplicated is incremental on arrival. The pre-hook lists, in a temporary table, the order
    lines of every drop file whose lines differ from those the model holds from it (a new file, a file gone, or one
    that gained, lost or changed lines: compared by count, units, prices, discounts and latest update, as fct_sales
    does) and deletes those lines from the model; the model ranks every version of those lines only and appends the
    winners. The delete and the append are one transaction: a crash leaves the model as it was, and the next run
    finds the same files again. -#}

{% macro record_sales_lines_arrived(sales_lines) %}
    {% if this is not none and is_incremental() %}
        drop table if exists sales_lines_arrived;
        create temporary table sales_lines_arrived as
        with arrived_files as (
            {{ supplychain.sales_file_summary(sales_lines) }}
        ),

        loaded_files as (
            {{ supplychain.sales_file_summary(this) }}
        ),

        changed_files as (
            select coalesce(arrived_files.source_file, loaded_files.source_file) as source_file
            from arrived_files
            full outer join loaded_files on arrived_files.source_file = loaded_files.source_file
            where
                arrived_files.source_file is null
                or loaded_files.source_file is null
                or arrived_files.line_count != loaded_files.line_count
                or coalesce(arrived_files.units, 0) != coalesce(loaded_files.units, 0)
                or coalesce(arrived_files.unit_prices, 0) != coalesce(loaded_files.unit_prices, 0)
                or coalesce(arrived_files.discounts, 0) != coalesce(loaded_files.discounts, 0)
                or coalesce(arrived_files.last_updated_at, '1900-01-01')
                != coalesce(loaded_files.last_updated_at, '1900-01-01')
        )

        select
            order_id,
            line_number
        from {{ sales_lines }}
        where source_file in (select changed_files.source_file from changed_files)
        union
        select
            order_id,
            line_number
        from {{ this }}
        where source_file in (select changed_files.source_file from changed_files);

        delete from {{ this }}
        where exists (
            select 1
            from sales_lines_arrived as arrived
            where
                arrived.order_id = {{ this.identifier }}.order_id
                and arrived.line_number = {{ this.identifier }}.line_number
        )
    {% endif %}
{% endmacro %}

{% macro sales_file_summary(relation) %}
    select
        source_file,
        count(*) as line_count,
        sum(quantity) as units,
        sum(unit_price) as unit_prices,
        sum(discount_pct) as discounts,
        max(updated_at) as last_updated_at
    from {{ relation }}
    group by source_file
{% endmacro %}

{% macro drop_sales_lines_arrived() %}
    {% if this is not none and is_incremental() %}
        drop table if exists sales_lines_arrived
    {% endif %}
{% endmacro %}
