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
        with {{ supplychain.changed_sales_files(sales_lines, this) }}

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

        {{ supplychain.delete_arrived(this, 'sales_lines_arrived', ['order_id', 'line_number']) }}
    {% endif %}
{% endmacro %}

{#- The CTEs arrived_files and loaded_files (one summary row per drop file) and changed_files: the source_file of
    every file whose lines differ between the two (new, gone, or changed in count, units, prices, discounts or
    latest update). -#}
{% macro changed_sales_files(arrived, loaded) %}
    arrived_files as (
        {{ supplychain.sales_file_summary(arrived) }}
    ),

    loaded_files as (
        {{ supplychain.sales_file_summary(loaded) }}
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
