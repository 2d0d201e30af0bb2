{{ config(
    materialized='incremental',
    unique_key='order_line_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    dist='product_id',
    sort=['order_date', 'product_id'],
    post_hook=["{{ supplychain.delete_lines_gone_from_source('order_line_id', ref('int_sales_lines_deduplicated')) }}"]
) }}

-- One row per order line. Incremental on arrival: each run merges every line whose content, or whose region
-- attribution, differs from the row already loaded (line_checksum). Nothing is read from the ERP's clock, so a
-- drop that arrives a year late with year-old updated_at values lands through a normal incremental run, and a
-- region move recorded in the warehouse history after a line was merged re-books that line on the next run: the
-- same processed zone gives the same fact whatever order its drops arrived in. loaded_at says when each line's
-- current version was merged.
--
-- An incremental run checksums only the lines that can have changed, so its cost follows what arrived, not the
-- history: the lines of every drop file whose lines differ from those loaded from it (a new file, or one that
-- gained, lost or changed lines: compared by count, units, prices, discounts and latest update), and the lines
-- of every warehouse day whose region the history now gives otherwise. A change to how the derived columns are
-- computed changes no file: rebuild with --full-refresh.
with

{% if is_incremental() %}
    {{ supplychain.changed_sales_files(ref('int_sales_lines_deduplicated'), this) }},

    loaded_days as (
        select distinct
            warehouse_id,
            order_date,
            region_code
        from {{ this }}
    ),

    reattributed_days as (
        select distinct
            loaded_days.warehouse_id,
            loaded_days.order_date
        from loaded_days
        inner join {{ ref('dim_warehouse_history') }} as history
            on
                loaded_days.warehouse_id = history.warehouse_id
                and loaded_days.order_date >= history.valid_from_date
                and (history.valid_to_date is null or loaded_days.order_date < history.valid_to_date)
        where coalesce(loaded_days.region_code, '') != coalesce(history.region_code, '')
    ),
{% endif %}

sales_lines as (
    select deduplicated.*
    from {{ ref('int_sales_lines_deduplicated') }} as deduplicated
    {% if is_incremental() %}
        where
            deduplicated.source_file in (select changed_files.source_file from changed_files)
            or exists (
                select 1
                from reattributed_days
                where
                    reattributed_days.warehouse_id = deduplicated.warehouse_id
                    and reattributed_days.order_date = deduplicated.order_date
            )
    {% endif %}
),

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

attributed as (
    select
        sales_lines.order_line_id,
        sales_lines.order_id,
        sales_lines.product_id,
        sales_lines.warehouse_id,
        sales_lines.customer_id,
        -- History attribution: the region the warehouse belonged to on the order day (dim_warehouse_history),
        -- the line's own region only for a warehouse the WMS never sent.
        coalesce(warehouse_history.region_code, sales_lines.region_code) as region_code,
        sales_lines.channel,
        sales_lines.source_file,
        sales_lines.line_number,
        sales_lines.source_line,
        sales_lines.quantity,
        sales_lines.unit_price,
        sales_lines.discount_pct,
        cast(sales_lines.quantity * sales_lines.unit_price as numeric(14, 2)) as gross_revenue,
        -- Times 0.01 rather than divided by 100: decimal division is a double on DuckDB, and a line worth
        -- exactly half a cent would round the wrong way.
        cast(
            sales_lines.quantity * sales_lines.unit_price * (100 - sales_lines.discount_pct) * 0.01 as numeric(14, 2)
        ) as net_revenue,
        sales_lines.discount_pct > 0 as is_discounted,
        sales_lines.order_date,
        {{ supplychain.week_start('sales_lines.order_date') }} as week_start,
        sales_lines.updated_at
    from sales_lines
    left join warehouse_history
        on
            sales_lines.warehouse_id = warehouse_history.warehouse_id
            and sales_lines.order_date >= warehouse_history.valid_from_date
            and (warehouse_history.valid_to_date is null or sales_lines.order_date < warehouse_history.valid_to_date)
),

checksummed as (
    select
        attributed.*,
        {{ supplychain.surrogate_key([
            'attributed.product_id', 'attributed.warehouse_id', 'attributed.customer_id', 'attributed.region_code',
            'attributed.channel', 'attributed.source_file', 'attributed.source_line', 'attributed.quantity',
            'attributed.unit_price', 'attributed.discount_pct', 'attributed.order_date', 'attributed.updated_at',
            'attributed.gross_revenue', 'attributed.net_revenue', 'attributed.is_discounted', 'attributed.week_start'
        ]) }} as line_checksum
    from attributed
),

{% if is_incremental() %}
    -- The loaded versions of those lines only.
    loaded_versions as (
        select
            order_line_id,
            line_checksum
        from {{ this }}
        where order_line_id in (select sales_lines.order_line_id from sales_lines)
    ),
{% endif %}

final as (
    select
        checksummed.*,
        cast({{ dbt.current_timestamp() }} as timestamp) as loaded_at
    from checksummed
    {% if is_incremental() %}
        -- What arrived since the last run: a new line, a new version of a line, or a line whose region changed.
        where not exists (
            select 1
            from loaded_versions
            where
                loaded_versions.order_line_id = checksummed.order_line_id
                and loaded_versions.line_checksum = checksummed.line_checksum
        )
    {% endif %}
)

select * from final
